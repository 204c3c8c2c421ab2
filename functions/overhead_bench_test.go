package functions

import (
	"context"
	"net/http"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/model"
)

// constPredictor answers every row with the same probabilities at once: a
// module of no cost, so that a benchmark through it times the HTTP side
// alone (decoding, encoding, ids, metrics). It wraps the real module for
// its metadata and Close.
type constPredictor struct {
	artifact.Predictor
	probs []float64
}

func (c *constPredictor) Classify(_ context.Context, rows []float32, out []model.Result) error {
	for i := range out {
		r := &out[i]
		if cap(r.Probabilities) < len(c.probs) {
			r.Probabilities = make([]float64, len(c.probs))
		}
		r.Probabilities = r.Probabilities[:len(c.probs)]
		copy(r.Probabilities, c.probs)
		r.Class, r.Verdict, r.OutlierScore = i%len(c.probs), model.Verdict(i%3), 1.25
	}
	return nil
}

// benchOverhead is benchServe on a server whose module costs nothing.
// Compiles against main's functions too (it uses only Server.mod), so one
// script can time both trees.
func benchOverhead(b *testing.B, n int) {
	s := newTestServer(b)
	md := s.mod.Metadata()
	probs := make([]float64, len(md.Classes))
	for i := range probs {
		probs[i] = 1 / float64(len(probs))
	}
	s.mod = &constPredictor{Predictor: s.mod, probs: probs}
	body := benchFlows(b, n)
	b.ResetTimer()
	benchServeOn(b, s, "/predict", http.Header{"Content-Type": {"application/json"}}, body)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flow")
}

func BenchmarkOverheadJSON_1flow(b *testing.B)    { benchOverhead(b, 1) }
func BenchmarkOverheadJSON_100flows(b *testing.B) { benchOverhead(b, 100) }

// benchDecode times the decoder alone on n of the sample flows (objects
// with their keys sorted, as encoding/json writes maps).
func benchDecode(b *testing.B, n int) {
	s := newTestServer(b)
	body := benchFlows(b, n)
	var rows []float32
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		fl, err := s.dec.Decode(body, rows[:0])
		if err != nil {
			b.Fatal(err)
		}
		rows = fl.Rows
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flow")
}

func BenchmarkDecodeJSON_1flow(b *testing.B)    { benchDecode(b, 1) }
func BenchmarkDecodeJSON_100flows(b *testing.B) { benchDecode(b, 100) }
