package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
)

// softflowdExports are NetFlow v5, v9 and IPFIX exports softflowd made of
// the shared captures (collect/testdata/README.md).
func softflowdExports(t *testing.T) [][]byte {
	t.Helper()
	files, _ := filepath.Glob("../../collect/testdata/softflowd/*.bin")
	if len(files) == 0 {
		t.Fatal("no ../../collect/testdata/softflowd/*.bin")
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for len(b) > 4 {
			n := binary.BigEndian.Uint32(b)
			out = append(out, b[4:4+n])
			b = b[4+n:]
		}
	}
	return out
}

var listening = regexp.MustCompile(`listening on udp://([0-9.:]+)`)

// collectRun runs flowsense collect in-process, sends it datagrams (each
// from its own socket, so each export file is its own exporter) and
// returns its stderr once it has stopped (--idle).
func collectRun(t *testing.T, datagrams [][]byte, args ...string) string {
	t.Helper()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	args = append([]string{"collect", "--listen", "udp://127.0.0.1:0", "--idle", "1s"}, args...)
	go func() { done <- run(context.Background(), args, &stdout, &stderr) }()
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("collect did not start: %s", stderr.String())
		}
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range datagrams {
		if _, err := conn.Write(d); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	conn.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("collect exit %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("collect did not stop after --idle: %s", stderr.String())
	}
	return stderr.String()
}

// nfModel trains a model on CSV that collect --out wrote from the
// softflowd exports, labelled by a rule (the test is about the plumbing,
// not the accuracy), and returns its directory and the number of flows.
func nfModel(t *testing.T) (dir string, flows int) {
	t.Helper()
	dir = t.TempDir()
	csvPath := filepath.Join(dir, "flows.csv")
	collectRun(t, softflowdExports(t), "--out", csvPath)
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 50 || !strings.HasPrefix(lines[0], "IPV4_SRC_ADDR,L4_SRC_PORT,") {
		t.Fatalf("collect --out wrote %d lines, header %.60q", len(lines), lines[0])
	}
	var lab strings.Builder
	lab.WriteString(lines[0] + ",Label\n")
	for _, l := range lines[1:] {
		cells := strings.Split(l, ",")
		label := "benign"
		if cells[7] == "1" { // IN_PKTS: one-packet probes of the scans
			label = "scan"
		}
		lab.WriteString(l + "," + label + "\n")
	}
	labelled := filepath.Join(dir, "labelled.csv")
	os.WriteFile(labelled, []byte(lab.String()), 0o644)
	if code, _, e := flowsense(t, "train", "--data", labelled, "--format", "csv", "--drop", "IPV4_SRC_ADDR,IPV4_DST_ADDR,L4_SRC_PORT",
		"--rounds", "5", "--out", filepath.Join(dir, "model"), "--no-run", "--quiet"); code != 0 {
		t.Fatalf("train on collect --out: %s", e)
	}
	return filepath.Join(dir, "model"), len(lines) - 1
}

// TestCollectClassifies runs the collector with a model trained on its
// own CSV: every flow of the exports gets a verdict, as JSON lines and as
// CloudEvents, and a bad datagram is counted and logged.
func TestCollectClassifies(t *testing.T) {
	model, nflows := nfModel(t)
	bad := []byte{0, 9, 0, 1, 2} // a v9 header cut short
	datagrams := append([][]byte{bad}, softflowdExports(t)...)
	for _, format := range []string{"json", "cloudevents"} {
		t.Run(format, func(t *testing.T) {
			sink := filepath.Join(t.TempDir(), "verdicts")
			stderr := collectRun(t, datagrams, "--model", model, "--sink", sink, "--format", format)
			if !strings.Contains(stderr, "bad datagram: collect: 127.0.0.1:") || !strings.Contains(stderr, "truncated") {
				t.Errorf("the bad datagram is not logged: %s", stderr)
			}
			m := regexp.MustCompile(`(\d+) datagrams \((\d+) bad, (\d+) dropped\), \d+ records, (\d+) flows, (\d+) verdicts`).FindStringSubmatch(stderr)
			if m == nil {
				t.Fatalf("no summary: %s", stderr)
			}
			n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
			if n(1) != len(datagrams) || n(2) != 1 || n(3) != 0 || n(4) != nflows || n(5) != nflows {
				t.Errorf("summary %q: want %d datagrams, 1 bad, %d flows and verdicts", m[0], len(datagrams), nflows)
			}
			f, err := os.Open(sink)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			lines := 0
			for sc.Scan() {
				lines++
				var c cloudevents.Classification
				if format == "json" {
					var v struct {
						Exporter       string                     `json:"exporter"`
						Features       map[string]any             `json:"features"`
						Classification cloudevents.Classification `json:"classification"`
					}
					if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
						t.Fatalf("line %d: %v", lines, err)
					}
					if len(v.Features) != 43 || v.Exporter == "" {
						t.Fatalf("line %d: %d features, exporter %q", lines, len(v.Features), v.Exporter)
					}
					c = v.Classification
				} else {
					var e event.Event
					if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
						t.Fatalf("line %d: %v", lines, err)
					}
					if err := e.Validate(); err != nil || e.Type() != cloudevents.TypeClassified || e.Extensions()["verdict"] == nil {
						t.Fatalf("line %d: %v, type %q, extensions %v", lines, err, e.Type(), e.Extensions())
					}
					if err := json.Unmarshal(e.Data(), &c); err != nil {
						t.Fatalf("line %d data: %v", lines, err)
					}
				}
				if (c.Label != "benign" && c.Label != "scan") || c.Verdict == "" || len(c.Probabilities) != 2 {
					t.Fatalf("line %d: %+v", lines, c)
				}
			}
			if lines != nflows {
				t.Errorf("%d verdicts for %d flows", lines, nflows)
			}
		})
	}
}

func TestCollectBadUsage(t *testing.T) {
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no listen":          {[]string{"collect", "--out", "x.csv"}, "--listen is required"},
		"neither":            {[]string{"collect", "--listen", "udp://127.0.0.1:0"}, "--model (to classify) or --out"},
		"format":             {[]string{"collect", "--listen", "udp://127.0.0.1:0", "--out", "x", "--format", "xml"}, "want json or cloudevents"},
		"tcp":                {[]string{"collect", "--listen", "tcp://127.0.0.1:0", "--out", filepath.Join(t.TempDir(), "x")}, "only udp://"},
		"not an NF-v2 model": {[]string{"collect", "--listen", "udp://127.0.0.1:0", "--model", "MODEL"}, "are not NetFlow-v2 features"},
	} {
		t.Run(name, func(t *testing.T) {
			args := c.args
			if args[len(args)-1] == "MODEL" {
				dir, _ := trained(t) // CICFlowMeter-style columns
				args[len(args)-1] = filepath.Join(dir, "model")
			}
			code, _, stderr := flowsense(t, args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, %q; want 2 and %q", code, stderr, c.want)
			}
		})
	}
}
