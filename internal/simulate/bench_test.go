package simulate

import (
	"context"
	"testing"
)

// BenchmarkRunLoopback_* drive a real function over loopback as fast as
// it answers (no rate limit that binds), b.N flows, 8 requests in flight;
// the client and the function share the machine's cores.
func BenchmarkRunLoopback_JSON_1flow_c8(b *testing.B)          { benchRun(b, ModeJSON, 1) }
func BenchmarkRunLoopback_JSON_16flows_c8(b *testing.B)        { benchRun(b, ModeJSON, 16) }
func BenchmarkRunLoopback_CloudEvents_1flow_c8(b *testing.B)   { benchRun(b, ModeCloudEvents, 1) }
func BenchmarkRunLoopback_CloudEvents_16flows_c8(b *testing.B) { benchRun(b, ModeCloudEvents, 16) }

func benchRun(b *testing.B, mode Mode, batch int) {
	f := newFunction(b)
	ts := f.serve(b)
	ds := flows(b, f.model, 2000, 1, 0)
	b.ReportAllocs()
	b.ResetTimer()
	s, err := Run(context.Background(), ds, f.md, Options{Target: ts.URL, Mode: mode, Batch: batch, Count: b.N, Rate: 1e9, Concurrency: 8})
	if err != nil {
		b.Fatal(err)
	}
	if s.OK != b.N {
		b.Fatalf("ok %d of %d: %v", s.OK, b.N, s.Errors)
	}
	b.ReportMetric(s.Rate, "flows/s")
	b.ReportMetric(s.Latency.P99, "p99-ms")
}
