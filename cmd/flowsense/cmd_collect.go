package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/collect"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/host"
)

// runCollect is flowsense collect: a NetFlow v5/v9/IPFIX collector that
// classifies every flow with a model and writes verdicts to a sink, and/or
// writes the mapped flows as CSV for training.
func runCollect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("collect")
	listen := f.String("listen", "", "udp://HOST:PORT to receive NetFlow v5, v9 and IPFIX on (port 0 picks one)")
	modelPath := f.String("model", "", "model directory, model.json or model.wasm trained on NF-v2 columns")
	sink := f.String("sink", "-", "where verdicts go: - (stdout), a file path, or an http(s):// URL (POST per batch)")
	out := f.String("out", "", "write the mapped flows as CSV (NF-v2 columns) to this file, for training")
	format := f.String("format", "json", "verdict format: json (one object a line) or cloudevents (structured io.flowsense.flow.classified.v1 events)")
	window := f.String("pair-window", "2s", "how long a unidirectional record waits for its reverse")
	noPair := f.Bool("no-pairing", "emit unidirectional records unpaired (OUT features missing)")
	idle := f.String("idle", "", "stop after this long without a datagram (for replays), e.g. 5s")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--listen udp://ADDR --model DIR [--sink URL|-] [--out FILE] [--format json|cloudevents]")
		return errHelp
	}
	if *listen == "" {
		return fmt.Errorf("%w: --listen is required", errUsage)
	}
	if *modelPath == "" && *out == "" {
		return fmt.Errorf("%w: --model (to classify) or --out (to write CSV) is required", errUsage)
	}
	if *format != "json" && *format != "cloudevents" {
		return fmt.Errorf("%w: --format %q: want json or cloudevents", errUsage, *format)
	}
	cfg := collect.Config{NoPairing: *noPair}
	var err error
	if cfg.PairWindow, err = time.ParseDuration(*window); err != nil || cfg.PairWindow <= 0 {
		return fmt.Errorf("%w: --pair-window %q: want a positive duration", errUsage, *window)
	}
	if *idle != "" {
		if cfg.Idle, err = time.ParseDuration(*idle); err != nil || cfg.Idle <= 0 {
			return fmt.Errorf("%w: --idle %q: want a positive duration", errUsage, *idle)
		}
	}
	cfg.Log = func(err error) { fmt.Fprintf(stderr, "flowsense collect: bad datagram: %v\n", oneLine(err)) }

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var cl *classifier
	if *modelPath != "" {
		if cl, err = newClassifier(ctx, *modelPath); err != nil {
			return err
		}
		defer cl.mod.Close(context.Background())
	}
	var csvw *collect.CSVWriter
	if *out != "" {
		fo, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer fo.Close()
		csvw = collect.NewCSVWriter(fo)
	}
	var snk verdictSink
	if cl != nil {
		if snk, err = openSink(*sink, *format, stdout); err != nil {
			return err
		}
		defer snk.close()
	}
	c, err := collect.Listen(*listen, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "flowsense collect: listening on udp://%s\n", c.Addr())
	var verdicts, sinkErrors uint64
	handle := func(flows []collect.Flow) error {
		if csvw != nil {
			for i := range flows {
				if err := csvw.Write(&flows[i]); err != nil {
					return err
				}
			}
		}
		if cl == nil {
			return nil
		}
		res, err := cl.classify(ctx, flows)
		if err != nil {
			return err
		}
		verdicts += uint64(len(res))
		if err := snk.write(flows, res, *format, cl.classes); err != nil {
			var se *sinkError
			if !errors.As(err, &se) {
				return err
			}
			sinkErrors++ // an HTTP sink that failed: counted, logged, the collector goes on
			fmt.Fprintf(stderr, "flowsense collect: sink: %v\n", err)
		}
		return nil
	}
	runErr := c.Run(ctx, handle)
	if csvw != nil {
		if err := csvw.Flush(); err != nil && runErr == nil {
			runErr = err
		}
	}
	if snk != nil {
		if err := snk.flush(); err != nil && runErr == nil {
			runErr = err
		}
	}
	s := c.Stats()
	fmt.Fprintf(stderr, "flowsense collect: %d datagrams (%d bad, %d dropped), %d records, %d flows, %d verdicts, %d sink errors; %d templates of %d exporters\n",
		s.Datagrams, s.BadDatagrams, s.Dropped, s.Decoder.Records, s.Flows, verdicts, sinkErrors, s.Decoder.Templates, s.Decoder.Exporters)
	return runErr
}

// classifier runs the model's module on flows.
type classifier struct {
	mod     *host.Module
	mapper  *collect.Mapper
	classes []string
	ref     cloudevents.ModelRef
	rows    []float32
	res     []model.Result
}

func newClassifier(ctx context.Context, path string) (*classifier, error) {
	b, err := artifact.ReadModule(path)
	if err != nil {
		return nil, err
	}
	mod, err := host.Load(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	md := mod.Metadata()
	m, err := collect.NewMapper(&md.Schema)
	if err != nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &classifier{mod: mod, mapper: m, classes: md.Classes, ref: cloudevents.ModelRef{Name: md.Name, SHA256: md.ModelSHA256},
		res: make([]model.Result, mod.MaxBatch())}, nil
}

func (c *classifier) classify(ctx context.Context, flows []collect.Flow) ([]cloudevents.Classification, error) {
	nf := c.mapper.Features()
	out := make([]cloudevents.Classification, 0, len(flows))
	for lo := 0; lo < len(flows); lo += len(c.res) {
		hi := min(len(flows), lo+len(c.res))
		c.rows = c.rows[:0]
		for i := lo; i < hi; i++ {
			c.rows = append(c.rows, make([]float32, nf)...)
			c.mapper.Row(&flows[i], c.rows[(i-lo)*nf:])
		}
		res := c.res[:hi-lo]
		if err := c.mod.Classify(ctx, c.rows, res); err != nil {
			return nil, err
		}
		for i := range res {
			r := &res[i]
			out = append(out, cloudevents.Classify(c.classes, r.Class, r.Probabilities, r.OutlierScore, r.Verdict, c.ref))
		}
	}
	return out, nil
}

// verdictLine is one line of --format json.
type verdictLine struct {
	Exporter string                     `json:"exporter"`
	Version  uint16                     `json:"version"`
	Domain   uint32                     `json:"domain"`
	Start    *time.Time                 `json:"start,omitempty"`
	End      *time.Time                 `json:"end,omitempty"`
	Paired   bool                       `json:"paired"`
	Features map[string]any             `json:"features"`
	Result   cloudevents.Classification `json:"classification"`
}

func flowFeatures(f *collect.Flow) map[string]any {
	m := make(map[string]any, collect.NumFeatures)
	for x := collect.Feature(0); int(x) < collect.NumFeatures; x++ {
		switch {
		case !f.Has(x):
			m[x.String()] = nil
		case x.IsAddress():
			m[x.String()] = f.Text(x)
		default:
			m[x.String()] = f.Values[x]
		}
	}
	return m
}

func flowSubject(f *collect.Flow) string {
	return fmt.Sprintf("%s:%d->%s:%d/%d", f.Src, f.SrcPort, f.Dst, f.DstPort, f.Proto)
}

// flowEventID is stable for a flow: the same export classified twice gives
// the same id, so a sink can drop duplicates.
func flowEventID(f *collect.Flow) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%d\x00%d", f.Exporter, f.Domain, flowSubject(f), f.Start.UnixMicro(), f.End.UnixMicro())
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// encodeVerdicts renders one batch: JSON lines, or structured CloudEvents
// (one a line; as a JSON array when batch is true).
func encodeVerdicts(flows []collect.Flow, res []cloudevents.Classification, format string, batch bool) ([]byte, error) {
	var b bytes.Buffer
	if format == "cloudevents" && batch {
		b.WriteByte('[')
	}
	now := time.Now().UTC()
	for i := range res {
		f := &flows[i]
		var v any
		if format == "json" {
			l := verdictLine{Exporter: f.Exporter.String(), Version: f.Version, Domain: f.Domain, Paired: f.Paired, Features: flowFeatures(f), Result: res[i]}
			if !f.Start.IsZero() {
				s, e := f.Start.UTC(), f.End.UTC()
				l.Start, l.End = &s, &e
			}
			v = l
		} else {
			e := event.New(event.CloudEventsVersionV1)
			e.SetID(flowEventID(f))
			e.SetSource("urn:flowsense:collect")
			e.SetType(cloudevents.TypeClassified)
			e.SetSubject(flowSubject(f))
			e.SetTime(now)
			e.SetExtension(cloudevents.ExtVerdict, res[i].Verdict)
			e.SetExtension(cloudevents.ExtFlowClass, cloudevents.FlowClass(res[i].Label))
			if err := e.SetData(cloudevents.ContentTypeJSON, res[i]); err != nil {
				return nil, err
			}
			v = &e
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if format == "cloudevents" && batch && i > 0 {
			b.WriteByte(',')
		}
		b.Write(j)
		if !batch || format == "json" {
			b.WriteByte('\n')
		}
	}
	if format == "cloudevents" && batch {
		b.WriteByte(']')
	}
	return b.Bytes(), nil
}

type verdictSink interface {
	write(flows []collect.Flow, res []cloudevents.Classification, format string, classes []string) error
	flush() error
	close()
}

// sinkError is a failed delivery to an HTTP sink: logged and counted.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

func openSink(target, format string, stdout io.Writer) (verdictSink, error) {
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		return &httpSink{url: target, client: &http.Client{Timeout: 10 * time.Second}}, nil
	case target == "-" || target == "":
		return &writerSink{w: bufio.NewWriter(stdout)}, nil
	}
	path := strings.TrimPrefix(target, "file://")
	fo, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &writerSink{w: bufio.NewWriter(fo), c: fo}, nil
}

type writerSink struct {
	w *bufio.Writer
	c io.Closer
}

func (s *writerSink) write(flows []collect.Flow, res []cloudevents.Classification, format string, _ []string) error {
	b, err := encodeVerdicts(flows, res, format, false)
	if err != nil {
		return err
	}
	_, err = s.w.Write(b)
	return err
}

func (s *writerSink) flush() error { return s.w.Flush() }

func (s *writerSink) close() {
	if s.c != nil {
		s.c.Close()
	}
}

// httpSink POSTs each batch: application/x-ndjson for json, the
// CloudEvents batch encoding for cloudevents.
type httpSink struct {
	url    string
	client *http.Client
}

func (s *httpSink) write(flows []collect.Flow, res []cloudevents.Classification, format string, _ []string) error {
	b, err := encodeVerdicts(flows, res, format, true)
	if err != nil {
		return err
	}
	ct := "application/x-ndjson"
	if format == "cloudevents" {
		ct = cloudevents.MediaTypeBatch
	}
	resp, err := s.client.Post(s.url, ct, bytes.NewReader(b))
	if err != nil {
		return &sinkError{err}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return &sinkError{fmt.Errorf("POST %s: %s", s.url, resp.Status)}
	}
	return nil
}

func (s *httpSink) flush() error { return nil }
func (s *httpSink) close()       {}
