package sensor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/extract"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

const mixedPcap = "../extract/testdata/mixed.pcap"

// function is a real flowsense function (the handler every host serves,
// on the functions test model) behind a loopback HTTP server.
func function(t *testing.T) *httptest.Server {
	t.Helper()
	wasm, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	s, err := functions.New(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); _ = s.Close(context.Background()) })
	return srv
}

type verdict struct {
	Flow FlowKey
	cloudevents.Classification
}

func collectVerdicts() (*[]verdict, func([]FlowKey, []cloudevents.Classification)) {
	var mu sync.Mutex
	var out []verdict
	return &out, func(keys []FlowKey, res []cloudevents.Classification) {
		mu.Lock()
		defer mu.Unlock()
		for i := range res {
			out = append(out, verdict{keys[i], res[i]})
		}
	}
}

// TestSensorToFunction: a capture sent through the sensor to a real
// function, in batches of 4 flows, in both event encodings, with the
// schema read from the function's GET /model, gets the classifications
// that POST /predict gives for the same capture, flow by flow.
func TestSensorToFunction(t *testing.T) {
	srv := function(t)
	pcap, err := os.ReadFile(mixedPcap)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/predict", "application/vnd.tcpdump.pcap", bytes.NewReader(pcap))
	if err != nil {
		t.Fatal(err)
	}
	var want []verdict
	if err := json.NewDecoder(resp.Body).Decode(&want); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, structured := range []bool{false, true} {
		mu, _ := ModelURL(srv.URL)
		fields, err := LoadFields(context.Background(), mu, http.DefaultClient)
		if err != nil {
			t.Fatal(err)
		}
		got, on := collectVerdicts()
		s, err := NewSender(Config{Sink: srv.URL, Fields: fields, Batch: 4, Structured: structured, OnVerdicts: on, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		xs, err := ReadCaptures(context.Background(), []string{mixedPcap}, extract.Options{}, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		if int(st.Flows) != len(want) || st.Sent != st.Flows || st.Events != 4 || st.Batches != 4 || st.Failed+st.Rejected+st.Dropped+st.BadReplies != 0 {
			t.Fatalf("structured=%v: stats %+v (%d packets); want %d flows in 4 events", structured, st, xs.Packets, len(want))
		}
		if st.Benign+st.Malicious+st.Anomalous != st.Flows {
			t.Errorf("verdict counts %+v", st)
		}
		if len(*got) != len(want) {
			t.Fatalf("%d verdicts, want %d", len(*got), len(want))
		}
		for i, g := range *got {
			w := want[i]
			if g.Flow != w.Flow || g.Label != w.Label || g.Probability != w.Probability || g.OutlierScore != w.OutlierScore {
				t.Errorf("structured=%v flow %d: sensor %+v %s %v %v; /predict %+v %s %v %v", structured, i, g.Flow, g.Label, g.Probability, g.OutlierScore, w.Flow, w.Label, w.Probability, w.OutlierScore)
			}
		}
	}
}

// sink is a CloudEvents receiver that answers each POST with the next
// status of a script (then 202), and records the events' ids.
type sink struct {
	mu       sync.Mutex
	statuses []int
	ids      []string
	flows    int
	hold     chan struct{} // when set, each POST waits on it
}

func (k *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if k.hold != nil {
		<-k.hold
	}
	b, _ := io.ReadAll(r.Body)
	var flows []map[string]any
	_ = json.Unmarshal(b, &flows)
	k.mu.Lock()
	k.ids = append(k.ids, r.Header.Get("Ce-Id"))
	status := http.StatusAccepted
	if len(k.statuses) > 0 {
		status, k.statuses = k.statuses[0], k.statuses[1:]
	}
	if status < 300 {
		k.flows += len(flows)
	}
	k.mu.Unlock()
	w.WriteHeader(status)
}

func send(t *testing.T, cfg Config, n int) *Sender {
	t.Helper()
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := testFlow()
	for i := range n {
		f.SrcPort = uint16(1000 + i)
		if err := s.Add(&f); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func testFlow() extract.Flow {
	var fl extract.Flow
	x, _ := extract.New(extract.Options{}, func(f *extract.Flow) error { fl = *f; return nil })
	if err := x.ReadCapture(context.Background(), mustOpen(mixedPcap), "mixed"); err != nil {
		panic(err)
	}
	return fl
}

func mustOpen(p string) io.Reader {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return bytes.NewReader(b)
}

// TestRetries: 503, a 429 and a dropped connection are tried again with
// the same event id (a sink can drop duplicates); a 422 is not; a sink
// that never recovers costs the batch after Retries tries.
func TestRetries(t *testing.T) {
	k := &sink{statuses: []int{503, 429, 202, 422, 500, 500, 500}}
	srv := httptest.NewServer(k)
	defer srv.Close()
	cfg := Config{Sink: srv.URL, Fields: AllFields(), Batch: 2, Workers: 1, Retries: 2, Backoff: time.Millisecond}
	s := send(t, cfg, 6) // three batches: 503,429,202 | 422 | 500,500,500
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Events != 1 || st.Sent != 2 || st.Rejected != 2 || st.Failed != 2 || st.Retries != 4 {
		t.Fatalf("stats %+v; want 1 event of 2 flows sent after 2 retries, 2 flows rejected, 2 failed after 2 retries", st)
	}
	if len(k.ids) != 7 || k.ids[0] != k.ids[1] || k.ids[1] != k.ids[2] || k.ids[2] == k.ids[3] || k.ids[4] != k.ids[6] {
		t.Errorf("event ids %v: want one id per batch, kept across retries", k.ids)
	}
	if k.flows != 2 {
		t.Errorf("the sink accepted %d flows, want 2", k.flows)
	}

	// no HTTP answer at all: retried, then failed
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	s = send(t, Config{Sink: url, Fields: AllFields(), Batch: 1, Workers: 1, Retries: 1, Backoff: time.Millisecond}, 1)
	_ = s.Close(context.Background())
	if st := s.Stats(); st.Failed != 1 || st.Retries != 1 {
		t.Errorf("dead sink: stats %+v", st)
	}
}

// TestBoundedBuffer: with the sink stalled, a live source (DropOldest)
// keeps at most Buffer batches plus one per worker and counts the rest as
// dropped; a file source waits instead and loses nothing.
func TestBoundedBuffer(t *testing.T) {
	k := &sink{hold: make(chan struct{})}
	srv := httptest.NewServer(k)
	defer srv.Close()
	s := send(t, Config{Sink: srv.URL, Fields: AllFields(), Batch: 1, Workers: 1, Buffer: 3, DropOldest: true}, 20)
	close(k.hold)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Sent+st.Dropped != 20 || st.Sent > 4 || st.Dropped < 16 {
		t.Fatalf("stats %+v: want at most 3 queued + 1 in flight sent, the rest dropped", st)
	}

	k = &sink{hold: make(chan struct{})}
	srv2 := httptest.NewServer(k)
	defer srv2.Close()
	var added atomic.Int64
	done := make(chan *Sender)
	go func() {
		s, _ := NewSender(Config{Sink: srv2.URL, Fields: AllFields(), Batch: 1, Workers: 1, Buffer: 3})
		f := testFlow()
		for range 20 {
			_ = s.Add(&f)
			added.Add(1)
		}
		done <- s
	}()
	time.Sleep(200 * time.Millisecond)
	if n := added.Load(); n > 5 {
		t.Errorf("a file source added %d flows past a stalled sink and a buffer of 3", n)
	}
	close(k.hold)
	s = <-done
	_ = s.Close(context.Background())
	if st := s.Stats(); st.Sent != 20 || st.Dropped != 0 {
		t.Errorf("file source: stats %+v, want all 20 sent", st)
	}
}

// TestCloseDeadline: Close gives up on a sink that never answers when its
// context ends, counting what was not delivered as failed.
func TestCloseDeadline(t *testing.T) {
	k := &sink{hold: make(chan struct{})}
	srv := httptest.NewServer(k)
	defer func() { close(k.hold); srv.Close() }()
	s := send(t, Config{Sink: srv.URL, Fields: AllFields(), Batch: 1, Workers: 1, Buffer: 10}, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); err == nil {
		t.Fatal("Close returned nil with a stalled sink")
	}
	if st := s.Stats(); st.Failed != 5 || st.Sent != 0 {
		t.Errorf("stats %+v, want 5 failed", st)
	}
}

// TestFlush: a partial batch goes out after Flush, not at Close.
func TestFlush(t *testing.T) {
	k := &sink{}
	srv := httptest.NewServer(k)
	defer srv.Close()
	s := send(t, Config{Sink: srv.URL, Fields: AllFields(), Batch: 100, Flush: 20 * time.Millisecond}, 3)
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Sent < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := s.Stats(); st.Sent != 3 || st.Events != 1 {
		t.Errorf("after the flush interval: %+v", st)
	}
	_ = s.Close(context.Background())
}

// TestExclude: flows to the sink's own address and port are left out.
func TestExclude(t *testing.T) {
	k := &sink{}
	srv := httptest.NewServer(k)
	defer srv.Close()
	f := testFlow()
	s, _ := NewSender(Config{Sink: srv.URL, Fields: AllFields(), Exclude: []netip.AddrPort{netip.AddrPortFrom(f.Dst, f.DstPort)}})
	_ = s.Add(&f)
	_ = s.Close(context.Background())
	if st := s.Stats(); st.Excluded != 1 || st.Sent != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFields(t *testing.T) {
	all := AllFields()
	if n := len(all.Names()); n != 83 || all.Names()[0] != "Dst Port" {
		t.Errorf("AllFields: %d names from %q", n, all.Names()[0])
	}
	// names as the original CIC-IDS2017 files spell them
	fs, err := NewFields([]string{" Destination Port", "Total Fwd Packets", "Flow Bytes/s"})
	if err != nil {
		t.Fatal(err)
	}
	f := testFlow()
	var obj map[string]any
	if err := json.Unmarshal(fs.AppendJSON(nil, &f), &obj); err != nil {
		t.Fatal(err)
	}
	if obj[" Destination Port"] != float64(f.DstPort) || obj["Total Fwd Packets"] != f.Value(extract.TotalFwdPacket) {
		t.Errorf("object %v", obj)
	}
	if _, err := NewFields([]string{"Dst Port", "duration", "src_bytes"}); err == nil || !strings.Contains(err.Error(), `"duration", "src_bytes"`) {
		t.Errorf("KDD names: %v", err)
	}
	inf := &Fields{names: []string{"x"}, get: []func(*extract.Flow) float64{func(*extract.Flow) float64 { return math.Inf(1) }}, quote: [][]byte{[]byte(`"x":`)}}
	if got := string(inf.AppendJSON(nil, &f)); got != `{"x":"Infinity"}` {
		t.Errorf("infinite rate: %s", got)
	}
}

// TestLoadFieldsErrors: a sink that is not a function says what to pass.
func TestLoadFieldsErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := LoadFields(context.Background(), srv.URL+"/model", http.DefaultClient)
	if err == nil || !strings.Contains(err.Error(), "--schema") {
		t.Errorf("404: %v", err)
	}
	if _, err := LoadFields(context.Background(), "/nonexistent/model", http.DefaultClient); err == nil {
		t.Error("a missing model directory: no error")
	}
}
