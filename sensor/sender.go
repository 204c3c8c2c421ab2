package sensor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	ce "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/protocol"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/extract"
)

// Defaults of Config.
const (
	DefaultBatch      = 100
	DefaultFlush      = time.Second
	DefaultBuffer     = 64
	DefaultWorkers    = 2
	DefaultRetries    = 5
	DefaultBackoff    = 200 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
	DefaultTimeout    = 10 * time.Second
	// DefaultSource is the events' source, after which the host name goes.
	DefaultSource = "urn:flowsense:sensor"
	// maxReply bounds a reply body (a hostile or broken sink).
	maxReply = 16 << 20
)

// Config configures a Sender. Sink and Fields are required.
type Config struct {
	// Sink is the http(s) URL events are POSTed to: a Knative Broker's
	// ingress, a flowsense function, any CloudEvents HTTP receiver.
	Sink string
	// Fields are the flow features each flow object carries.
	Fields *Fields
	// Source is the events' source attribute (DefaultSource/HOSTNAME).
	Source string
	// Structured sends application/cloudevents+json instead of the binary
	// encoding (Ce-* headers).
	Structured bool
	// Batch is the most flows per event (100); Flush is the longest a flow
	// waits for its batch to fill (1 s).
	Batch int
	Flush time.Duration
	// Buffer is how many batches wait for a worker (64); Workers send in
	// parallel (2).
	Buffer  int
	Workers int
	// DropOldest makes a full buffer drop its oldest batch instead of
	// making Add wait: for live capture, which cannot be paused.
	DropOldest bool
	// Retries is how many times a batch is sent again after a retryable
	// failure (5); the wait starts at Backoff (200 ms), doubles up to
	// MaxBackoff (10 s), with full jitter.
	Retries    int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one POST (10 s).
	Timeout time.Duration
	// Exclude drops flows to or from these addresses and ports (the
	// sink's own, so that a sensor on the interface it sends over does not
	// classify its own traffic).
	Exclude []netip.AddrPort
	// OnVerdicts, when set, receives the classifications of each batch the
	// sink replied to with an io.flowsense.flow.classified.v1 event, with
	// the keys of its flows, from a worker goroutine.
	OnVerdicts func(keys []FlowKey, res []cloudevents.Classification)
	// Client is the HTTP client (a new one with Timeout when nil).
	Client *http.Client
	// Log receives delivery failures (nil: dropped).
	Log func(error)
}

// FlowKey identifies a flow beside its verdict (extract.Flow.Key).
type FlowKey = extract.FlowKey

func keyOf(f *extract.Flow) FlowKey { return f.Key() }

// Stats count what a Sender did; flows, not batches, unless named so.
type Stats struct {
	// Flows were added; Excluded of them were the sink's own traffic.
	Flows, Excluded int64
	// Batches were formed; Events were delivered (2xx) and Sent flows in them.
	Batches, Events, Sent int64
	// Retries are the POSTs sent again.
	Retries int64
	// Dropped flows were pushed out of a full buffer (DropOldest);
	// Rejected ones got a 4xx that is not retried; Failed ones ran out of
	// retries or time.
	Dropped, Rejected, Failed int64
	// Verdicts are the classifications in replies, by verdict.
	Benign, Malicious, Anomalous int64
	// BadReplies are replies to a batch that are not its classifications.
	BadReplies int64
}

type batch struct {
	keys []FlowKey
	data []byte // JSON array of flow objects
	id   string
}

// Sender batches flows into events and delivers them. Add is for one
// goroutine (the extractor's); Close ends it, after the last Add.
type Sender struct {
	cfg    Config
	client ce.Client
	q      chan *batch
	mu     sync.Mutex // cur, dropping from q
	cur    *batch
	since  time.Time
	closed bool
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // workers
	fwg    sync.WaitGroup // the flusher
	stop   chan struct{}  // closed by Close: the flusher returns
	s      struct {
		flows, excluded, batches, events, sent, retries, dropped, rejected, failed atomic.Int64
		benign, malicious, anomalous, badReplies                                   atomic.Int64
	}
}

// NewSender starts a Sender's workers.
func NewSender(cfg Config) (*Sender, error) {
	if cfg.Sink == "" || cfg.Fields == nil {
		return nil, errors.New("sensor: Config needs a Sink and Fields")
	}
	if _, err := ModelURL(cfg.Sink); err != nil {
		return nil, err
	}
	def := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	defd := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Batch, DefaultBatch)
	def(&cfg.Buffer, DefaultBuffer)
	def(&cfg.Workers, DefaultWorkers)
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	defd(&cfg.Flush, DefaultFlush)
	defd(&cfg.Backoff, DefaultBackoff)
	defd(&cfg.MaxBackoff, DefaultMaxBackoff)
	defd(&cfg.Timeout, DefaultTimeout)
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	hc2 := *hc
	hc2.Transport = limitBody{rt: hc.Transport}
	c, err := ce.NewClientHTTP(cehttp.WithTarget(cfg.Sink), cehttp.WithClient(hc2))
	if err != nil {
		return nil, fmt.Errorf("sensor: %w", err)
	}
	s := &Sender{cfg: cfg, client: c, q: make(chan *batch, cfg.Buffer), stop: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		s.wg.Add(1)
		go s.work()
	}
	s.fwg.Add(1)
	go s.flusher()
	return s, nil
}

// limitBody caps reply bodies at maxReply.
type limitBody struct{ rt http.RoundTripper }

func (l limitBody) RoundTrip(r *http.Request) (*http.Response, error) {
	rt := l.rt
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(r)
	if err == nil {
		resp.Body = &capped{r: io.LimitReader(resp.Body, maxReply+1), c: resp.Body}
	}
	return resp, err
}

type capped struct {
	r io.Reader
	c io.Closer
	n int64
}

func (c *capped) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > maxReply {
		return n, fmt.Errorf("sensor: reply over %d bytes", maxReply)
	}
	return n, err
}

func (c *capped) Close() error { return c.c.Close() }

// Add queues one flow (the *Flow may be reused once Add returns). With a
// full buffer it waits, or drops the oldest batch with DropOldest; it
// fails only after Close.
func (s *Sender) Add(f *extract.Flow) error {
	s.s.flows.Add(1)
	for _, ap := range s.cfg.Exclude {
		if (f.Dst == ap.Addr() && f.DstPort == ap.Port()) || (f.Src == ap.Addr() && f.SrcPort == ap.Port()) {
			s.s.excluded.Add(1)
			return nil
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("sensor: Add after Close")
	}
	if s.cur == nil {
		s.cur = &batch{data: append(make([]byte, 0, 1024), '[')}
		s.since = time.Now()
	}
	b := s.cur
	if len(b.keys) > 0 {
		b.data = append(b.data, ',')
	}
	b.data = s.cfg.Fields.AppendJSON(b.data, f)
	b.keys = append(b.keys, keyOf(f))
	var full *batch
	if len(b.keys) >= s.cfg.Batch {
		full, s.cur = b, nil
	}
	s.mu.Unlock()
	if full != nil {
		return s.enqueue(full)
	}
	return nil
}

// enqueue seals a batch and hands it to the workers.
func (s *Sender) enqueue(b *batch) error {
	b.data = append(b.data, ']')
	// the id names the flows (their keys and start times) and their
	// values: the same batch sent again keeps it, another batch of
	// flows with equal features does not share it
	h := sha256.New()
	for i := range b.keys {
		k := &b.keys[i]
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00%d\x00%s\x00", k.ID, k.SrcPort, k.Start, k.FwdPackets, k.End)
	}
	h.Write(b.data)
	b.id = hex.EncodeToString(h.Sum(nil)[:16])
	s.s.batches.Add(1)
	if !s.cfg.DropOldest {
		select {
		case s.q <- b:
			return nil
		case <-s.ctx.Done():
			s.s.failed.Add(int64(len(b.keys)))
			return s.ctx.Err()
		}
	}
	for {
		select {
		case s.q <- b:
			return nil
		default:
		}
		select {
		case old := <-s.q:
			s.s.dropped.Add(int64(len(old.keys)))
		default:
		}
	}
}

// flusher seals a partial batch once its first flow has waited Flush.
func (s *Sender) flusher() {
	defer s.fwg.Done()
	t := time.NewTicker(max(s.cfg.Flush/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		var b *batch
		if s.cur != nil && time.Since(s.since) >= s.cfg.Flush {
			b, s.cur = s.cur, nil
		}
		s.mu.Unlock()
		if b != nil {
			_ = s.enqueue(b)
		}
	}
}

func (s *Sender) work() {
	defer s.wg.Done()
	for b := range s.q {
		s.deliver(b)
	}
}

// delivered says whether a POST was answered 2xx. Not protocol.IsACK
// alone: sdk-go's Request turns a non-2xx answer without an event in it
// into an ACK receipt ("failed to convert response into event") that
// wraps the HTTP result.
func delivered(res protocol.Result) bool {
	var hr *cehttp.Result
	if protocol.ResultAs(res, &hr) {
		return hr.StatusCode/100 == 2
	}
	return protocol.IsACK(res)
}

// retryable says whether a POST's result is worth another try.
func retryable(res protocol.Result) bool {
	var hr *cehttp.Result
	if !protocol.ResultAs(res, &hr) {
		return true // no HTTP answer: the network, a timeout
	}
	return hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode == http.StatusRequestTimeout || hr.StatusCode >= 500
}

func (s *Sender) deliver(b *batch) {
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(b.id)
	e.SetSource(s.cfg.Source)
	e.SetType(cloudevents.TypeFlow)
	e.SetTime(time.Now().UTC())
	if len(b.keys) == 1 {
		e.SetSubject(b.keys[0].ID)
		// the flow's 5-tuple as the CloudEvents partitioning key: a
		// Kafka-backed Broker keeps its events (and the reply) on one partition
		if k := cloudevents.PartitionKey(&e); k != "" {
			e.SetExtension(cloudevents.ExtPartitionKey, k)
		}
	}
	_ = e.SetData(cloudevents.ContentTypeJSON, json.RawMessage(b.data))
	wait := s.cfg.Backoff
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
		if s.cfg.Structured {
			ctx = ce.WithEncodingStructured(ctx)
		} else {
			ctx = ce.WithEncodingBinary(ctx)
		}
		reply, res := s.client.Request(ctx, e)
		cancel()
		if delivered(res) {
			s.s.events.Add(1)
			s.s.sent.Add(int64(len(b.keys)))
			s.reply(b, reply)
			return
		}
		if !retryable(res) {
			s.s.rejected.Add(int64(len(b.keys)))
			s.logf("sensor: batch %s of %d flows rejected by %s: %v", b.id, len(b.keys), s.cfg.Sink, res)
			return
		}
		if attempt == s.cfg.Retries || s.ctx.Err() != nil {
			s.s.failed.Add(int64(len(b.keys)))
			s.logf("sensor: batch %s of %d flows not delivered to %s after %d tries: %v", b.id, len(b.keys), s.cfg.Sink, attempt+1, res)
			return
		}
		s.s.retries.Add(1)
		d := time.Duration(rand.Int64N(int64(wait)) + 1) // full jitter
		select {
		case <-time.After(d):
		case <-s.ctx.Done():
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
}

func (s *Sender) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		s.cfg.Log(fmt.Errorf(format, args...))
	}
}

// reply counts the classifications of a reply event and hands them on.
func (s *Sender) reply(b *batch, r *event.Event) {
	if r == nil {
		return // a Broker: 202, no event
	}
	if r.Type() != cloudevents.TypeClassified {
		s.s.badReplies.Add(1)
		s.logf("sensor: batch %s: a reply of type %q", b.id, r.Type())
		return
	}
	var res []cloudevents.Classification
	if err := json.Unmarshal(r.Data(), &res); err != nil || len(res) != len(b.keys) {
		s.s.badReplies.Add(1)
		s.logf("sensor: batch %s: a reply that is not %d classifications (%d; %v)", b.id, len(b.keys), len(res), err)
		return
	}
	for i := range res {
		switch res[i].Verdict {
		case "benign":
			s.s.benign.Add(1)
		case "malicious":
			s.s.malicious.Add(1)
		default:
			s.s.anomalous.Add(1)
		}
	}
	if s.cfg.OnVerdicts != nil {
		s.cfg.OnVerdicts(b.keys, res)
	}
}

// Close sends the partial batch, waits until every queued batch is
// delivered or given up, or until ctx is done (the rest then counts as
// Failed), and stops the workers.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	b := s.cur
	s.cur = nil
	s.mu.Unlock()
	close(s.stop)
	s.fwg.Wait() // no enqueue after close(s.q)
	if b != nil {
		_ = s.enqueue(b)
	}
	close(s.q)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel() // workers give up their batch; what is queued counts as failed
		for b := range s.q {
			s.s.failed.Add(int64(len(b.keys)))
		}
		<-done
		return fmt.Errorf("sensor: closing: %w", ctx.Err())
	}
}

// Stats reports the counts so far.
func (s *Sender) Stats() Stats {
	return Stats{Flows: s.s.flows.Load(), Excluded: s.s.excluded.Load(), Batches: s.s.batches.Load(), Events: s.s.events.Load(),
		Sent: s.s.sent.Load(), Retries: s.s.retries.Load(), Dropped: s.s.dropped.Load(), Rejected: s.s.rejected.Load(),
		Failed: s.s.failed.Load(), Benign: s.s.benign.Load(), Malicious: s.s.malicious.Load(), Anomalous: s.s.anomalous.Load(),
		BadReplies: s.s.badReplies.Load()}
}
