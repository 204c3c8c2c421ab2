package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowsense/flowsense/trainer/eval"
)

// TestAccuracyEqualsEval sends a whole file once to a real function over
// loopback and checks that the simulator's accuracy and confusion are
// those flowsense eval computes on the same file, in both modes, one flow
// or several per request, in file order or shuffled.
func TestAccuracyEqualsEval(t *testing.T) {
	f := newFunction(t)
	// Count the requests by how they came: binary-mode events carry Ce-*
	// headers and the flows as plain JSON; JSON goes to /predict.
	var binary, plain atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/" && r.Header.Get("Ce-Type") == "io.flowsense.flow.v1" && r.Header.Get("Ce-Source") == Source &&
			r.Header.Get("Ce-Id") != "" && r.Header.Get("Content-Type") == "application/json":
			binary.Add(1)
		case r.URL.Path == "/predict" && r.Header.Get("Content-Type") == "application/json":
			plain.Add(1)
		}
		f.srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	ds := flows(t, f.model, 700, 11, 0.03) // with labels the model does not know
	met := evalMetrics(t, f.model, ds)
	if met.Accuracy == 1 || met.Accuracy < 0.5 {
		t.Fatalf("eval accuracy %v: the check needs some mistakes and some hits", met.Accuracy)
	}
	for name, o := range map[string]Options{
		"json":              {Mode: ModeJSON},
		"json batch 7 file": {Mode: ModeJSON, Batch: 7, Order: OrderFile},
		"cloudevents":       {Mode: ModeCloudEvents},
		"cloudevents batch": {Mode: ModeCloudEvents, Batch: 5, Seed: 3},
	} {
		t.Run(name, func(t *testing.T) {
			o.Target, o.Count, o.Rate, o.Concurrency = ts.URL, ds.Rows, 1e6, 4
			binary.Store(0)
			plain.Store(0)
			s, err := Run(context.Background(), ds, f.md, o)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[Mode]*atomic.Int64{ModeJSON: &plain, ModeCloudEvents: &binary}[o.Mode]; want.Load() != int64(s.Requests) || binary.Load()+plain.Load() != int64(s.Requests) {
				t.Errorf("%d requests: %d binary events, %d JSON to /predict", s.Requests, binary.Load(), plain.Load())
			}
			if s.Sent != ds.Rows || s.OK != ds.Rows || len(s.Errors) != 0 || s.Interrupted {
				t.Fatalf("sent %d ok %d errors %v interrupted %v, want %d answered", s.Sent, s.OK, s.Errors, s.Interrupted, ds.Rows)
			}
			if b := max(o.Batch, 1); s.Requests != (ds.Rows+b-1)/b {
				t.Errorf("%d requests, want %d", s.Requests, (ds.Rows+b-1)/b)
			}
			if s.Accuracy == nil || *s.Accuracy != met.Accuracy {
				t.Fatalf("accuracy %v, eval says %v", s.Accuracy, met.Accuracy)
			}
			checkConfusion(t, met, s)
		})
	}
}

// checkConfusion compares the summary's confusion with eval's (whose last
// row, when present, gathers the labels the model does not know).
func checkConfusion(t *testing.T, met eval.Metrics, s *Summary) {
	t.Helper()
	k := len(met.Classes)
	known := map[string]bool{}
	for _, c := range met.Classes {
		known[c] = true
	}
	unknown := make([]int, k)
	for truth, row := range s.Confusion {
		if !known[truth] {
			for p, n := range row {
				unknown[indexOf(met.Classes, p)] += n
			}
		}
	}
	for ti, row := range met.Confusion {
		for pi, n := range row {
			got := 0
			if ti < k {
				got = s.Confusion[met.Classes[ti]][met.Classes[pi]]
			} else {
				got = unknown[pi]
			}
			if got != n {
				t.Errorf("confusion[%d][%s] = %d, eval says %d", ti, met.Classes[pi], got, n)
			}
		}
	}
	for c, cm := range met.PerClass {
		if c != eval.UnknownClass && s.Classes[c].Truth != cm.Support {
			t.Errorf("class %s: %d flows, eval's support %d", c, s.Classes[c].Truth, cm.Support)
		}
	}
}

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

// TestFailuresAreCounted points the simulator at targets that fail in
// every way a request can, in both modes: each failure is counted under
// its kind, none is returned, nothing panics.
func TestFailuresAreCounted(t *testing.T) {
	f := newFunction(t)
	ds := flows(t, f.model, 50, 2, 0)
	status := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(code)
			io.WriteString(w, `{"status":`+fmt.Sprint(code)+`}`)
		})
	}
	hangUp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	})
	garbage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"not":"a classification"`)
	})
	// A port nothing listens on: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	cases := map[string]struct {
		h    http.Handler // nil: the closed port
		kind string
	}{
		"500":         {status(500), "http 500"},
		"415":         {status(415), "http 415"},
		"reply":       {garbage, "reply"},
		"hang up":     {hangUp, "transport"},
		"unreachable": {nil, "connect"},
	}
	for name, c := range cases {
		for _, mode := range []Mode{ModeJSON, ModeCloudEvents} {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				target := closed
				if c.h != nil {
					ts := httptest.NewServer(c.h)
					defer ts.Close()
					target = ts.URL
				}
				s, err := Run(context.Background(), ds, f.md, Options{Target: target, Mode: mode, Count: 20, Rate: 1e6, Concurrency: 2, Batch: 2})
				if err != nil {
					t.Fatal(err)
				}
				want := c.kind
				if mode == ModeCloudEvents && c.h != nil && name == "reply" {
					want = "reply" // a 2xx answer that is no event
				}
				if s.Sent != 20 || s.OK != 0 || s.Errors[want] != 20 || len(s.Errors) != 1 {
					t.Fatalf("sent %d ok %d errors %v, want 20 under %q", s.Sent, s.OK, s.Errors, want)
				}
				if s.Accuracy != nil {
					t.Errorf("accuracy %v with nothing answered", *s.Accuracy)
				}
			})
		}
	}
}

func TestFetchModel(t *testing.T) {
	f := newFunction(t)
	ts := f.serve(t)
	md, err := FetchModel(context.Background(), nil, ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Schema.Features) != len(f.model.Schema.Features) || strings.Join(md.Classes, ",") != strings.Join(f.model.Classes, ",") {
		t.Fatalf("metadata: %d features, classes %v", len(md.Schema.Features), md.Classes)
	}
	notFlowsense := httptest.NewServer(http.NotFoundHandler())
	defer notFlowsense.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for name, target := range map[string]string{"404": notFlowsense.URL, "unreachable": closed} {
		t.Run(name, func(t *testing.T) {
			_, err := FetchModel(context.Background(), nil, target)
			if !errors.Is(err, ErrTarget) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line wrapping ErrTarget", err)
			}
		})
	}
}

// TestFeedbackSent checks that the feedback a target receives is the
// returned and true label of every scored flow, as objects or arrays.
func TestFeedbackSent(t *testing.T) {
	f := newFunction(t)
	rec := &feedbackRecorder{}
	mux := http.NewServeMux()
	mux.Handle("/", f.srv)
	mux.Handle("/feedback", rec)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	ds := flows(t, f.model, 300, 5, 0)
	for name, o := range map[string]Options{
		"one per request": {Batch: 1},
		"arrays":          {Batch: 4, Mode: ModeCloudEvents, OutlierFraction: 0.2, Seed: 9},
	} {
		t.Run(name, func(t *testing.T) {
			rec.reset()
			o.Target, o.Count, o.Rate, o.Concurrency, o.Feedback = ts.URL, 300, 1e6, 3, true
			s, err := Run(context.Background(), ds, f.md, o)
			if err != nil {
				t.Fatal(err)
			}
			got := rec.confusion()
			if s.Feedback == nil || s.Feedback.OK != s.Scored || s.Feedback.Sent != s.Scored || len(s.Feedback.Errors) != 0 {
				t.Fatalf("feedback %+v, %d scored", s.Feedback, s.Scored)
			}
			n := 0
			for truth, row := range s.Confusion {
				for p, k := range row {
					n += k
					if got[truth][p] != k {
						t.Errorf("feedback (%s, %s): %d, the summary says %d", p, truth, got[truth][p], k)
					}
				}
			}
			if rec.items() != n {
				t.Errorf("%d feedback items for %d scored flows", rec.items(), n)
			}
			if o.Batch > 1 && rec.arrays() == 0 {
				t.Error("no feedback array was sent for answers of several flows")
			}
		})
	}
}

// TestFeedbackNotFound runs against a function without /feedback: the
// notice is given once, not per request, and the run goes on.
func TestFeedbackNotFound(t *testing.T) {
	f := newFunction(t)
	// a function without the feedback endpoint (an older build)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feedback" {
			http.NotFound(w, r)
			return
		}
		f.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	ds := flows(t, f.model, 200, 6, 0)
	var live syncBuffer
	s, err := Run(context.Background(), ds, f.md, Options{Target: ts.URL, Count: 200, Rate: 1e6, Concurrency: 4, Feedback: true, Live: &live})
	if err != nil {
		t.Fatal(err)
	}
	if s.OK != 200 {
		t.Fatalf("ok %d, errors %v", s.OK, s.Errors)
	}
	if n := strings.Count(live.String(), "no feedback endpoint"); n != 1 {
		t.Errorf("the 404 notice appears %d times:\n%s", n, live.String())
	}
	if s.Feedback == nil || s.Feedback.Disabled == "" || s.Feedback.Errors["http 404"] == 0 || s.Feedback.Errors["http 404"] > 4 {
		t.Errorf("feedback %+v: want disabled after at most one 404 per worker", s.Feedback)
	}
}

// TestInterrupt stops a run early: the summary comes back, marked.
func TestInterrupt(t *testing.T) {
	f := newFunction(t)
	ds := flows(t, f.model, 100, 4, 0)
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 10 {
			cancel()
		}
		f.srv.ServeHTTP(w, r)
	})
	stop := httptest.NewServer(h)
	defer stop.Close()
	s, err := Run(ctx, ds, f.md, Options{Target: stop.URL, Rate: 200, Duration: time.Hour, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || s.Sent < 10 || s.Sent > 12 || s.OK+s.Errors["interrupted"] != s.Sent {
		t.Fatalf("interrupted %v, sent %d, ok %d, errors %v", s.Interrupted, s.Sent, s.OK, s.Errors)
	}
}

func TestBadOptions(t *testing.T) {
	f := newFunction(t)
	ds := flows(t, f.model, 20, 1, 0)
	neg, big := -0.1, 1.5
	for name, c := range map[string]struct {
		o      Options
		option string
	}{
		"no target":         {Options{}, "target"},
		"ftp target":        {Options{Target: "ftp://127.0.0.1/"}, "target"},
		"relative target":   {Options{Target: "127.0.0.1:8080"}, "target"},
		"zero rate":         {Options{Rate: -1}, "rate"},
		"NaN rate":          {Options{Rate: nan()}, "rate"},
		"rate too slow":     {Options{Rate: 1e-12}, "rate"},
		"outlier fraction":  {Options{OutlierFraction: 1.01}, "outlier-fraction"},
		"negative outliers": {Options{OutlierFraction: -0.5}, "outlier-fraction"},
		"attack fraction":   {Options{AttackFraction: &big}, "attack-fraction"},
		"negative attacks":  {Options{AttackFraction: &neg}, "attack-fraction"},
		"mode":              {Options{Mode: "grpc"}, "mode"},
		"order":             {Options{Order: "sorted"}, "order"},
		"batch":             {Options{Batch: MaxBatch + 1}, "batch"},
		"concurrency":       {Options{Concurrency: -2}, "concurrency"},
		"count":             {Options{Count: -1}, "count"},
		"duration":          {Options{Duration: -time.Second}, "duration"},
		"outlier scale":     {Options{OutlierScale: -3}, "outlier-scale"},
	} {
		t.Run(name, func(t *testing.T) {
			if c.o.Target == "" && c.option != "target" {
				c.o.Target = "http://127.0.0.1:1"
			}
			_, err := Run(context.Background(), ds, f.md, c.o)
			var oe *OptionError
			if !errors.As(err, &oe) || !errors.Is(err, ErrOption) || oe.Option != c.option || !strings.HasPrefix(err.Error(), "--"+c.option+" ") {
				t.Fatalf("error %v, want an OptionError for --%s", err, c.option)
			}
		})
	}
	t.Run("attack fraction without attacks", func(t *testing.T) {
		half := 0.5
		benignOnly := *ds
		benignOnly.Classes = []string{"BENIGN"}
		benignOnly.Y = make([]int32, ds.Rows)
		_, err := Run(context.Background(), &benignOnly, f.md, Options{Target: "http://127.0.0.1:1", AttackFraction: &half})
		if !errors.Is(err, ErrData) {
			t.Fatalf("error %v, want ErrData", err)
		}
	})
}

// TestRunPacedByClock runs a whole simulation on a fake clock that moves
// only when the pacer waits: the flows sent in the run's 2 s are what the
// rate allows, however fast the real function answers.
func TestRunPacedByClock(t *testing.T) {
	f := newFunction(t)
	ts := f.serve(t)
	ds := flows(t, f.model, 100, 7, 0)
	for name, c := range map[string]struct {
		rate  float64
		batch int
	}{
		"40/s":            {40, 1},
		"150/s in threes": {150, 3},
		"7.5/s":           {7.5, 1},
	} {
		t.Run(name, func(t *testing.T) {
			o := Options{Target: ts.URL, Rate: c.rate, Batch: c.batch, Duration: 2 * time.Second, Concurrency: 2, clock: &fakeClock{}}
			s, err := Run(context.Background(), ds, f.md, o)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := 2*c.rate-float64(c.batch), 2*c.rate+float64(c.batch)
			if float64(s.Sent) < lo || float64(s.Sent) > hi || s.OK != s.Sent {
				t.Fatalf("sent %d (ok %d) in 2 fake seconds at %v/s: want %v to %v", s.Sent, s.OK, c.rate, lo, hi)
			}
		})
	}
}
