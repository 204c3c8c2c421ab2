package functions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// servePredict answers POST /predict: JSON flows, a CSV upload or a
// packet capture (pcap.go).
func (s *Server) servePredict(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindJSON, error(nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" { // predictKind's answer, without its allocations
		if kind, err = predictKind(ct); err != nil {
			return err
		}
	}
	explain := 0
	if r.URL.RawQuery != "" { // no query: no explain, without a map of none
		if explain, err = queryExplain(r.URL.Query()); err != nil {
			return err
		}
	}
	sc := getScratch()
	defer putScratch(sc)
	body, err := s.readBodyInto(w, r, sc.body[:0]) // body.go
	if err != nil {
		return err
	}
	sc.body = body
	if kind == kindSniff {
		if kind, err = sniffKind(r.Header.Get("Content-Type"), body); err != nil {
			return err
		}
	}
	ctx, cancel := s.requestContext(r.Context())
	defer cancel()
	if kind == kindCapture {
		return s.servePredictCapture(ctx, w, body)
	}
	if kind == kindJSON && explain == 0 {
		return s.predictJSON(ctx, w, body, sc)
	}
	var flows cloudevents.Flows
	if kind == kindCSV {
		flows, err = s.decodeCSV(ctx, body)
	} else {
		flows, err = s.dec.Decode(body, nil)
	}
	if err != nil {
		return err
	}
	results, err := s.ClassifyRows(ctx, flows.Rows, flows.N)
	if err != nil {
		return err
	}
	if explain > 0 {
		if err := s.explainRows(ctx, flows.Rows, results, explain); err != nil {
			return err
		}
	}
	return s.writeResults(w, results, flows.Single && kind == kindJSON)
}

// predictJSON answers a JSON /predict body without an explanation: the
// flows are decoded into the pooled rows, and each result is encoded as
// the module gives it (ClassificationEncoder.AppendResult) into the pooled
// answer, byte for byte what writeResults writes for ClassifyRows's
// classifications (TestPredictJSONSameAnswer) with nothing allocated per
// flow or per field.
func (s *Server) predictJSON(ctx context.Context, w http.ResponseWriter, body []byte, sc *scratch) error {
	flows, err := s.dec.Decode(body, sc.rows[:0])
	if err != nil {
		return err
	}
	sc.keepRows(flows.Rows)
	out := sc.out[:0]
	if !flows.Single {
		out = append(out, '[')
	}
	var encErr error
	err = s.classifyEach(ctx, flows.Rows, flows.N, sc.results(flows.N), sc.id[:0], func(i int, r *model.Result, id []byte) {
		if encErr != nil {
			return
		}
		if i > 0 {
			out = append(out, ',')
		}
		out, encErr = s.enc.AppendResult(out, r, id)
	})
	if err != nil {
		return err
	}
	if encErr != nil {
		return fmt.Errorf("%w: encoding the answer: %v", ErrModel, encErr)
	}
	if !flows.Single {
		out = append(out, ']')
	}
	out = append(out, '\n')
	sc.out = out
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// jsonContentType is the Content-Type header value of a JSON answer, set
// without Header.Set's allocation. Nothing writes to it.
var jsonContentType = []string{"application/json"}

type contentKind int

const (
	kindJSON contentKind = iota
	kindCSV
)

// bodyKind reads the content type of a /predict body.
func bodyKind(ct string) (contentKind, error) {
	if strings.TrimSpace(ct) == "" {
		return 0, fmt.Errorf("%w: no Content-Type; send application/json or text/csv", ErrContentType)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrContentType, ct)
	}
	switch {
	case mt == "text/csv", mt == "application/csv":
		return kindCSV, nil
	case mt == "application/json", mt == "text/json":
		return kindJSON, nil
	}
	return 0, fmt.Errorf("%w: %q; send application/json or text/csv", ErrContentType, mt)
}

// decodeCSV reads a CSV upload (a header naming the columns, plain or
// gzip) against the model's schema, within the request's bounds: the
// decompression limit, MaxHeaderColumns, as many blank lines as flows,
// and ctx (checked as it reads).
func (s *Server) decodeCSV(ctx context.Context, body []byte) (cloudevents.Flows, error) {
	src, err := s.csvSource(ctx, body)
	if err != nil {
		return cloudevents.Flows{}, err
	}
	opt := flowdata.Options{MaxColumns: MaxHeaderColumns, MaxBlankLines: s.cfg.maxFlows}
	rr, err := flowdata.NewRowReader(src, "upload", &s.meta.Schema, opt)
	if err != nil {
		if uerr := uploadError(ctx, err); uerr != nil {
			return cloudevents.Flows{}, uerr
		}
		return cloudevents.Flows{}, csvError(err)
	}
	var rows []float32
	row := make([]float32, s.nf)
	n := 0
	for {
		_, err := rr.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			if uerr := uploadError(ctx, err); uerr != nil {
				return cloudevents.Flows{}, uerr
			}
			return cloudevents.Flows{}, csvError(err)
		}
		if n == s.cfg.maxFlows {
			return cloudevents.Flows{}, fmt.Errorf("%w: more than %d rows in one upload", cloudevents.ErrTooManyFlows, s.cfg.maxFlows)
		}
		rows = append(rows, row...)
		n++
	}
	if n == 0 {
		return cloudevents.Flows{}, &Error{Problem: withDetail(problemFor(cloudevents.ErrNotFlow).Problem, "the upload has a header and no data rows"), Err: cloudevents.ErrNotFlow}
	}
	return cloudevents.Flows{Rows: rows, N: n}, nil
}

// csvError maps a reader error to a client error: a missing feature
// column is 422, anything else about the bytes 400.
func csvError(err error) error {
	detail := err.Error()
	if i := strings.Index(detail, "data: "); i == 0 {
		detail = detail[len("data: "):]
	}
	if errors.Is(err, flowdata.ErrMissingFeature) {
		return &Error{Problem: withDetail(problemFor(ErrMissingColumns).Problem, detail), Err: err}
	}
	return &Error{Problem: withDetail(problemFor(ErrCSV).Problem, detail), Err: err}
}

func withDetail(p Problem, d string) Problem {
	p.Detail = d
	return p
}
