package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/eval"
	"github.com/flowsense/flowsense/wasm/abi"
)

// function is a real functions.Server with the functionstest model.
type function struct {
	srv   *functions.Server
	model *model.Model
	md    *abi.Metadata
}

func newFunction(t testing.TB) *function {
	t.Helper()
	m, err := functionstest.Model()
	if err != nil {
		t.Fatal(err)
	}
	b, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := functions.New(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return &function{srv: srv, model: m, md: srv.Metadata()}
}

// serve starts the function over loopback.
func (f *function) serve(t testing.TB) *httptest.Server {
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	return ts
}

// flows writes rows synthetic flows (seed, with a fraction of novel rows
// whose label the model does not know) and reads them against the
// model's schema, as flowsense eval reads its --data.
func flows(t testing.TB, m *model.Model, rows int, seed uint64, novel float64) *flowdata.Dataset {
	t.Helper()
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.Options{Rows: rows, Seed: seed, Novel: novel}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "flows.csv")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := flowdata.Read([]string{p}, flowdata.Options{Schema: &m.Schema})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// evalMetrics is what flowsense eval computes on ds: the reference
// predictor's classes scored by eval.Evaluate against the labels.
func evalMetrics(t testing.TB, m *model.Model, ds *flowdata.Dataset) eval.Metrics {
	t.Helper()
	pred, err := artifact.PredictColumns(context.Background(), artifact.NewNative(m), ds.Columns, ds.Rows)
	if err != nil {
		t.Fatal(err)
	}
	met, _, err := eval.Evaluate(m.Classes, ds.LabelsIn(m.Classes), pred.Class, pred.Probs)
	if err != nil {
		t.Fatal(err)
	}
	return met
}

// syncBuffer is a bytes.Buffer safe for the live goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeClock advances only when slept on.
type fakeClock struct {
	mu  sync.Mutex
	now int64 // ns since the epoch of the test
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Unix(0, c.now)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now += int64(d)
	c.mu.Unlock()
}

func nan() float64 { return math.NaN() }

// feedbackRecorder is a /feedback endpoint that keeps what it gets.
type feedbackRecorder struct {
	mu  sync.Mutex
	got []feedbackItem
	arr int
}

func (f *feedbackRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad feedback request", http.StatusBadRequest)
		return
	}
	var items []feedbackItem
	arr := len(b) > 0 && b[0] == '['
	if arr {
		err = json.Unmarshal(b, &items)
	} else {
		var one feedbackItem
		err = json.Unmarshal(b, &one)
		items = append(items, one)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.got = append(f.got, items...)
	if arr {
		f.arr++
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (f *feedbackRecorder) reset() {
	f.mu.Lock()
	f.got, f.arr = nil, 0
	f.mu.Unlock()
}

func (f *feedbackRecorder) items() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

func (f *feedbackRecorder) arrays() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.arr
}

// confusion is [truth][predicted] of the feedback received.
func (f *feedbackRecorder) confusion() map[string]map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]map[string]int{}
	for _, it := range f.got {
		if m[it.Truth] == nil {
			m[it.Truth] = map[string]int{}
		}
		m[it.Truth][it.Predicted]++
	}
	return m
}

func errorsIsReply(err error) bool { return errors.Is(err, ErrReply) }
