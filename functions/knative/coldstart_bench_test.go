package function

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// coldStart runs the built binary once and returns the time from exec to
// the first 200 answer to req (made fresh each poll by mk), and the
// process's peak resident set in KiB. Connection refusals and 503s (the
// port is open before Start has loaded the model) are polled through.
func coldStart(b *testing.B, bin, addr string, env []string, mk func() *http.Request) (time.Duration, int64) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"LISTEN_ADDRESS=" + addr}, env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	for {
		resp, err := client.Do(mk())
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				took = time.Since(start)
				if !bytes.Contains(body, []byte(`"label"`)) && resp.Header.Get("Ce-Type") == "" {
					b.Fatalf("first answer is not a classification: %s", body)
				}
				break
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				b.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		}
		if time.Since(start) > 30*time.Second {
			b.Fatal("no answer 30 s after exec")
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("exit after SIGTERM: %v", err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	b.StartTimer()
	return took, rss
}

// BenchmarkColdStart measures cmd/flowsense-fn from process exec to the
// first classified answer (the embedded model, func-go's http.Start), for
// a binary CloudEvent and for a plain JSON flow on /predict. ms/start is
// the mean time to that answer; peak-RSS-MB the largest resident set of
// the runs.
func BenchmarkColdStart(b *testing.B) {
	bin := fnBinary(b)
	flow := []byte(`{"Dst Port": 80, "Protocol": 6, "Total Fwd Packet": 1, "SYN Flag Count": 1}`)
	cases := map[string]func(base string) *http.Request{
		"cloudEvent_binary": func(base string) *http.Request {
			req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(flow))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Ce-Specversion", "1.0")
			req.Header.Set("Ce-Id", "cold-1")
			req.Header.Set("Ce-Source", "/bench")
			req.Header.Set("Ce-Type", "io.flowsense.flow.v1")
			return req
		},
		"json_predict": func(base string) *http.Request {
			req, _ := http.NewRequest(http.MethodPost, base+"/predict", bytes.NewReader(flow))
			req.Header.Set("Content-Type", "application/json")
			return req
		},
	}
	for name, mk := range cases {
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			var peak int64
			for b.Loop() {
				addr := freeAddr(b)
				took, rss := coldStart(b, bin, addr, nil, func() *http.Request { return mk("http://" + addr) })
				total += took
				peak = max(peak, rss)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/start")
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
		})
	}
}
