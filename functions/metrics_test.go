package functions

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/model"
)

// scrape GETs /metrics and parses the text format.
func scrape(t testing.TB, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// sample finds the series of a family with the given labels (others may
// be present); nil when there is none.
func sample(mfs map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value; NaN when the series is absent.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m := sample(mfs, name, labels...)
	switch {
	case m == nil:
		return math.NaN()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return math.NaN()
}

// post sends a request through the handler.
func post(t testing.TB, h http.Handler, path string, hdr http.Header, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// synthCSV is n synthetic flows drawn as the test model's training data
// was (flowdata/synth), with another seed.
func synthCSV(t testing.TB, n int, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.Options{Rows: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMetricsPredictions: every classification answered is counted under
// its label and verdict; batch sizes, outlier scores and latency by
// endpoint and encoding move with the requests.
func TestMetricsPredictions(t *testing.T) {
	s := newTestServer(t)
	before := scrape(t, s)
	for _, name := range []string{"flowsense_predictions_total", "flowsense_feedback_total", "flowsense_model_info"} {
		if before[name] == nil {
			t.Errorf("%s is not exported before any traffic", name)
		}
	}
	if before["flowsense_feature_drift_psi"] != nil {
		t.Error("drift is reported before any flow")
	}

	want := map[[2]string]float64{}
	count := func(rec *httptest.ResponseRecorder) {
		t.Helper()
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var many []cloudevents.Classification
		if err := json.Unmarshal(rec.Body.Bytes(), &many); err != nil {
			var one cloudevents.Classification
			if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
				t.Fatal(err)
			}
			many = []cloudevents.Classification{one}
		}
		for _, c := range many {
			want[[2]string{c.Label, c.Verdict}]++
		}
	}
	flows := sampleFlows(t)
	var all []any
	for _, f := range flows {
		one, _ := json.Marshal(f)
		count(post(t, s, "/predict", jsonHeader, one))
		all = append(all, f)
	}
	arr, _ := json.Marshal(all)
	count(post(t, s, "/predict", jsonHeader, arr))
	csvBody := synthCSV(t, 300, 11)
	count(post(t, s, "/predict", http.Header{"Content-Type": {"text/csv"}}, csvBody))
	ce := http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/t"}, "Ce-Type": {cloudevents.TypeFlow}}
	rec := post(t, s, "/", ce, arr)
	if rec.Code != http.StatusOK {
		t.Fatalf("binary event: %d %s", rec.Code, rec.Body)
	}
	count(rec)
	post(t, s, "/predict", http.Header{"Content-Type": {"text/plain"}}, arr) // 415: counts latency only

	mfs := scrape(t, s)
	total := 0.0
	for k, n := range want {
		if got := value(mfs, "flowsense_predictions_total", "class", k[0], "verdict", k[1]); got != n {
			t.Errorf("predictions{class=%q,verdict=%q} = %v, want %v", k[0], k[1], got, n)
		}
		total += n
	}
	var sum float64
	for _, m := range mfs["flowsense_predictions_total"].GetMetric() {
		sum += m.GetCounter().GetValue()
	}
	if sum != total {
		t.Errorf("predictions sum to %v, want %v", sum, total)
	}

	h := sample(mfs, "flowsense_batch_flows").GetHistogram()
	if wantN, wantSum := uint64(len(flows)+3), float64(2*len(flows)+300+len(flows)); h.GetSampleCount() != wantN || h.GetSampleSum() != wantSum {
		t.Errorf("batch sizes: %d requests, %v flows; want %d, %v", h.GetSampleCount(), h.GetSampleSum(), wantN, wantSum)
	}
	if got := sample(mfs, "flowsense_outlier_score").GetHistogram().GetSampleCount(); float64(got) != total {
		t.Errorf("outlier scores: %d, want %v", got, total)
	}
	for _, c := range []struct {
		endpoint, encoding string
		n                  uint64
	}{{"/predict", "json", uint64(len(flows) + 1)}, {"/predict", "csv", 1}, {"/", "binary", 1}, {"/predict", "other", 1}, {"/metrics", "none", 1}} {
		got := sample(mfs, "flowsense_request_duration_seconds", "endpoint", c.endpoint, "encoding", c.encoding).GetHistogram().GetSampleCount()
		if got != c.n {
			t.Errorf("latency{endpoint=%q,encoding=%q}: %d requests, want %d", c.endpoint, c.encoding, got, c.n)
		}
	}
	md := s.Metadata()
	if info := sample(mfs, "flowsense_model_info", "name", md.Name, "sha256", md.ModelSHA256, "trainer_version", md.TrainerVersion); info == nil || info.GetGauge().GetValue() != 1 {
		t.Errorf("model info: %v", info)
	}
}

// TestMetricsFeedback: feedback by JSON and by every event encoding lands
// in the confusion counts and the rolling accuracy; a batch that mixes
// flows and feedback answers the flows only.
func TestMetricsFeedback(t *testing.T) {
	s := newTestServer(t, WithUnverifiedFeedback())
	confusion := map[[2]string]float64{}
	var right, all float64
	add := func(p, tr string) {
		confusion[[2]string{p, tr}]++
		all++
		if p == tr {
			right++
		}
	}

	items := []cloudevents.Feedback{{Predicted: "PortScan", Truth: "PortScan"}, {Predicted: "BENIGN", Truth: "Slow DoS"}, {Predicted: "BENIGN", Truth: "BENIGN"}}
	body, _ := json.Marshal(items)
	rec := post(t, s, "/feedback", jsonHeader, body)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /feedback: %d %s", rec.Code, rec.Body)
	}
	var sum FeedbackSummary
	if err := json.Unmarshal(rec.Body.Bytes(), &sum); err != nil || sum != (FeedbackSummary{Accepted: 3, Correct: 2}) {
		t.Errorf("summary %s (%v), want 3 accepted, 2 correct", rec.Body, err)
	}
	for _, it := range items {
		add(it.Predicted, it.Truth)
	}
	if rec := post(t, s, "/feedback", jsonHeader, []byte(`{"predicted": "SYN Flood", "truth": "Brute Force"}`)); rec.Code != http.StatusOK {
		t.Fatalf("one item: %d %s", rec.Code, rec.Body)
	}
	add("SYN Flood", "Brute Force")

	bin := http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"f1"}, "Ce-Source": {"/t"}, "Ce-Type": {cloudevents.TypeFeedback}}
	rec = post(t, s, "/", bin, []byte(`{"predicted": "Exfiltration", "truth": "Exfiltration"}`))
	if rec.Code != http.StatusAccepted || rec.Body.Len() != 0 || rec.Header().Get("Ce-Type") != "" {
		t.Fatalf("binary feedback: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	add("Exfiltration", "Exfiltration")
	structured := fmt.Sprintf(`{"specversion": "1.0", "id": "f2", "source": "/t", "type": %q, "data": [{"predicted": "BENIGN", "truth": "PortScan"}]}`, cloudevents.TypeFeedback)
	rec = post(t, s, "/", http.Header{"Content-Type": {cloudevents.MediaTypeStructured}}, []byte(structured))
	if rec.Code != http.StatusAccepted || rec.Body.Len() != 0 {
		t.Fatalf("structured feedback: %d %q", rec.Code, rec.Body)
	}
	add("BENIGN", "PortScan")

	flow, _ := json.Marshal(sampleFlows(t)["PortScan"])
	batch := fmt.Sprintf(`[{"specversion": "1.0", "id": "b1", "source": "/t", "type": %[1]q, "data": {"predicted": "Slow DoS", "truth": "Slow DoS"}},
		{"specversion": "1.0", "id": "b2", "source": "/t", "type": %[2]q, "data": %[3]s},
		{"specversion": "1.0", "id": "b3", "source": "/t", "type": %[1]q, "data": {"predicted": "Slow DoS", "truth": "BENIGN"}}]`, cloudevents.TypeFeedback, cloudevents.TypeFlow, flow)
	rec = post(t, s, "/", http.Header{"Content-Type": {cloudevents.MediaTypeBatch}}, []byte(batch))
	var replies []map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &replies) != nil || len(replies) != 1 || replies[0]["subject"] != "b2" {
		t.Fatalf("mixed batch: %d %s", rec.Code, rec.Body)
	}
	add("Slow DoS", "Slow DoS")
	add("Slow DoS", "BENIGN")
	onlyFeedback := fmt.Sprintf(`[{"specversion": "1.0", "id": "b4", "source": "/t", "type": %q, "data": {"predicted": "BENIGN", "truth": "BENIGN"}}]`, cloudevents.TypeFeedback)
	if rec := post(t, s, "/", http.Header{"Content-Type": {cloudevents.MediaTypeBatch}}, []byte(onlyFeedback)); rec.Code != http.StatusAccepted || rec.Body.Len() != 0 {
		t.Fatalf("feedback batch: %d %q", rec.Code, rec.Body)
	}
	add("BENIGN", "BENIGN")

	// Handle (the Knative entry point) counts and has no reply.
	e := newEvent(t, cloudevents.TypeFeedback, cloudevents.Feedback{Predicted: "PortScan", Truth: "SYN Flood"})
	if reply, err := s.Handle(context.Background(), e); err != nil || reply != nil {
		t.Fatalf("Handle: %v %v", reply, err)
	}
	add("PortScan", "SYN Flood")

	mfs := scrape(t, s)
	classes := s.Metadata().Classes
	for _, p := range classes {
		for _, tr := range classes {
			if got := value(mfs, "flowsense_feedback_total", "predicted", p, "truth", tr); got != confusion[[2]string{p, tr}] {
				t.Errorf("feedback{predicted=%q,truth=%q} = %v, want %v", p, tr, got, confusion[[2]string{p, tr}])
			}
		}
	}
	if got := value(mfs, "flowsense_feedback_rolling_accuracy"); math.Abs(got-right/all) > 1e-12 {
		t.Errorf("rolling accuracy %v, want %v/%v", got, right, all)
	}
	if got := value(mfs, "flowsense_feedback_window_items"); got != all {
		t.Errorf("window %v items, want %v", got, all)
	}
}

func newEvent(t testing.TB, typ string, data any) event.Event {
	t.Helper()
	e := event.New()
	e.SetID("h")
	e.SetSource("/t")
	e.SetType(typ)
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return e
}

func newEventBody(t testing.TB, typ string, data any) []byte {
	t.Helper()
	d, _ := json.Marshal(data)
	return fmt.Appendf(nil, `{"specversion": "1.0", "id": "h", "source": "/t", "type": %q, "datacontenttype": "application/json", "data": %s}`, typ, d)
}

// TestRollingAccuracyWindow: the accuracy covers the last AccuracyWindow
// items only: wrong ones pushed out by right ones no longer count.
func TestRollingAccuracyWindow(t *testing.T) {
	s := newTestServer(t, WithUnverifiedFeedback())
	send := func(p, tr string, n int) {
		items := make([]cloudevents.Feedback, n)
		for i := range items {
			items[i] = cloudevents.Feedback{Predicted: p, Truth: tr}
		}
		b, _ := json.Marshal(items)
		if rec := post(t, s, "/feedback", jsonHeader, b); rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	if got := value(scrape(t, s), "flowsense_feedback_rolling_accuracy"); !math.IsNaN(got) {
		t.Errorf("accuracy before feedback %v, want NaN", got)
	}
	send("BENIGN", "PortScan", AccuracyWindow)
	send("BENIGN", "BENIGN", AccuracyWindow/4)
	mfs := scrape(t, s)
	if got := value(mfs, "flowsense_feedback_rolling_accuracy"); got != 0.25 {
		t.Errorf("accuracy %v after a window of wrong then a quarter window of right, want 0.25", got)
	}
	if got := value(mfs, "flowsense_feedback_window_items"); got != AccuracyWindow {
		t.Errorf("window %v, want %d", got, AccuracyWindow)
	}
	if got := value(mfs, "flowsense_feedback_total", "predicted", "BENIGN", "truth", "PortScan"); got != AccuracyWindow {
		t.Errorf("confusion count %v, want %d: counters are not windowed", got, AccuracyWindow)
	}
}

// TestAccuracyRingConcurrent: writers racing over the ring keep the count
// of right items exact.
func TestAccuracyRingConcurrent(t *testing.T) {
	cases := map[string]struct{ window, writers, each int }{
		"no wrap":    {window: 1000, writers: 8, each: 100},
		"many wraps": {window: 64, writers: 8, each: 5000},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := newAccuracyRing(tc.window)
			var wg sync.WaitGroup
			for w := range tc.writers {
				wg.Go(func() {
					for i := range tc.each {
						r.add((i+w)%3 == 0)
					}
				})
			}
			wg.Wait()
			right, n := r.value()
			var marked int64
			for i := range r.slots {
				if r.slots[i].Load() == 2 {
					marked++
				}
			}
			if n != int64(min(tc.window, tc.writers*tc.each)) || right != marked {
				t.Errorf("%d right of %d; the slots hold %d right", right, n, marked)
			}
		})
	}
}

// TestMetricsDriftNeedsFlows: no PSI is exported before DriftMinFlows
// flows (a replica just scaled up from zero raises no false alert), every
// feature's once they have come.
func TestMetricsDriftNeedsFlows(t *testing.T) {
	s := newTestServer(t)
	body := synthCSV(t, DriftMinFlows, 9)
	// the header and the first DriftMinFlows-1 rows, then the last one
	lines := bytes.SplitAfter(body, []byte("\n"))
	first := bytes.Join(lines[:DriftMinFlows], nil)
	last := append(append([]byte{}, lines[0]...), lines[DriftMinFlows]...)
	if rec := post(t, s, "/predict", http.Header{"Content-Type": {"text/csv"}}, first); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if mf := scrape(t, s)["flowsense_feature_drift_psi"]; mf != nil {
		t.Fatalf("%d PSI series after %d flows, want none", len(mf.GetMetric()), DriftMinFlows-1)
	}
	if rec := post(t, s, "/predict", http.Header{"Content-Type": {"text/csv"}}, last); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if mf := scrape(t, s)["flowsense_feature_drift_psi"]; mf == nil || len(mf.GetMetric()) != len(s.Metadata().Schema.Features) {
		t.Fatalf("after %d flows: %v, want a PSI per feature", DriftMinFlows, mf)
	}
}

// TestMetricsDrift: the PSI of every feature is near 0 for traffic drawn
// like the training data and large for shifted traffic.
func TestMetricsDrift(t *testing.T) {
	like := synthCSV(t, 3000, 8)
	shifted := shiftCSV(t, like, 8)
	cases := map[string]struct {
		body     []byte
		check    func(maxPSI, meanPSI float64) bool
		describe string
	}{
		"like training": {like, func(mx, _ float64) bool { return mx < 0.1 }, "every PSI < 0.1"},
		"shifted x8":    {shifted, func(_, mean float64) bool { return mean > 0.2 }, "mean PSI > 0.2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t)
			if rec := post(t, s, "/predict", http.Header{"Content-Type": {"text/csv"}}, tc.body); rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			mf := scrape(t, s)["flowsense_feature_drift_psi"]
			if got, want := len(mf.GetMetric()), len(s.Metadata().Schema.Features); got != want {
				t.Fatalf("%d features with a PSI, want %d", got, want)
			}
			var mx, mean float64
			worst := ""
			for _, m := range mf.GetMetric() {
				v := m.GetGauge().GetValue()
				if v < 0 || math.IsNaN(v) {
					t.Errorf("PSI %v for %v", v, m.GetLabel())
				}
				if v > mx {
					mx, worst = v, m.GetLabel()[0].GetValue()
				}
				mean += v / float64(len(mf.GetMetric()))
			}
			t.Logf("max PSI %.4f (%s), mean %.4f", mx, worst, mean)
			if !tc.check(mx, mean) {
				t.Errorf("max PSI %.4f (%s), mean %.4f; want %s", mx, worst, mean, tc.describe)
			}
		})
	}
}

// shiftCSV multiplies every numeric cell of a CSV by k and adds k.
func shiftCSV(t testing.TB, in []byte, k float64) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(in)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for j, c := range rec {
			if v, err := strconv.ParseFloat(c, 64); err == nil && !math.IsInf(v, 0) {
				rec[j] = strconv.FormatFloat(v*k+k, 'g', -1, 64)
			}
		}
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.WriteAll(recs)
	return out.Bytes()
}

// TestPSIBins: values land in the bins model.Histogram describes.
func TestPSIBins(t *testing.T) {
	num := driftFeature{hist: model.Histogram{Edges: []float64{0, 10, 20}, Counts: make([]int64, 4)}, ref: make([]float64, 5)}
	cat := driftFeature{hist: model.Histogram{Counts: make([]int64, 4)}, cat: true, ref: make([]float64, 5)}
	// a numeric feature whose reference was all missing has no edges: one bin
	empty := driftFeature{hist: model.Histogram{Counts: make([]int64, 1)}, ref: make([]float64, 2)}
	nan := float32(math.NaN())
	cases := map[string]struct {
		f    *driftFeature
		v    float32
		want int
	}{
		"below":         {&num, -1, 0},
		"on first edge": {&num, 0, 1},
		"inside":        {&num, 15, 2},
		"on last edge":  {&num, 20, 3},
		"above":         {&num, float32(math.Inf(1)), 3},
		"missing":       {&num, nan, 4},
		"category":      {&cat, 2, 2},
		"unknown code":  {&cat, 3, 3},
		"negative code": {&cat, -1, 3},
		"cat missing":   {&cat, nan, 4},
		"huge code":     {&cat, 1e30, 3},
		"no edges":      {&empty, 5, 0},
		"no edges, NaN": {&empty, nan, 1},
	}
	for name, tc := range cases {
		if got := tc.f.bin(tc.v); got != tc.want {
			t.Errorf("%s: bin %d, want %d", name, got, tc.want)
		}
	}
}

// TestColdStart: the cold start is the time from WithStartTime to New
// returning.
func TestColdStart(t *testing.T) {
	begin := time.Now()
	s := newTestServer(t, WithStartTime(begin.Add(-3*time.Second)))
	elapsed := time.Since(begin)
	got := value(scrape(t, s), "flowsense_cold_start_seconds")
	if got < 3 || got > 3+elapsed.Seconds() {
		t.Errorf("cold start %v s, want between 3 and %v", got, 3+elapsed.Seconds())
	}
	if d := time.Since(processStart); d <= 0 || d > time.Hour {
		t.Errorf("process started %v ago", d)
	}
}

// TestParseStart: the process's age from /proc/self/stat's starttime
// (field 22, counted after the command name, which may hold spaces and
// parentheses) against /proc/uptime, in ticks of 10 ms.
func TestParseStart(t *testing.T) {
	// fields 3 to 21, then starttime 12345 ticks (123.45 s after boot)
	rest := " S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 8 0 12345 1000000 500"
	cases := map[string]struct {
		stat, up string
		age      time.Duration
		ok       bool
	}{
		"plain":               {"42 (flowsense)" + rest, "125.95 300.00\n", 2500 * time.Millisecond, true},
		"name with spaces":    {"42 (flowsense fn (x))" + rest, "125.95 300.00\n", 2500 * time.Millisecond, true},
		"started just now":    {"42 (f)" + rest, "123.45 1.0", 0, true},
		"uptime before start": {"42 (f)" + rest, "100.00 1.0", 0, false},
		"over an hour":        {"42 (f)" + rest, "4000.00 1.0", 0, false},
		"no parenthesis":      {"42 flowsense" + rest, "125.95", 0, false},
		"short":               {"42 (f) S 1 1", "125.95", 0, false},
		"bad ticks":           {"42 (f)" + strings.Replace(rest, "12345", "x", 1), "125.95", 0, false},
		"empty uptime":        {"42 (f)" + rest, "", 0, false},
		"bad uptime":          {"42 (f)" + rest, "soon", 0, false},
	}
	for name, tc := range cases {
		age, ok := parseStart([]byte(tc.stat), []byte(tc.up))
		if ok != tc.ok || (ok && (age-tc.age).Abs() > time.Millisecond) {
			t.Errorf("%s: age %v ok %v, want %v %v", name, age, ok, tc.age, tc.ok)
		}
	}
}

// trafficAndFeedback sends predictions and feedback of every kind to a
// handler in process.
func trafficAndFeedback(t testing.TB, h http.Handler) {
	t.Helper()
	sendTraffic(t, func(path string, hdr http.Header, body []byte) (int, string) {
		rec := post(t, h, path, hdr, body)
		return rec.Code, rec.Body.String()
	})
}

// sendTraffic sends predictions and feedback of every kind with send: the
// feedback quotes the reply ids of the predictions.
func sendTraffic(t testing.TB, send func(path string, hdr http.Header, body []byte) (int, string)) {
	t.Helper()
	code, body := send("/predict", http.Header{"Content-Type": {"text/csv"}}, synthCSV(t, DriftMinFlows, 3))
	if code >= 300 {
		t.Fatalf("/predict: %d %s", code, body)
	}
	var answers []cloudevents.Classification
	if err := json.Unmarshal([]byte(body), &answers); err != nil || len(answers) < 3 {
		t.Fatalf("/predict: %v: %.200s", err, body)
	}
	fb, _ := json.Marshal([]cloudevents.Feedback{{ID: answers[0].ID, Truth: "BENIGN"}, {ID: answers[1].ID, Truth: "PortScan"}})
	for _, r := range []struct {
		path string
		hdr  http.Header
		body []byte
	}{
		{"/feedback", jsonHeader, fb},
		{"/", http.Header{"Content-Type": {cloudevents.MediaTypeStructured}}, newEventBody(t, cloudevents.TypeFeedback, cloudevents.Feedback{ID: answers[2].ID, Truth: "Slow DoS"})},
	} {
		if code, body := send(r.path, r.hdr, r.body); code >= 300 {
			t.Fatalf("%s: %d %s", r.path, code, body)
		}
	}
}

// TestPromtool: promtool (Debian package prometheus) finds nothing wrong
// with a live /metrics after traffic and feedback.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: apt-get install -y prometheus (Debian package prometheus ships promtool)")
	}
	s := newTestServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()
	sendTraffic(t, func(path string, hdr http.Header, body []byte) (int, string) {
		req, err := http.NewRequest(http.MethodPost, ts.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr.Clone()
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	})
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body.String(), "flowsense_feedback_total{") || !strings.Contains(body.String(), "flowsense_feature_drift_psi{") {
		t.Fatalf("no traffic in the scrape:\n%s", body.String())
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &body
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// metricsList is the golden list of the metric families the server
// exports (name and type), read by the dashboard test in deploy/grafana.
const metricsList = "testdata/metrics.txt"

// TestMetricsList: the families named flowsense_* after traffic and
// feedback are those of testdata/metrics.txt (-update rewrites it).
func TestMetricsList(t *testing.T) {
	s := newTestServer(t)
	trafficAndFeedback(t, s)
	var lines []string
	for name, mf := range scrape(t, s) {
		if strings.HasPrefix(name, "flowsense_") {
			lines = append(lines, name+" "+strings.ToLower(mf.GetType().String()))
		}
	}
	slices.Sort(lines)
	got := "# The metric families a flowsense function exports: name and type.\n" +
		"# Written by go test ./functions -run TestMetricsList -update; read by deploy/grafana's test.\n" +
		strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(metricsList, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(filepath.Clean(metricsList))
	if err != nil {
		t.Fatalf("%v (go test ./functions -run TestMetricsList -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s is stale (go test ./functions -run TestMetricsList -update):\n got:\n%s\nwant:\n%s", metricsList, got, want)
	}
}

// TestMetricsOpenMetrics: a scraper asking for OpenMetrics gets it.
func TestMetricsOpenMetrics(t *testing.T) {
	s := newTestServer(t)
	trafficAndFeedback(t, s)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("%d %q", rec.Code, ct)
	}
	if body := rec.Body.String(); !strings.HasSuffix(body, "# EOF\n") || !strings.Contains(body, "flowsense_feedback_total{") {
		t.Errorf("not an OpenMetrics exposition of the server's metrics:\n%.500s", body)
	}
}

// TestRequestEncoding: the encoding label of a request, as the handler
// reads its body.
func TestRequestEncoding(t *testing.T) {
	cases := map[string]struct {
		method, path, ct, spec string
		want                   int
	}{
		"GET":              {"GET", "/model", "", "", encLabelNone},
		"json":             {"POST", "/predict", "application/json; charset=utf-8", "", encLabelJSON},
		"+json feedback":   {"POST", "/feedback", "application/vnd.example+json", "", encLabelJSON},
		"csv":              {"POST", "/predict", "text/csv", "", encLabelCSV},
		"binary event":     {"POST", "/", "application/json", "1.0", encLabelBinary},
		"structured event": {"POST", "/", "application/cloudevents+json", "", encLabelStructured},
		"batch":            {"POST", "/", "application/cloudevents-batch+json", "", encLabelBatch},
		"refused":          {"POST", "/predict", "text/plain", "", encLabelOther},
		"pcap":             {"POST", "/predict", "application/vnd.tcpdump.pcap", "", encLabelCapture},
		"pcapng":           {"POST", "/predict", "application/x-pcapng", "", encLabelCapture},
		"octet-stream":     {"POST", "/predict", "application/octet-stream", "", encLabelCapture},
		"no content type":  {"POST", "/predict", "", "", encLabelNone},
		"just +json":       {"POST", "/predict", "+json", "", encLabelOther},
	}
	for name, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		if tc.spec != "" {
			r.Header.Set("Ce-Specversion", tc.spec)
		}
		if got := requestEncoding(r); got != tc.want {
			t.Errorf("%s: encoding %d, want %d", name, got, tc.want)
		}
	}
}
