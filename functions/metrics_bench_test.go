package functions

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
)

// benchMetrics times what the metrics add to a request of n flows (the
// latency, batch size, class and verdict, outlier score and drift bins),
// without the request: compare with BenchmarkPredictJSON_* in the same run.
func benchMetrics(b *testing.B, n int) {
	s := newTestServer(b)
	flows := benchFlows(b, n)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(flows))
	req.Header.Set("Content-Type", "application/json")
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
	fl, err := s.dec.Decode(flows, nil)
	if err != nil {
		b.Fatal(err)
	}
	res := make([]model.Result, fl.N)
	if err := s.mod.Classify(context.Background(), fl.Rows, res); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		s.metrics.observeFlows(fl.Rows, s.nf, res)
		s.metrics.batch.Observe(float64(fl.N))
		s.metrics.observeRequest(req.URL.Path, requestEncoding(req), time.Since(start))
	}
}

func BenchmarkMetrics_1flow(b *testing.B) { benchMetrics(b, 1) }

func BenchmarkMetrics_100flows(b *testing.B) { benchMetrics(b, 100) }

// BenchmarkScrape: one GET /metrics after traffic (drift PSI is computed
// here, not on the hot path).
func BenchmarkScrape(b *testing.B) {
	s := newTestServer(b)
	trafficAndFeedback(b, s)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
