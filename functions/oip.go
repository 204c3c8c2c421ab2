package functions

// The Open Inference Protocol (KServe "V2", also spoken by Seldon MLServer
// and NVIDIA Triton): the protocol-neutral part. oip_rest.go is its
// HTTP/REST binding on the Server's mux.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/functions/replyid"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// The names of the model's output tensors.
const (
	// OutputLabel is the predicted class of each flow: BYTES [N].
	OutputLabel = "label"
	// OutputProbabilities are the class probabilities of each flow, in the
	// model's class order: FP32 [N, C].
	OutputProbabilities = "probabilities"
	// OutputOutlierScore is the detector's squared Mahalanobis distance of
	// each flow (0 when the model has none): FP64 [N].
	OutputOutlierScore = "outlier_score"
	// OutputVerdict is benign, malicious or anomalous: BYTES [N].
	OutputVerdict = "verdict"
	// OutputReplyID is each flow's reply id, which feedback quotes
	// (POST /feedback {"id": ..., "truth": ...}): BYTES [N]. It is sent
	// only when asked for by name.
	OutputReplyID = "reply_id"
)

// outputNames are the outputs in the order an answer lists them.
var outputNames = []string{OutputLabel, OutputProbabilities, OutputOutlierScore, OutputVerdict}

// OIPPlatform is the platform a model's metadata names.
const OIPPlatform = "flowsense_wasm"

// OIPServerName is the server name of the server metadata.
const OIPServerName = "flowsense"

// OIPExtensions are the protocol extensions the server supports (as
// Triton names them in its server metadata).
var OIPExtensions = []string{"binary_tensor_data"}

// Errors of the Open Inference Protocol endpoints.
var (
	// ErrUnknownModel: no model of this name or version is served (404).
	ErrUnknownModel = errors.New("no such model")
	// ErrInferRequest: an inference request that cannot be read as the
	// model's inputs (400).
	ErrInferRequest = errors.New("bad inference request")
)

// WithModelName sets the model's name in the Open Inference Protocol (the
// {name} of /v2/models/{name}); by default it is the name in the model's
// metadata, "flowsense" when that is empty. KServe passes the
// InferenceService's name.
func WithModelName(name string) Option { return func(c *config) { c.modelName = name } }

// Tensor is one input tensor of an inference request, as a wire binding
// decodes it: elements flattened in row-major order, in Values for the
// numeric datatypes and BOOL (as numbers, NaN for a JSON null) or in Bytes
// for BYTES.
type Tensor struct {
	Name     string
	Datatype string
	Shape    []int64
	Values   []float32
	Bytes    [][]byte
}

// InferRequest is an inference request, protocol-neutral.
type InferRequest struct {
	// ModelName and ModelVersion are from the path (REST) or the message
	// (gRPC); ModelVersion may be empty.
	ModelName, ModelVersion string
	// ID is echoed in the answer.
	ID string
	// ContentType is the request's content_type parameter (MLServer's):
	// "np" asks for the [N, F] form, "pd" for one input per column, ""
	// lets the inputs decide (see Infer).
	ContentType string
	Inputs      []Tensor
	// Outputs names the outputs wanted, in the order wanted; empty means
	// all four.
	Outputs []string
	// Explain is the request parameter explain: the number of features
	// whose contributions each flow's answer carries (0: none). See
	// oip_explain.go for the outputs it adds.
	Explain int
}

// InferResult is the answer to an InferRequest: N flows of C classes.
type InferResult struct {
	ModelName, ModelVersion, ID string
	N                           int
	// Classes are the model's classes (the columns of Probabilities).
	Classes []string
	// Outputs are the output names to answer with, in order.
	Outputs       []string
	Labels        []string  // N
	Probabilities []float32 // N*C, row-major
	OutlierScores []float64 // N
	Verdicts      []string  // N
	ReplyIDs      []string  // N, when OutputReplyID is asked for
	// Explained are the explanation outputs, when the request asked.
	Explained *Explained
}

// Output returns output name as a Tensor-like triple: datatype, shape and
// its elements (exactly one of the slices is set).
func (r *InferResult) Output(name string) (datatype string, shape []int64, labels []string, fp32 []float32, fp64 []float64) {
	if dt, shape, strs, fp64, ok := r.explainOutput(name); ok {
		return dt, shape, strs, nil, fp64
	}
	n := int64(r.N)
	switch name {
	case OutputLabel:
		return "BYTES", []int64{n}, r.Labels, nil, nil
	case OutputProbabilities:
		return "FP32", []int64{n, int64(len(r.Classes))}, nil, r.Probabilities, nil
	case OutputOutlierScore:
		return "FP64", []int64{n}, nil, nil, r.OutlierScores
	case OutputVerdict:
		return "BYTES", []int64{n}, r.Verdicts, nil, nil
	case OutputReplyID:
		return "BYTES", []int64{n}, r.ReplyIDs, nil, nil
	}
	return "", nil, nil, nil, nil
}

// TensorMetadata describes a tensor in model metadata.
type TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
	// Parameters are MLServer's tensor parameters: the content type, and
	// for probabilities the class of each column (as a JSON array in a
	// string: the protocol's parameter values are scalars).
	Parameters map[string]string `json:"parameters,omitempty"`
}

// ModelMetadata is the model metadata answer.
type ModelMetadata struct {
	Name     string   `json:"name"`
	Versions []string `json:"versions,omitempty"`
	Platform string   `json:"platform"`
	// Inputs are the schema's features in order, one tensor per column
	// (FP32, BYTES for a categorical feature, shape [-1]): the "pd" form.
	// The [N, F] form takes the same columns in this order.
	Inputs     []TensorMetadata  `json:"inputs"`
	Outputs    []TensorMetadata  `json:"outputs"`
	Parameters map[string]string `json:"parameters,omitempty"`
}

// ServerMetadata is the server metadata answer.
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// oipState is what the protocol endpoints precompute.
type oipState struct {
	name, version string
	enc           *model.Encoder
	meta          ModelMetadata
	quotedClasses [][]byte // JSON strings of the class names
}

func newOIPState(md *abi.Metadata, name string) *oipState {
	if name == "" {
		name = md.Name
	}
	if name == "" {
		name = "flowsense"
	}
	st := &oipState{name: name, enc: model.NewEncoder(&md.Schema)}
	if len(md.ModelSHA256) >= 12 {
		st.version = md.ModelSHA256[:12]
	}
	st.meta = ModelMetadata{Name: name, Platform: OIPPlatform, Parameters: map[string]string{"content_type": "pd"}}
	if st.version != "" {
		st.meta.Versions = []string{st.version}
	}
	for _, f := range md.Schema.Features {
		dt := "FP32"
		if f.Kind == model.Categorical {
			dt = "BYTES"
		}
		st.meta.Inputs = append(st.meta.Inputs, TensorMetadata{Name: f.Name, Datatype: dt, Shape: []int64{-1}})
	}
	classes, _ := json.Marshal(md.Classes)
	st.meta.Outputs = []TensorMetadata{
		{Name: OutputLabel, Datatype: "BYTES", Shape: []int64{-1}},
		{Name: OutputProbabilities, Datatype: "FP32", Shape: []int64{-1, int64(len(md.Classes))}, Parameters: map[string]string{"classes": string(classes)}},
		{Name: OutputOutlierScore, Datatype: "FP64", Shape: []int64{-1}},
		{Name: OutputVerdict, Datatype: "BYTES", Shape: []int64{-1}},
	}
	for _, c := range md.Classes {
		q, _ := json.Marshal(c)
		st.quotedClasses = append(st.quotedClasses, q)
	}
	return st
}

// OIPServerMetadata answers GET /v2 and ServerMetadata.
func (s *Server) OIPServerMetadata() ServerMetadata {
	return ServerMetadata{Name: OIPServerName, Version: serverVersion(), Extensions: OIPExtensions}
}

// OIPServerReady answers GET /v2/health/ready and ServerReady.
func (s *Server) OIPServerReady() bool { return s.Ready() }

// OIPModelMetadata answers GET /v2/models/{name}[/versions/{v}] and
// ModelMetadata; an unknown name or version is ErrUnknownModel.
func (s *Server) OIPModelMetadata(name, version string) (*ModelMetadata, error) {
	if err := s.checkModel(name, version); err != nil {
		return nil, err
	}
	m := s.oip.meta
	return &m, nil
}

// OIPModelReady answers GET /v2/models/{name}[/versions/{v}]/ready and
// ModelReady; an unknown name or version is ErrUnknownModel.
func (s *Server) OIPModelReady(name, version string) (bool, error) {
	if err := s.checkModel(name, version); err != nil {
		return false, err
	}
	return s.Ready(), nil
}

// OIPModelName is the model's name in the protocol.
func (s *Server) OIPModelName() string { return s.oip.name }

func (s *Server) checkModel(name, version string) error {
	if name != s.oip.name {
		return oipError(http.StatusNotFound, ErrUnknownModel, fmt.Sprintf("no model %q; this server serves %q", name, s.oip.name))
	}
	if version != "" && version != s.oip.version {
		if s.oip.version == "" {
			return oipError(http.StatusNotFound, ErrUnknownModel, fmt.Sprintf("model %q has no versions (asked for %q)", name, version))
		}
		return oipError(http.StatusNotFound, ErrUnknownModel, fmt.Sprintf("model %q has no version %q; its version is %q", name, version, s.oip.version))
	}
	return nil
}

// oipError is a protocol error with its status.
func oipError(status int, sentinel error, detail string) *Error {
	p := Problem{Status: status, Detail: detail}
	switch sentinel {
	case ErrUnknownModel:
		p.Type, p.Title = "urn:flowsense:problem:unknown-model", "no such model"
	default:
		p.Type, p.Title = "urn:flowsense:problem:infer-request", "bad inference request"
	}
	return &Error{Problem: p, Err: fmt.Errorf("%w: %s", sentinel, detail)}
}

func badInfer(format string, args ...any) *Error {
	return oipError(http.StatusBadRequest, ErrInferRequest, fmt.Sprintf(format, args...))
}

// Infer classifies the flows of an inference request. Its inputs are
// read in one of two forms:
//
//   - one tensor of shape [N, F] holding N flows of the schema's F
//     features in schema order (the "np" form): numeric datatypes (FP32
//     first), a categorical feature given as its code; or BYTES, each
//     element read like a CSV cell (a number, or a category name);
//   - one tensor per feature (the "pd" form, MLServer's pandas content
//     type), named as the schema names it (or as flowdata.Canonical
//     spells it), of shape [N] or [N, 1]: numeric, or BYTES for category
//     names; a feature without a tensor is missing.
//
// With no content_type, one input whose name is not a feature is the
// first form, anything else the second. Errors are *Error: 404 for
// another model, 400 for inputs that do not fit, 413 for too many flows.
func (s *Server) Infer(ctx context.Context, req *InferRequest) (*InferResult, error) {
	if err := s.checkModel(req.ModelName, req.ModelVersion); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	outputs, err := wantedOutputs(req.Outputs)
	if err != nil {
		return nil, err
	}
	if req.Explain < 0 || req.Explain > MaxExplain {
		return nil, fmt.Errorf("%w: explain=%d, want a whole number of features from 0 (off) to %d", ErrExplain, req.Explain, MaxExplain)
	}
	if outputs, err = s.explainOutputs(outputs, req.Explain); err != nil {
		return nil, err
	}
	if req.Explain > 0 {
		if _, err := s.canExplain(); err != nil {
			return nil, err
		}
	}
	rows, n, err := s.tensorRows(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	res := &InferResult{ModelName: s.oip.name, ModelVersion: s.oip.version, ID: req.ID, N: n, Classes: s.meta.Classes, Outputs: outputs}
	if err := s.classifyTensors(ctx, rows, n, res); err != nil {
		return nil, err
	}
	if req.Explain > 0 {
		if err := s.explainTensors(ctx, rows, n, req.Explain, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func wantedOutputs(names []string) ([]string, error) {
	if len(names) == 0 {
		return outputNames, nil
	}
	var out []string
	for _, n := range names {
		known := n == OutputReplyID || isExplainOutput(n)
		for _, o := range outputNames {
			known = known || n == o
		}
		if !known {
			// the explain_* outputs are not listed: the message is part
			// of the behaviour suite every host answers
			return nil, badInfer("no output %q; the outputs are %s and, asked for by name, %s", n, strings.Join(outputNames, ", "), OutputReplyID)
		}
		dup := false
		for _, o := range out {
			dup = dup || o == n
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out, nil
}

// tensorRows turns the inputs into rows in schema order.
func (s *Server) tensorRows(req *InferRequest) ([]float32, int, error) {
	if len(req.Inputs) == 0 {
		return nil, 0, badInfer("no inputs")
	}
	matrix := len(req.Inputs) == 1 && s.featureIndex(req.Inputs[0].Name) < 0
	switch req.ContentType {
	case "np":
		if len(req.Inputs) != 1 {
			return nil, 0, badInfer("content_type np takes one input of shape [N, %d], not %d inputs", s.nf, len(req.Inputs))
		}
		matrix = true
	case "pd":
		matrix = false
	case "":
	default:
		return nil, 0, badInfer("content_type %q: this model reads np (one [N, %d] input) or pd (one input per feature)", req.ContentType, s.nf)
	}
	if matrix {
		return s.matrixRows(&req.Inputs[0])
	}
	return s.columnRows(req.Inputs)
}

// featureIndex finds a feature by name as given or canonical; -1 if none.
func (s *Server) featureIndex(name string) int {
	enc := s.oip.enc
	if i := enc.Index(name); i >= 0 {
		return i
	}
	return enc.Index(flowdata.Canonical(name))
}

// checkTensor checks a tensor's datatype against its elements and its
// shape against their count, and returns the count.
func checkTensor(t *Tensor) (int, error) {
	if t.Name == "" {
		return 0, badInfer("an input has no name")
	}
	if !numericType(t.Datatype) && t.Datatype != "BYTES" {
		return 0, badInfer("input %q: datatype %q is not one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES", t.Name, t.Datatype)
	}
	count := int64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return 0, badInfer("input %q: shape %v has a negative dimension", t.Name, t.Shape)
		}
		if d > 0 && count > math.MaxInt32/d {
			return 0, badInfer("input %q: shape %v is too large", t.Name, t.Shape)
		}
		count *= d
	}
	got := len(t.Values)
	if t.Datatype == "BYTES" {
		got = len(t.Bytes)
	}
	if int64(got) != count {
		return 0, badInfer("input %q: shape %v holds %d elements, the data has %d", t.Name, t.Shape, count, got)
	}
	return int(count), nil
}

func numericType(dt string) bool {
	switch dt {
	case "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64":
		return true
	}
	return false
}

func (s *Server) checkFlows(n int) error {
	if n > s.cfg.maxFlows {
		return &Error{Problem: Problem{Type: "urn:flowsense:problem:too-many-flows", Title: "too many flows", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("%d flows in one request, the limit is %d", n, s.cfg.maxFlows)}, Err: fmt.Errorf("%w: %d flows", ErrTooLarge, n)}
	}
	if n == 0 {
		return badInfer("no flows: the batch dimension is 0")
	}
	return nil
}

func (s *Server) matrixRows(t *Tensor) ([]float32, int, error) {
	if _, err := checkTensor(t); err != nil {
		return nil, 0, err
	}
	if len(t.Shape) != 2 || t.Shape[1] != int64(s.nf) {
		return nil, 0, badInfer("input %q: shape %v, want [N, %d] (N flows of the schema's %d features in order; or name each input after a feature)", t.Name, t.Shape, s.nf, s.nf)
	}
	n := int(t.Shape[0])
	if err := s.checkFlows(n); err != nil {
		return nil, 0, err
	}
	enc := s.oip.enc
	rows := make([]float32, n*s.nf)
	for j := range rows {
		i := j % s.nf
		var v float32
		var err error
		if t.Datatype == "BYTES" {
			v, err = enc.Value(i, string(t.Bytes[j]))
		} else {
			v, err = enc.Number(i, float64(t.Values[j]))
		}
		if err != nil {
			return nil, 0, s.valueError(t.Name, j/s.nf, i, err)
		}
		rows[j] = v
	}
	return rows, n, nil
}

func (s *Server) valueError(input string, flow, feature int, err error) error {
	name := s.meta.Schema.Features[feature].Name
	e := badInfer("input %q, flow %d, feature %q: %v", input, flow, name, err)
	e.Problem.Flow = ptr(flow)
	e.Problem.Fields = []string{name}
	return e
}

func (s *Server) columnRows(inputs []Tensor) ([]float32, int, error) {
	n := -1
	by := make(map[int]string, len(inputs))
	idx := make([]int, len(inputs))
	var unknown []string
	for k := range inputs {
		t := &inputs[k]
		count, err := checkTensor(t)
		if err != nil {
			return nil, 0, err
		}
		i := s.featureIndex(t.Name)
		if i < 0 {
			unknown = append(unknown, t.Name)
			continue
		}
		if prev, dup := by[i]; dup {
			return nil, 0, badInfer("inputs %q and %q name the same feature", prev, t.Name)
		}
		by[i] = t.Name
		idx[k] = i
		if len(t.Shape) != 1 && (len(t.Shape) != 2 || t.Shape[1] != 1) {
			return nil, 0, badInfer("input %q: shape %v, want [N] or [N, 1] (one column; or send one input of shape [N, %d])", t.Name, t.Shape, s.nf)
		}
		if n >= 0 && count != n {
			return nil, 0, badInfer("input %q holds %d flows, input %q %d: every column needs one value per flow", t.Name, count, inputs[0].Name, n)
		}
		n = count
	}
	if len(unknown) > 0 {
		shown := unknown[:min(len(unknown), 10)]
		e := badInfer("no feature named %s (GET /v2/models/%s lists the inputs)", strings.Join(quoteAll(shown), ", "), s.oip.name)
		e.Problem.Fields = shown
		return nil, 0, e
	}
	if err := s.checkFlows(n); err != nil {
		return nil, 0, err
	}
	rows := make([]float32, n*s.nf)
	model.NaNRow(rows)
	enc := s.oip.enc
	for k := range inputs {
		t, i := &inputs[k], idx[k]
		for r := 0; r < n; r++ {
			var v float32
			var err error
			if t.Datatype == "BYTES" {
				v, err = enc.Value(i, string(t.Bytes[r]))
			} else {
				v, err = enc.Number(i, float64(t.Values[r]))
			}
			if err != nil {
				return nil, 0, s.valueError(t.Name, r, i, err)
			}
			rows[r*s.nf+i] = v
		}
	}
	return rows, n, nil
}

func quoteAll(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}

// classifyTensors runs the module over rows as ClassifyRows does (time
// checked between module calls, metrics counted) into res's columns.
func (s *Server) classifyTensors(ctx context.Context, rows []float32, n int, res *InferResult) error {
	c := len(s.meta.Classes)
	res.Labels = make([]string, 0, n)
	res.Probabilities = make([]float32, 0, n*c)
	res.OutlierScores = make([]float64, 0, n)
	res.Verdicts = make([]string, 0, n)
	wantIDs := slices.Contains(res.Outputs, OutputReplyID)
	var ids []byte
	var nonce uint64
	now := s.cfg.now()
	if wantIDs {
		nonce = s.signer.Reserve(n)
		ids = make([]byte, 0, n*replyid.Len)
	}
	buf := make([]model.Result, min(n, abi.DefaultMaxBatch))
	for start := 0; start < n; start += len(buf) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrTimeout, err)
		}
		k := min(len(buf), n-start)
		batch := rows[start*s.nf : (start+k)*s.nf]
		if err := s.mod.Classify(ctx, batch, buf[:k]); err != nil {
			if s.closed.Load() {
				return ErrClosed
			}
			return s.moduleError(ctx, err)
		}
		s.metrics.observeFlows(batch, s.nf, buf[:k])
		for i := range buf[:k] {
			r := &buf[i]
			label := ""
			if r.Class >= 0 && r.Class < c {
				label = s.meta.Classes[r.Class]
			}
			res.Labels = append(res.Labels, label)
			for j := 0; j < c; j++ {
				p := float32(0)
				if j < len(r.Probabilities) {
					p = float32(r.Probabilities[j])
				}
				res.Probabilities = append(res.Probabilities, p)
			}
			res.OutlierScores = append(res.OutlierScores, r.OutlierScore)
			res.Verdicts = append(res.Verdicts, r.Verdict.String())
			if wantIDs {
				ids = s.signer.Append(ids, nonce+uint64(start+i), r.Class, now)
			}
		}
	}
	if wantIDs {
		all := string(ids) // every id is replyid.Len characters
		res.ReplyIDs = make([]string, n)
		for i := range res.ReplyIDs {
			res.ReplyIDs[i] = all[i*replyid.Len : (i+1)*replyid.Len]
		}
	}
	s.metrics.batch.Observe(float64(n))
	return nil
}

// serverVersion is the flowsense module's version as the build recorded
// it ("devel" for a build from a work tree).
func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
