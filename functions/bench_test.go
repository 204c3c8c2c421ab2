package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// benchServe posts body to path through the handler in process, b.N times.
func benchServe(b *testing.B, path string, h http.Header, body []byte) {
	benchServeOn(b, newTestServer(b), path, h, body)
}

// benchServeOn is benchServe on server s.
func benchServeOn(b *testing.B, s *Server, path string, h http.Header, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header = h
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func benchFlows(b testing.TB, n int) []byte {
	flows := sampleFlows(b)
	all := []any{flows["BENIGN"], flows["Brute Force"], flows["Exfiltration"], flows["PortScan"], flows["SYN Flood"], flows["Slow DoS"]}
	var arr []any
	for i := range n {
		arr = append(arr, all[i%len(all)])
	}
	if n == 1 {
		body, _ := json.Marshal(arr[0])
		return body
	}
	body, _ := json.Marshal(arr)
	return body
}

func BenchmarkPredictJSON_1flow(b *testing.B) {
	benchServe(b, "/predict", http.Header{"Content-Type": {"application/json"}}, benchFlows(b, 1))
}

func BenchmarkPredictJSON_100flows(b *testing.B) {
	benchServe(b, "/predict", http.Header{"Content-Type": {"application/json"}}, benchFlows(b, 100))
}

func BenchmarkEventBinary_1flow(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"b"}, "Ce-Source": {"/b"}, "Ce-Type": {"io.flowsense.flow.v1"}}
	benchServe(b, "/", h, benchFlows(b, 1))
}

func BenchmarkPredictCSV_6rows(b *testing.B) {
	r := readReq(b, "predict_csv")
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	benchServe(b, "/predict", http.Header{"Content-Type": {"text/csv"}}, body.Bytes())
}

// benchLoopback posts body over loopback TCP from 16 concurrent clients
// (wrk -c16's shape) to Serve; ns/op is the inverse of requests/s.
func benchLoopback(b *testing.B, body []byte) {
	s := newTestServer(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, s) }()
	defer func() {
		cancel()
		<-done
	}()
	url := "http://" + ln.Addr().String() + "/predict"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func BenchmarkLoopbackJSON_1flow_c16(b *testing.B) { benchLoopback(b, benchFlows(b, 1)) }

func BenchmarkLoopbackJSON_100flows_c16(b *testing.B) { benchLoopback(b, benchFlows(b, 100)) }

func BenchmarkEventBatch_100events(b *testing.B) {
	flows := sampleFlows(b)
	var evs []map[string]any
	for i := range 100 {
		evs = append(evs, map[string]any{"specversion": "1.0", "id": "e" + strconv.Itoa(i), "source": "/b",
			"type": "io.flowsense.flow.v1", "datacontenttype": "application/json", "data": flows["PortScan"]})
	}
	body, _ := json.Marshal(evs)
	benchServe(b, "/", http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, body)
}

// BenchmarkExplainRatio_1flow posts the same flow to /predict and to
// /predict?explain=5 on the test model with covers, alternately, and
// reports each per request and their ratio: the cost of asking why.
func BenchmarkExplainRatio_1flow(b *testing.B) {
	s, _ := newExplainServer(b)
	body := benchFlows(b, 1)
	run := func(path string) time.Duration {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	plain := run("/predict")
	explained := run("/predict?explain=5")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/req")
	b.ReportMetric(float64(explained.Nanoseconds())/float64(b.N), "explain-ns/req")
	b.ReportMetric(float64(explained)/float64(plain), "explain/plain")
}

// benchOIPExplainRatio posts the same [n, F] inference request to
// /v2/models/{name}/infer without and with the parameter explain=5, on
// the test model with covers, alternately, and reports each per request
// and their ratio: the cost of asking why over the Open Inference
// Protocol.
func benchOIPExplainRatio(b *testing.B, n int) {
	s, _ := newExplainServer(b)
	_, rows, _ := explainFlows(b, s, 1)
	for len(rows) < n*s.nf {
		rows = append(rows, rows...)
	}
	rows = rows[:n*s.nf]
	path := "/v2/models/" + s.OIPModelName() + "/infer"
	plainBody, explainBody := npRequest(s, rows, nil), npRequest(s, rows, map[string]any{"explain": 5})
	run := func(body []byte) time.Duration {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	plain := run(plainBody)
	explained := run(explainBody)
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/req")
	b.ReportMetric(float64(explained.Nanoseconds())/float64(b.N), "explain-ns/req")
	b.ReportMetric(float64(explained)/float64(plain), "explain/plain")
}

func BenchmarkOIPExplainRatio_1flow(b *testing.B)    { benchOIPExplainRatio(b, 1) }
func BenchmarkOIPExplainRatio_100flows(b *testing.B) { benchOIPExplainRatio(b, 100) }
