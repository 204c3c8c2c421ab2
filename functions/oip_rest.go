package functions

// The Open Inference Protocol's HTTP/REST binding (KServe's
// inference_rest.md) with the binary tensor data extension.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/flowsense/flowsense/model"
)

// HeaderInferenceHeaderLength is the binary tensor data extension's
// header: the length of the JSON part of a body; the tensors' bytes
// follow it.
const HeaderInferenceHeaderLength = "Inference-Header-Content-Length"

// oipRoutes are the protocol's patterns on the Server's mux.
var oipRoutes = map[string]route{
	"GET /v2":                                         (*Server).serveOIPServerMetadata,
	"GET /v2/health/live":                             (*Server).serveOIPLive,
	"GET /v2/health/ready":                            (*Server).serveOIPReady,
	"GET /v2/models/{name}":                           (*Server).serveOIPModelMetadata,
	"GET /v2/models/{name}/versions/{version}":        (*Server).serveOIPModelMetadata,
	"GET /v2/models/{name}/ready":                     (*Server).serveOIPModelReady,
	"GET /v2/models/{name}/versions/{version}/ready":  (*Server).serveOIPModelReady,
	"POST /v2/models/{name}/infer":                    (*Server).serveOIPInfer,
	"POST /v2/models/{name}/versions/{version}/infer": (*Server).serveOIPInfer,
}

// isOIPPath reports whether a path is the protocol's: its errors are
// answered with the protocol's error object.
func isOIPPath(p string) bool { return p == "/v2" || strings.HasPrefix(p, "/v2/") }

// writeErrorFor answers err: a problem document, which for the protocol's
// paths also carries the protocol's {"error": message} member.
func writeErrorFor(w http.ResponseWriter, r *http.Request, err error) {
	if !isOIPPath(r.URL.Path) {
		writeProblem(w, err)
		return
	}
	p := ProblemOf(err)
	msg := p.Title
	if strings.HasPrefix(p.Detail, p.Title) {
		msg = p.Detail
	} else if p.Detail != "" {
		msg += ": " + p.Detail
	}
	b, merr := json.Marshal(struct {
		Error string `json:"error"`
		Problem
	}{msg, p})
	if merr != nil { // cannot happen: plain fields
		writeProblem(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", MediaTypeProblem)
	h.Set("Cache-Control", "no-store")
	if p.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) serveOIPServerMetadata(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.OIPServerMetadata())
	return nil
}

func (s *Server) serveOIPLive(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]bool{"live": true})
	return nil
}

func (s *Server) serveOIPReady(w http.ResponseWriter, r *http.Request) error {
	if !s.OIPServerReady() {
		return ErrClosed
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
	return nil
}

func (s *Server) serveOIPModelMetadata(w http.ResponseWriter, r *http.Request) error {
	m, err := s.OIPModelMetadata(modelPath(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) serveOIPModelReady(w http.ResponseWriter, r *http.Request) error {
	ready, err := s.OIPModelReady(modelPath(r))
	if err != nil {
		return err
	}
	if !ready {
		return ErrClosed
	}
	writeJSON(w, http.StatusOK, struct {
		Name  string `json:"name"`
		Ready bool   `json:"ready"`
	}{s.oip.name, true})
	return nil
}

func (s *Server) serveOIPInfer(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkModel(modelPath(r)); err != nil {
		return err
	}
	if ct := strings.TrimSpace(r.Header.Get("Content-Type")); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/octet-stream") {
			return fmt.Errorf("%w: %q; send application/json (or application/octet-stream with %s)", ErrContentType, ct, HeaderInferenceHeaderLength)
		}
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	hl := -1
	if h := r.Header.Get(HeaderInferenceHeaderLength); h != "" {
		hl, err = strconv.Atoi(strings.TrimSpace(h))
		if err != nil || hl < 0 || hl > len(body) {
			return badInfer("%s: %q, the body has %d bytes", HeaderInferenceHeaderLength, h, len(body))
		}
	}
	req, binOut, err := DecodeInferRequest(body, hl)
	if err != nil {
		return err
	}
	req.ModelName, req.ModelVersion = modelPath(r)
	res, err := s.Infer(r.Context(), req)
	if err != nil {
		return err
	}
	out, jsonLen, err := s.appendInferResponse(nil, res, binOut)
	if err != nil {
		return err
	}
	h := w.Header()
	if jsonLen < len(out) {
		h.Set("Content-Type", "application/octet-stream")
		h.Set(HeaderInferenceHeaderLength, strconv.Itoa(jsonLen))
	} else {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// modelPath returns the {name} and {version} of a /v2/models/... path
// (ServeHTTP calls routes without ServeMux setting path values).
func modelPath(r *http.Request) (name, version string) {
	seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v2/models/"), "/")
	unescape := func(s string) string {
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
		return s
	}
	name = unescape(seg[0])
	if len(seg) >= 3 && seg[1] == "versions" {
		version = unescape(seg[2])
	}
	return name, version
}

// restRequest is $inference_request.
type restRequest struct {
	ID         *string                    `json:"id"`
	Parameters map[string]json.RawMessage `json:"parameters"`
	Inputs     []restInput                `json:"inputs"`
	Outputs    []restOutput               `json:"outputs"`
}

type restInput struct {
	Name       string                     `json:"name"`
	Shape      []int64                    `json:"shape"`
	Datatype   string                     `json:"datatype"`
	Parameters map[string]json.RawMessage `json:"parameters"`
	Data       json.RawMessage            `json:"data"`
}

type restOutput struct {
	Name       string                     `json:"name"`
	Parameters map[string]json.RawMessage `json:"parameters"`
}

// BinaryOutputs says which outputs an answer carries as binary data (the
// binary tensor data extension): all of them, or those named.
type BinaryOutputs struct {
	All   bool
	Named map[string]bool
}

func (b BinaryOutputs) has(name string) bool { return b.All || b.Named[name] }

// DecodeInferRequest reads a REST inference request: the JSON object, and
// with headerLen >= 0 (the Inference-Header-Content-Length) the JSON in
// body[:headerLen] and the tensors of the inputs with a binary_data_size
// parameter, in input order, in body[headerLen:]. It returns the request
// (without model name and version, which the path gives) and the outputs
// asked for as binary. Errors are *Error (400).
func DecodeInferRequest(body []byte, headerLen int) (*InferRequest, BinaryOutputs, error) {
	var bin BinaryOutputs
	js, raw := body, []byte(nil)
	if headerLen >= 0 {
		if headerLen > len(body) {
			return nil, bin, badInfer("%s is %d, the body has %d bytes", HeaderInferenceHeaderLength, headerLen, len(body))
		}
		js, raw = body[:headerLen], body[headerLen:]
	}
	var rr restRequest
	if err := json.Unmarshal(js, &rr); err != nil {
		return nil, bin, jsonError(err)
	}
	req := &InferRequest{}
	if rr.ID != nil {
		req.ID = *rr.ID
	}
	for k, v := range rr.Parameters {
		switch k {
		case "content_type":
			ct, err := paramString(v)
			if err != nil {
				return nil, bin, badInfer("parameter content_type: %v", err)
			}
			req.ContentType = ct
		case "binary_data_output":
			b, err := paramBool(v)
			if err != nil {
				return nil, bin, badInfer("parameter binary_data_output: %v", err)
			}
			bin.All = b
		case ParamExplain:
			text, err := explainParamText(v)
			if err == nil {
				req.Explain, err = ParseExplain(text)
			}
			if err != nil {
				return nil, bin, err
			}
		}
	}
	if len(rr.Inputs) == 0 {
		return nil, bin, badInfer("no inputs")
	}
	req.Inputs = make([]Tensor, len(rr.Inputs))
	for i := range rr.Inputs {
		in := &rr.Inputs[i]
		t := &req.Inputs[i]
		t.Name, t.Datatype, t.Shape = in.Name, in.Datatype, in.Shape
		if !numericType(t.Datatype) && t.Datatype != "BYTES" {
			return nil, bin, badInfer("input %q: datatype %q is not one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES", t.Name, t.Datatype)
		}
		if _, ok := in.Parameters[ParamExplain]; ok {
			return nil, bin, fmt.Errorf("%w: input %q has the parameter %s; it explains whole flows, so it goes in the request's parameters", ErrExplain, t.Name, ParamExplain)
		}
		size := int64(-1)
		if v, ok := in.Parameters["binary_data_size"]; ok {
			n, err := paramInt(v)
			if err != nil || n < 0 {
				return nil, bin, badInfer("input %q: parameter binary_data_size: want a byte count, got %s", t.Name, v)
			}
			size = n
		}
		if size >= 0 {
			if headerLen < 0 {
				return nil, bin, badInfer("input %q has a binary_data_size but the request no %s header", t.Name, HeaderInferenceHeaderLength)
			}
			if len(in.Data) > 0 && string(in.Data) != "null" {
				return nil, bin, badInfer("input %q has both data and a binary_data_size", t.Name)
			}
			if size > int64(len(raw)) {
				return nil, bin, badInfer("input %q: binary_data_size %d, only %d bytes of binary data are left", t.Name, size, len(raw))
			}
			if err := DecodeRawTensor(raw[:size], t); err != nil {
				return nil, bin, err
			}
			raw = raw[size:]
			continue
		}
		if len(in.Data) == 0 || string(in.Data) == "null" {
			return nil, bin, badInfer("input %q has no data", t.Name)
		}
		if err := parseTensorData(in.Data, t); err != nil {
			return nil, bin, err
		}
	}
	if len(raw) > 0 {
		return nil, bin, badInfer("%d bytes of binary data after the inputs' binary_data_size", len(raw))
	}
	for _, o := range rr.Outputs {
		req.Outputs = append(req.Outputs, o.Name)
		if v, ok := o.Parameters["binary_data"]; ok {
			b, err := paramBool(v)
			if err != nil {
				return nil, bin, badInfer("output %q: parameter binary_data: %v", o.Name, err)
			}
			if b {
				if bin.Named == nil {
					bin.Named = map[string]bool{}
				}
				bin.Named[o.Name] = true
			}
		}
	}
	return req, bin, nil
}

// jsonError makes encoding/json's errors a 400 that says where.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the request"
		}
		return badInfer("%s: a JSON %s where %s goes", field, te.Value, kindOf(te.Type.Kind().String()))
	case errors.As(err, &se):
		return badInfer("not JSON: %v (at byte %d)", se, se.Offset)
	}
	return badInfer("not JSON: %v", err)
}

func kindOf(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int64":
		return "an integer"
	}
	return "a " + k
}

func paramString(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s", v)
	}
	return s, nil
}

func paramBool(v json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, fmt.Errorf("want true or false, got %s", v)
	}
	return b, nil
}

func paramInt(v json.RawMessage) (int64, error) {
	var n int64
	err := json.Unmarshal(v, &n)
	return n, err
}

// maxDataDepth bounds the nesting of a tensor's JSON data.
const maxDataDepth = 32

// parseTensorData reads a tensor's JSON data (an array, flat or nested in
// the tensor's shape: the nesting is not checked, the element count is)
// into t.Values (numbers; true and false as 1 and 0; null as missing) or,
// for BYTES, t.Bytes (strings).
func parseTensorData(b []byte, t *Tensor) error {
	p := dataParser{b: b, t: t, bytes: t.Datatype == "BYTES"}
	p.ws()
	if p.i >= len(b) || b[p.i] != '[' {
		return badInfer("input %q: data must be a JSON array", t.Name)
	}
	if err := p.array(0); err != nil {
		return err
	}
	p.ws()
	if p.i != len(b) {
		return p.fail("after the array")
	}
	return nil
}

type dataParser struct {
	b     []byte
	i     int
	t     *Tensor
	bytes bool
	count int
}

func (p *dataParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\r' || p.b[p.i] == '\t') {
		p.i++
	}
}

func (p *dataParser) fail(what string) error {
	return badInfer("input %q: data is not a JSON array of %s (byte %d, %s)", p.t.Name, p.elements(), p.i, what)
}

func (p *dataParser) elements() string {
	if p.bytes {
		return "strings"
	}
	return "numbers"
}

// array reads an array at b[i] == '['.
func (p *dataParser) array(depth int) error {
	if depth >= maxDataDepth {
		return badInfer("input %q: data nested deeper than %d arrays", p.t.Name, maxDataDepth)
	}
	p.i++ // '['
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) {
			return p.fail("unterminated")
		}
		if p.b[p.i] == '[' {
			if err := p.array(depth + 1); err != nil {
				return err
			}
		} else if err := p.scalar(); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return p.fail("unterminated")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.fail("want , or ]")
		}
	}
}

func (p *dataParser) scalar() error {
	c := p.b[p.i]
	k := p.count
	p.count++
	if p.bytes {
		if c != '"' {
			return badInfer("input %q: datatype BYTES, element %d is not a string", p.t.Name, k)
		}
		s, err := p.str()
		if err != nil {
			return err
		}
		p.t.Bytes = append(p.t.Bytes, s)
		return nil
	}
	switch {
	case c == '"':
		return badInfer("input %q: datatype %s, element %d is a string (send BYTES for text)", p.t.Name, p.t.Datatype, k)
	case p.lit("true"):
		p.t.Values = append(p.t.Values, 1)
	case p.lit("false"):
		p.t.Values = append(p.t.Values, 0)
	case p.lit("null"):
		p.t.Values = append(p.t.Values, float32(math.NaN()))
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		for p.i < len(p.b) && strings.IndexByte("+-.eE0123456789", p.b[p.i]) >= 0 {
			p.i++
		}
		tok := p.b[start:p.i]
		if !validJSONNumber(tok) {
			p.i = start
			return p.fail("bad number")
		}
		f, err := model.ParseNumber(string(tok))
		if err != nil {
			return p.fail("bad number")
		}
		p.t.Values = append(p.t.Values, f)
	default:
		return p.fail(fmt.Sprintf("element %d", k))
	}
	return nil
}

func (p *dataParser) lit(s string) bool {
	if bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.i += len(s)
		return true
	}
	return false
}

// str reads a JSON string at b[i] == '"'.
func (p *dataParser) str() ([]byte, error) {
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '\\':
			escaped = true
			p.i += 2
			continue
		case c == '"':
			p.i++
			tok := p.b[start:p.i]
			if !escaped {
				return tok[1 : len(tok)-1], nil
			}
			var s string
			if err := json.Unmarshal(tok, &s); err != nil {
				return nil, p.fail("bad string")
			}
			return []byte(s), nil
		case c < 0x20:
			return nil, p.fail("control character in a string")
		}
		p.i++
	}
	return nil, p.fail("unterminated string")
}

// validJSONNumber checks a number token against JSON's grammar.
func validJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(b)
}

// elemSize is the bytes of one element of a fixed-size datatype.
func elemSize(dt string) int {
	switch dt {
	case "BOOL", "UINT8", "INT8":
		return 1
	case "UINT16", "INT16", "FP16":
		return 2
	case "UINT32", "INT32", "FP32":
		return 4
	case "UINT64", "INT64", "FP64":
		return 8
	}
	return 0
}

// DecodeRawTensor reads a tensor's binary data (the REST binary
// extension's and gRPC's raw_input_contents) into t.Values or t.Bytes by
// t.Datatype: little-endian elements of the datatype's size, row-major;
// for BYTES each element a 4-byte little-endian length and its bytes;
// BOOL one byte, 0 or 1; FP16 widened to float32. Errors are *Error (400).
func DecodeRawTensor(b []byte, t *Tensor) error {
	if t.Datatype == "BYTES" {
		for len(b) > 0 {
			if len(b) < 4 {
				return badInfer("input %q: %d bytes left where a 4-byte element length goes", t.Name, len(b))
			}
			n := binary.LittleEndian.Uint32(b)
			if uint64(n) > uint64(len(b)-4) {
				return badInfer("input %q: element %d has length %d, %d bytes are left", t.Name, len(t.Bytes), n, len(b)-4)
			}
			t.Bytes = append(t.Bytes, b[4:4+n])
			b = b[4+n:]
		}
		return nil
	}
	size := elemSize(t.Datatype)
	if len(b)%size != 0 {
		return badInfer("input %q: %d bytes of binary data are not whole %s elements of %d bytes", t.Name, len(b), t.Datatype, size)
	}
	t.Values = make([]float32, len(b)/size)
	for i := range t.Values {
		e := b[i*size : (i+1)*size]
		var v float32
		switch t.Datatype {
		case "BOOL":
			if e[0] > 1 {
				return badInfer("input %q: BOOL element %d is %d, want 0 or 1", t.Name, i, e[0])
			}
			v = float32(e[0])
		case "UINT8":
			v = float32(e[0])
		case "INT8":
			v = float32(int8(e[0]))
		case "UINT16":
			v = float32(binary.LittleEndian.Uint16(e))
		case "INT16":
			v = float32(int16(binary.LittleEndian.Uint16(e)))
		case "FP16":
			v = halfToFloat(binary.LittleEndian.Uint16(e))
		case "UINT32":
			v = float32(binary.LittleEndian.Uint32(e))
		case "INT32":
			v = float32(int32(binary.LittleEndian.Uint32(e)))
		case "FP32":
			v = math.Float32frombits(binary.LittleEndian.Uint32(e))
		case "UINT64":
			v = float32(binary.LittleEndian.Uint64(e))
		case "INT64":
			v = float32(int64(binary.LittleEndian.Uint64(e)))
		case "FP64":
			v = float32(math.Float64frombits(binary.LittleEndian.Uint64(e)))
		}
		t.Values[i] = v
	}
	return nil
}

// halfToFloat widens an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		// subnormal: frac * 2^-24
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// appendInferResponse writes $inference_response; outputs in bin are
// written as binary data after the JSON. It returns the body and the
// length of its JSON part.
func (s *Server) appendInferResponse(b []byte, res *InferResult, bin BinaryOutputs) ([]byte, int, error) {
	b = append(b, `{"model_name":`...)
	b = appendJSONString(b, res.ModelName)
	if res.ModelVersion != "" {
		b = append(b, `,"model_version":`...)
		b = appendJSONString(b, res.ModelVersion)
	}
	if res.ID != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, res.ID)
	}
	b = append(b, `,"outputs":[`...)
	var tail []byte
	for k, name := range res.Outputs {
		if k > 0 {
			b = append(b, ',')
		}
		dt, shape, strs, fp32, fp64 := res.Output(name)
		b = append(b, `{"name":"`...)
		b = append(b, name...)
		b = append(b, `","datatype":"`...)
		b = append(b, dt...)
		b = append(b, `","shape":[`...)
		for i, d := range shape {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, d, 10)
		}
		b = append(b, ']')
		if bin.has(name) {
			n0 := len(tail)
			tail = res.AppendRaw(tail, name)
			b = append(b, `,"parameters":{"binary_data_size":`...)
			b = strconv.AppendInt(b, int64(len(tail)-n0), 10)
			b = append(b, "}}"...)
			continue
		}
		b = append(b, `,"data":[`...)
		switch {
		case name == OutputLabel:
			for i, x := range strs {
				if i > 0 {
					b = append(b, ',')
				}
				b = s.appendQuotedClass(b, x)
			}
		case strs != nil:
			for i, x := range strs {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, x)
			}
		case fp32 != nil:
			for i, x := range fp32 {
				if i > 0 {
					b = append(b, ',')
				}
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, 0, fmt.Errorf("%w: probability %v", ErrModel, x)
				}
				b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
			}
		default:
			for i, x := range fp64 {
				if i > 0 {
					b = append(b, ',')
				}
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, 0, fmt.Errorf("%w: %s %v", ErrModel, name, x)
				}
				b = strconv.AppendFloat(b, x, 'g', -1, 64)
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]}"...)
	if len(tail) == 0 {
		b = append(b, '\n')
	}
	n := len(b)
	return append(b, tail...), n, nil
}

// AppendRaw appends output name's binary form (as DecodeRawTensor reads
// it) to b.
func (r *InferResult) AppendRaw(b []byte, name string) []byte {
	_, _, strs, fp32, fp64 := r.Output(name)
	switch {
	case strs != nil:
		for _, x := range strs {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(x)))
			b = append(b, x...)
		}
	case fp32 != nil:
		for _, x := range fp32 {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	default:
		for _, x := range fp64 {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b
}

// appendQuotedClass appends a class name as a JSON string.
func (s *Server) appendQuotedClass(b []byte, label string) []byte {
	for i, c := range s.meta.Classes {
		if c == label {
			return append(b, s.oip.quotedClasses[i]...)
		}
	}
	q, _ := json.Marshal(label)
	return append(b, q...)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
