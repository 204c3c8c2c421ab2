package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/progress"
	"github.com/flowsense/flowsense/wasm/abi"
)

// stopGrace is how long requests in flight may finish after ctx is done.
const stopGrace = 2 * time.Second

// NewClient is the default HTTP client of a run: up to concurrency idle
// connections to the target, and no proxy (requests go to the target
// itself, whatever HTTP_PROXY says).
func NewClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = max(100, 2*concurrency)
	tr.MaxIdleConnsPerHost = max(2, 2*concurrency)
	return &http.Client{Transport: tr}
}

// FetchModel reads the model's metadata from TARGET/model: the schema the
// data is read against, the classes and the benign classes.
func FetchModel(ctx context.Context, client *http.Client, target string) (*abi.Metadata, error) {
	u, err := targetURL(target)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = NewClient(1)
	}
	url := endpoint(u, "/model")
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrTarget, url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: GET %s: %v", ErrTarget, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: status %d %s (is it a flowsense function?)", ErrTarget, url, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var md abi.Metadata
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&md); err != nil {
		return nil, fmt.Errorf("%w: GET %s: not model metadata: %v", ErrTarget, url, err)
	}
	if len(md.Schema.Features) == 0 || len(md.Classes) == 0 {
		return nil, fmt.Errorf("%w: GET %s: metadata without features or classes (is it a flowsense function?)", ErrTarget, url)
	}
	return &md, nil
}

// job is one request.
type job struct {
	id    string
	draws []draw
}

// Run sends flows of ds (read against md.Schema, labelled) to the target
// as o says, and returns the summary. Failed requests are counted, not
// returned: Run's error is for options and data it cannot use. When ctx
// is done, Run stops sending, lets the requests in flight finish (for up
// to 2 s) and returns the summary so far, marked interrupted.
func Run(ctx context.Context, ds *flowdata.Dataset, md *abi.Metadata, o Options) (*Summary, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	base, _ := targetURL(o.Target)
	if err := checkData(ds, md, &o); err != nil {
		return nil, err
	}
	if o.Client == nil {
		o.Client = NewClient(o.Concurrency)
	}
	var snd sender
	switch o.Mode {
	case ModeJSON:
		snd = &jsonSender{url: endpoint(base, "/predict"), client: o.Client}
	case ModeCloudEvents:
		if snd, err = newEventSender(o.Target, o.Client); err != nil {
			return nil, err
		}
	}
	r := newRows(ds, md.Classes, md.Benign, &o)
	if err := checkDraws(r, &o); err != nil {
		return nil, err
	}
	enc := newFlowEncoder(&md.Schema)
	st := newStats()
	fb := &feedback{url: endpoint(base, "/feedback"), client: o.Client, st: st, live: o.Live}

	// Requests get their own context: a stop lets them finish for a while.
	reqBase, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(stopGrace)
			defer t.Stop()
			select {
			case <-t.C:
				cancelReqs()
			case <-finished:
			}
		case <-finished:
		}
	}()

	start := time.Now()
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body []byte
			var row []float32
			var ans []answer
			for j := range jobs {
				body = body[:0]
				if len(j.draws) > 1 {
					body = append(body, '[')
				}
				for i, d := range j.draws {
					if i > 0 {
						body = append(body, ',')
					}
					row = r.values(d, &md.Schema, o.OutlierScale, row)
					body = enc.appendFlow(body, row)
				}
				if len(j.draws) > 1 {
					body = append(body, ']')
				}
				rctx, cancel := context.WithTimeout(reqBase, o.Timeout)
				t0 := time.Now()
				a, err := snd.send(rctx, j.id, body, len(j.draws), ans)
				lat := time.Since(t0)
				st.answered(r, j.draws, a, lat, err)
				if err == nil {
					ans = a
					if o.Feedback {
						fb.send(rctx, r, j.draws, a)
					}
				}
				cancel()
			}
		}()
	}

	stopLive := startLive(o.Live, st, start)
	reqs := 0
	schedule(ctx, o.clock, o.Rate, o.Batch*o.Concurrency, o.Batch, o.Count, o.Duration, func(n int) bool {
		j := job{id: "sim-" + strconv.FormatUint(o.Seed, 10) + "-" + strconv.Itoa(reqs), draws: make([]draw, n)}
		for i := range j.draws {
			j.draws[i] = r.next()
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			return false
		}
		st.dispatched(j.draws)
		reqs++
		return true
	})
	close(jobs)
	wg.Wait()
	close(finished)
	elapsed := time.Since(start)
	stopLive()
	return st.summary(&o, elapsed, ctx.Err() != nil), nil
}

// checkData checks that ds was read against md's schema and has labels.
func checkData(ds *flowdata.Dataset, md *abi.Metadata, o *Options) error {
	if ds == nil || ds.Rows == 0 {
		return fmt.Errorf("%w: no rows to send", ErrData)
	}
	if len(ds.Columns) != len(md.Schema.Features) {
		return fmt.Errorf("%w: %d columns for a model of %d features (read the data against the model's schema)", ErrData, len(ds.Columns), len(md.Schema.Features))
	}
	if !ds.HasLabels {
		return fmt.Errorf("%w: no label column %q: simulate needs labelled data", ErrData, ds.LabelName)
	}
	return nil
}

// checkDraws checks that the rows a fraction asks for exist.
func checkDraws(r *rows, o *Options) error {
	if o.AttackFraction == nil {
		return nil
	}
	f := *o.AttackFraction
	if f > 0 && len(r.attack) == 0 {
		return fmt.Errorf("%w: --attack-fraction %g: the file has no attack rows (labels outside the model's benign classes)", ErrData, f)
	}
	if f < 1 && len(r.benign) == 0 {
		return fmt.Errorf("%w: --attack-fraction %g: the file has no benign rows", ErrData, f)
	}
	return nil
}

// startLive prints the live line about once a second until the returned
// function is called; on a terminal it redraws one line in place.
func startLive(w io.Writer, st *stats, start time.Time) func() {
	if w == nil {
		return func() {}
	}
	tty := progress.IsTerminal(w)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				line := st.live(now.Sub(start))
				if tty {
					fmt.Fprint(w, "\r\033[K"+line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		line := st.live(time.Since(start))
		if tty {
			fmt.Fprint(w, "\r\033[K"+line+"\n")
		} else {
			fmt.Fprintln(w, line)
		}
	}
}

// feedback posts {"id", "predicted", "truth"} items to TARGET/feedback:
// the id is the reply id of the answer (a target counts only feedback
// that quotes one it issued).
type feedback struct {
	url    string
	client *http.Client
	st     *stats
	live   io.Writer
	off    atomic.Bool
	once   sync.Once
}

type feedbackItem struct {
	ID        string `json:"id,omitempty"`
	Predicted string `json:"predicted"`
	Truth     string `json:"truth"`
}

// send posts the feedback of one answer: one object for one flow, an array
// for several. Outliers and rows without a label have no truth and are
// left out. A 404 turns feedback off for the rest of the run, said once.
func (f *feedback) send(ctx context.Context, r *rows, d []draw, ans []answer) {
	if f.off.Load() {
		return
	}
	items := make([]feedbackItem, 0, len(d))
	for i, x := range d {
		if t := r.truth[x.row]; !x.outlier && t != "" {
			items = append(items, feedbackItem{ID: ans[i].ID, Predicted: ans[i].Label, Truth: t})
		}
	}
	if len(items) == 0 {
		return
	}
	var body []byte
	if len(items) == 1 {
		body, _ = json.Marshal(items[0])
	} else {
		body, _ = json.Marshal(items)
	}
	_, err := post(ctx, f.client, f.url, body)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusNotFound {
		f.off.Store(true)
		f.once.Do(func() {
			why := "POST " + f.url + ": 404 Not Found: the target has no feedback endpoint"
			f.st.disableFeedback(why)
			if f.live != nil {
				fmt.Fprintln(f.live, "simulate: "+why+"; feedback is off for the rest of the run")
			}
		})
	}
	f.st.feedbackDone(len(items), err)
}
