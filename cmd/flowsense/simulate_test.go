package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startServe runs `flowsense serve` in-process on a loopback port and
// returns its URL; the server stops with the test.
func startServe(t *testing.T, modelDir string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, append([]string{"serve", "--model", modelDir, "--addr", "127.0.0.1:0"}, extra...), &out, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	for i := 0; i < 500; i++ {
		if m := regexp.MustCompile(`on (http://[0-9.:]+)`).FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve printed no URL: %q %q", out.String(), errOut.String())
	return ""
}

// evalMetrics are the figures of flowsense eval the simulator is checked
// against.
type evalMetrics struct {
	Accuracy float64 `json:"accuracy"`
	NTest    int     `json:"n_test"`
}

// evalFile runs flowsense eval of the model directory on file.
func evalFile(t *testing.T, modelDir, file string) evalMetrics {
	t.Helper()
	code, out, e := flowsense(t, "eval", "--model", modelDir, "--data", file)
	if code != 0 {
		t.Fatal(e)
	}
	var met evalMetrics
	if err := json.Unmarshal([]byte(out), &met); err != nil {
		t.Fatal(err)
	}
	return met
}

// The must-show of issue 5: flowsense simulate against flowsense serve
// reports the same accuracy as flowsense eval on the same file, in both
// modes, when it sends the whole file once.
func TestSimulateMatchesEval(t *testing.T) {
	dir, _ := trained(t)
	modelDir := filepath.Join(dir, "model")
	test := filepath.Join(t.TempDir(), "test.csv")
	if code, _, e := flowsense(t, "gen", "--rows", "1500", "--seed", "21", "--out", test); code != 0 {
		t.Fatal(e)
	}
	met := evalFile(t, modelDir, test)
	url := startServe(t, modelDir)
	for _, args := range [][]string{
		{"--mode", "json"},
		{"--mode", "cloudevents", "--batch", "4", "--order", "file"},
	} {
		t.Run(args[1], func(t *testing.T) {
			code, out, e := flowsense(t, append([]string{"simulate", "--target", url, "--data", test,
				"--count", "1500", "--rate", "1e6", "--concurrency", "4"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, e)
			}
			var s struct {
				Sent, OK int
				Errors   map[string]int
				Accuracy *float64
			}
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatalf("stdout is not the JSON summary: %v\n%s", err, out)
			}
			if s.Sent != met.NTest || s.OK != met.NTest || len(s.Errors) != 0 {
				t.Fatalf("sent %d ok %d errors %v, eval scored %d", s.Sent, s.OK, s.Errors, met.NTest)
			}
			if s.Accuracy == nil || *s.Accuracy != met.Accuracy {
				t.Fatalf("simulate's accuracy %v, eval's %v", s.Accuracy, met.Accuracy)
			}
			if !strings.Contains(e, "simulate ") || !strings.Contains(e, "accuracy") {
				t.Errorf("no live line on stderr: %q", e)
			}
		})
	}
}

func TestSimulateBadInput(t *testing.T) {
	dir, flows := trained(t)
	url := startServe(t, filepath.Join(dir, "model"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	raw, _ := os.ReadFile(flows)
	lines := strings.SplitN(string(raw), "\n", 5)
	ragged := filepath.Join(t.TempDir(), "ragged.csv")
	os.WriteFile(ragged, []byte(strings.Join(lines[:3], "\n")+"\n1,2,3\n"), 0o644)
	ok := []string{"simulate", "--target", url, "--data", flows}
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"zero rate":          {append(ok, "--rate", "0"), []string{"--rate 0"}},
		"negative rate":      {append(ok, "--rate", "-5"), []string{"--rate -5"}},
		"rate not a number":  {append(ok, "--rate", "fast"), []string{"--rate", "fast"}},
		"fraction above 1":   {append(ok, "--outlier-fraction", "1.5"), []string{"--outlier-fraction 1.5", "[0, 1]"}},
		"negative fraction":  {append(ok, "--attack-fraction", "-0.1"), []string{"--attack-fraction -0.1"}},
		"ftp target":         {[]string{"simulate", "--target", "ftp://127.0.0.1/", "--data", flows}, []string{"--target", "ftp://"}},
		"no scheme":          {[]string{"simulate", "--target", "127.0.0.1:8080", "--data", flows}, []string{"--target"}},
		"no target":          {[]string{"simulate", "--data", flows}, []string{"--target"}},
		"no data":            {[]string{"simulate", "--target", url}, []string{"--data"}},
		"bad duration":       {append(ok, "--duration", "soon"), []string{"--duration", "soon"}},
		"zero batch":         {append(ok, "--batch", "0"), []string{"--batch 0"}},
		"zero concurrency":   {append(ok, "--concurrency", "0"), []string{"--concurrency 0"}},
		"bad mode":           {append(ok, "--mode", "grpc"), []string{"--mode grpc"}},
		"unreachable target": {[]string{"simulate", "--target", closed, "--data", flows}, []string{closed + "/model", "refused"}},
		"ragged data":        {[]string{"simulate", "--target", url, "--data", ragged}, []string{"ragged.csv:4:"}},
		"missing file":       {[]string{"simulate", "--target", url, "--data", flows + ".none"}, []string{".none"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, e := flowsense(t, c.args...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q, want 2 and nothing (stderr %q)", code, out, e)
			}
			if strings.Count(e, "\n") != 1 {
				t.Errorf("want one line on stderr, got %q", e)
			}
			for _, w := range c.want {
				if !strings.Contains(e, w) {
					t.Errorf("message %q lacks %q", e, w)
				}
			}
		})
	}
}

// simulate --feedback against flowsense serve: the function's feedback
// confusion (flowsense_feedback_total on /metrics) holds one item per flow
// sent, and its diagonal gives eval's accuracy.
func TestSimulateFeedbackReachesMetrics(t *testing.T) {
	dir, _ := trained(t)
	modelDir := filepath.Join(dir, "model")
	test := filepath.Join(t.TempDir(), "test.csv")
	if code, _, e := flowsense(t, "gen", "--rows", "800", "--seed", "22", "--out", test); code != 0 {
		t.Fatal(e)
	}
	met := evalFile(t, modelDir, test)
	url := startServe(t, modelDir)
	if code, _, e := flowsense(t, "simulate", "--target", url, "--data", test, "--count", "800",
		"--rate", "1e6", "--concurrency", "4", "--feedback", "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	line := regexp.MustCompile(`(?m)^flowsense_feedback_total\{predicted="([^"]*)",truth="([^"]*)"\} (\S+)$`)
	var total, correct float64
	for _, m := range line.FindAllStringSubmatch(string(body), -1) {
		n, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if m[1] == m[2] {
			correct += n
		}
	}
	if int(total) != met.NTest {
		t.Fatalf("the function counted %v feedback items, simulate sent %d flows\n%s", total, met.NTest, body)
	}
	if correct/total != met.Accuracy {
		t.Errorf("feedback accuracy %v, eval's %v", correct/total, met.Accuracy)
	}
}
