package functions

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// metrics are a Server's Prometheus metrics, in a registry of its own (no
// global state: several servers in one process do not collide). Every
// series the hot path touches is created here, so that counting a flow is
// a few atomic adds and allocates nothing.
type metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	predictions [][]prometheus.Counter // [class][verdict]
	feedback    [][]prometheus.Counter // [predicted][truth]
	latencyVec  *prometheus.HistogramVec
	latency     map[string]*[nEnc]latencyCell // by endpoint, then encoding
	batch       prometheus.Observer
	outlier     prometheus.Observer
	coldStart   prometheus.Gauge
	accuracy    *accuracyRing
	drift       *drift
	refused     *prometheus.CounterVec // feedback refused, by reason (feedbackid.go)
	requests    *requestCounts         // by endpoint and status (observe.go)
}

// AccuracyWindow is how many of the latest feedback items the rolling
// accuracy covers.
const AccuracyWindow = 1000

// Latency buckets, in seconds: 10 µs (a one-flow /predict takes about 30) to 10 s.
var latencyBuckets = []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Batch size buckets, in flows: 1 to the default flow limit.
var batchBuckets = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}

// outlierBuckets are powers of two times the detector's threshold (1/16
// to 64 times), so that a bucket boundary falls on the threshold; without
// a detector (scores are 0), powers of two from 1.
func outlierBuckets(md *abi.Metadata) []float64 {
	if md.Outlier != nil && md.Outlier.Threshold > 0 && !math.IsInf(md.Outlier.Threshold, 0) {
		return prometheus.ExponentialBuckets(md.Outlier.Threshold/16, 2, 11)
	}
	return prometheus.ExponentialBuckets(1, 2, 12)
}

// Encodings, the second label of the latency histogram.
const (
	encLabelNone = iota // a GET, or no body
	encLabelJSON
	encLabelCSV
	encLabelBinary
	encLabelStructured
	encLabelBatch
	encLabelCapture // a pcap or pcapng upload (pcap.go)
	encLabelOther   // a content type the endpoint refuses
	nEnc
)

var encNames = [nEnc]string{"none", "json", "csv", "binary", "structured", "batch", "capture", "other"}

// endpointOther labels requests for paths the server does not have.
const endpointOther = "other"

func newMetrics(md *abi.Metadata, routes []string) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{reg: reg, latency: make(map[string]*[nEnc]latencyCell, len(routes)+1)}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.refused = newRefused(reg)

	pred := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flowsense_predictions_total",
		Help: "Flows classified, by predicted class and verdict.",
	}, []string{"class", "verdict"})
	fb := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flowsense_feedback_total",
		Help: "Feedback items, by the label returned (predicted) and the true label (truth): the confusion matrix.",
	}, []string{"predicted", "truth"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "flowsense_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by endpoint and encoding of the body.",
		Buckets: latencyBuckets,
	}, []string{"endpoint", "encoding"})
	batch := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "flowsense_batch_flows",
		Help:    "Flows classified per request (per event for CloudEvents).",
		Buckets: batchBuckets,
	})
	outlier := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "flowsense_outlier_score",
		Help:    "Outlier scores (squared Mahalanobis distance) of classified flows; 0 without a detector.",
		Buckets: outlierBuckets(md),
	})
	m.coldStart = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "flowsense_cold_start_seconds",
		Help: "Time from process start (or the host's WithStartTime) to the server being ready.",
	})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "flowsense_model_info",
		Help: "The model served: always 1, with the model's name, version, sha256, trainer version and shape as labels.",
		ConstLabels: prometheus.Labels{
			"name": md.Name, "version": md.Version, "sha256": md.ModelSHA256, "trainer_version": md.TrainerVersion,
			"abi": strconv.Itoa(md.ABI), "classes": strconv.Itoa(len(md.Classes)),
			"features": strconv.Itoa(len(md.Schema.Features)), "trees": strconv.Itoa(md.Trees),
		},
	})
	info.Set(1)
	m.accuracy = newAccuracyRing(AccuracyWindow)
	acc := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "flowsense_feedback_rolling_accuracy",
		Help: "Share of the last " + strconv.Itoa(AccuracyWindow) + " feedback items whose returned label was the true one; NaN before any feedback.",
	}, func() float64 {
		right, n := m.accuracy.value()
		if n == 0 {
			return math.NaN()
		}
		return float64(right) / float64(n)
	})
	accN := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "flowsense_feedback_window_items",
		Help: "Feedback items the rolling accuracy covers (at most " + strconv.Itoa(AccuracyWindow) + ").",
	}, func() float64 {
		_, n := m.accuracy.value()
		return float64(n)
	})
	m.drift = newDrift(md)
	reg.MustRegister(pred, fb, lat, batch, outlier, m.coldStart, info, acc, accN, m.drift)

	verdicts := []model.Verdict{model.Benign, model.Malicious, model.Anomalous}
	m.predictions = make([][]prometheus.Counter, len(md.Classes))
	m.feedback = make([][]prometheus.Counter, len(md.Classes))
	for i, c := range md.Classes {
		for _, v := range verdicts {
			m.predictions[i] = append(m.predictions[i], pred.WithLabelValues(c, v.String()))
		}
		for _, t := range md.Classes {
			m.feedback[i] = append(m.feedback[i], fb.WithLabelValues(c, t))
		}
	}
	for _, ep := range append(routes, endpointOther) {
		m.latency[ep] = new([nEnc]latencyCell)
	}
	m.requests = newRequestCounts(reg, append(routes, endpointOther)) // observe.go
	m.latencyVec, m.batch, m.outlier = lat, batch, outlier
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true})
	return m
}

// latencyCell holds the latency series of one endpoint and encoding, made
// on first use: only the pairs that occur are exported (most cannot: a GET
// has no body), and a request after the first allocates nothing.
type latencyCell struct {
	p atomic.Pointer[prometheus.Observer]
}

// observeRequest records the time of one request.
func (m *metrics) observeRequest(path string, enc int, d time.Duration) {
	cells, ok := m.latency[path]
	if !ok {
		path, cells = endpointOther, m.latency[endpointOther]
	}
	c := &cells[enc]
	obs := c.p.Load()
	if obs == nil {
		o := m.latencyVec.WithLabelValues(path, encNames[enc]) // the same series if two race here
		obs = &o
		c.p.Store(obs)
	}
	(*obs).Observe(d.Seconds())
}

// requestEncoding is the encoding label of a request: how a CloudEvent
// came on POST /, else the kind of its body.
func requestEncoding(r *http.Request) int {
	if r.Method != http.MethodPost {
		return encLabelNone
	}
	// Not eventEncoding or bodyKind: mime.ParseMediaType allocates, and
	// this runs on every request.
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	mt = strings.TrimSpace(mt)
	if r.URL.Path == "/" {
		switch {
		case strings.EqualFold(mt, cloudevents.MediaTypeBatch):
			return encLabelBatch
		case len(mt) >= len("application/cloudevents") && strings.EqualFold(mt[:len("application/cloudevents")], "application/cloudevents"):
			return encLabelStructured
		case r.Header.Get("Ce-Specversion") != "":
			return encLabelBinary
		}
	}
	switch {
	case mt == "":
		return encLabelNone
	case strings.EqualFold(mt, "application/json"), strings.EqualFold(mt, "text/json"),
		len(mt) > len("+json") && strings.EqualFold(mt[len(mt)-len("+json"):], "+json"): // as cloudevents.IsJSON
		return encLabelJSON
	case strings.EqualFold(mt, "text/csv"), strings.EqualFold(mt, "application/csv"):
		return encLabelCSV
	case captureTypes[strings.ToLower(mt)], strings.EqualFold(mt, "application/octet-stream"):
		return encLabelCapture
	}
	return encLabelOther
}

// observeFlows counts classified rows: their class and verdict, outlier
// score, the batch size and the drift histograms.
//
// The class and verdict counts of a batch are tallied on the stack first
// and each pair that occurs is added once (Counter.Add of an integer is one
// atomic add, as Inc is): a request of 100 flows of a few classes takes a
// few atomic adds, not 100. The outlier histogram is observed per flow:
// Prometheus histograms have no batched observation, and its sum must stay
// the sum of the scores.
func (m *metrics) observeFlows(rows []float32, nf int, res []model.Result) {
	const nv = 3 // verdicts per class (newMetrics)
	var tally [128]uint32
	batched := len(res) > 1 && len(m.predictions)*nv <= len(tally)
	for i := range res {
		r := &res[i]
		if r.Class >= 0 && r.Class < len(m.predictions) && int(r.Verdict) < len(m.predictions[r.Class]) {
			if batched {
				tally[r.Class*nv+int(r.Verdict)]++
			} else {
				m.predictions[r.Class][r.Verdict].Inc()
			}
		}
		m.outlier.Observe(r.OutlierScore)
	}
	if batched {
		for k, n := range tally[:len(m.predictions)*nv] {
			if n != 0 {
				m.predictions[k/nv][k%nv].Add(float64(n))
			}
		}
	}
	m.drift.observe(rows, nf)
}

// observeFeedback counts feedback items.
func (m *metrics) observeFeedback(items []cloudevents.LabelPair) (right int) {
	for _, p := range items {
		if p.Predicted >= 0 && p.Predicted < len(m.feedback) && p.Truth >= 0 && p.Truth < len(m.feedback) {
			m.feedback[p.Predicted][p.Truth].Inc()
		}
		ok := p.Predicted == p.Truth
		if ok {
			right++
		}
		m.accuracy.add(ok)
	}
	return right
}

// accuracyRing keeps whether each of the last n feedback items was right,
// without a lock: a writer claims a slot with one atomic add, swaps its
// mark in and corrects the count of right items by what it replaced, so
// the count stays exact however writers interleave.
type accuracyRing struct {
	slots  []atomic.Uint32 // 0 empty, 1 wrong, 2 right
	next   atomic.Uint64
	right  atomic.Int64
	filled atomic.Int64
}

func newAccuracyRing(n int) *accuracyRing {
	return &accuracyRing{slots: make([]atomic.Uint32, n)}
}

func (r *accuracyRing) add(ok bool) {
	v := uint32(1)
	if ok {
		v = 2
	}
	i := r.next.Add(1) - 1
	old := r.slots[i%uint64(len(r.slots))].Swap(v)
	switch old {
	case 0:
		r.filled.Add(1)
	case 2:
		r.right.Add(-1)
	}
	if ok {
		r.right.Add(1)
	}
}

// value returns the right items and all items in the window.
func (r *accuracyRing) value() (right, n int64) {
	return r.right.Load(), r.filled.Load()
}

// serveMetrics answers GET /metrics in the Prometheus text format (or
// OpenMetrics, when asked for).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// Registry returns the server's Prometheus registry, for a host that
// serves metrics elsewhere or adds its own collectors (names prefixed
// flowsense_ are the server's).
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }
