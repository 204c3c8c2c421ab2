package functions

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowsense/flowsense/model"
)

// seedInfer adds the bodies of the golden inference requests with their
// Inference-Header-Content-Length (-1 without).
func seedInfer(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(behaviourDir, "v2_*.req"))
	for _, p := range paths {
		r := readReq(f, strings.TrimSuffix(filepath.Base(p), ".req"))
		if r.Method != http.MethodPost {
			continue
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		hl := -1
		if h := r.Header.Get(HeaderInferenceHeaderLength); h != "" {
			hl, _ = strconv.Atoi(h)
		}
		f.Add(b.Bytes(), hl)
	}
}

// FuzzOIPInfer: any body to /v2/models/{name}/infer, with or without the
// binary extension's header, is answered below 500; an error is a problem
// document carrying the protocol's "error" string, an answer's JSON part
// is JSON with one output per flow.
func FuzzOIPInfer(f *testing.F) {
	seedInfer(f)
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, headerLen int) {
		req := httptest.NewRequest(http.MethodPost, "/v2/models/functions-test/infer", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if headerLen >= 0 {
			req.Header.Set(HeaderInferenceHeaderLength, strconv.Itoa(headerLen))
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		out := rec.Body.Bytes()
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, out)
		}
		if rec.Code != 200 {
			var e struct {
				Error string `json:"error"`
			}
			if rec.Header().Get("Content-Type") != MediaTypeProblem || json.Unmarshal(out, &e) != nil || e.Error == "" {
				t.Fatalf("status %d without an error object: %s", rec.Code, out)
			}
			return
		}
		if n := rec.Header().Get(HeaderInferenceHeaderLength); n != "" {
			k, err := strconv.Atoi(n)
			if err != nil || k > len(out) {
				t.Fatalf("header %q for %d bytes", n, len(out))
			}
			out = out[:k]
		}
		var a v2Answer
		if err := json.Unmarshal(out, &a); err != nil || len(a.Outputs) == 0 {
			t.Fatalf("answer %s: %v", out, err)
		}
		for _, o := range a.Outputs {
			if len(o.Shape) == 0 || o.Shape[0] <= 0 || o.Shape[0] > 50 {
				t.Fatalf("output %s of shape %v", o.Name, o.Shape)
			}
		}
	})
}

// refTensorData is parseTensorData by encoding/json: the reference.
func refTensorData(b []byte, isBytes bool) (vals []float32, strs [][]byte, ok bool) {
	if !json.Valid(b) {
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, nil, false
	}
	top, isArr := v.([]any)
	if !isArr {
		return nil, nil, false
	}
	var walk func(a []any, depth int) bool
	walk = func(a []any, depth int) bool {
		if depth >= maxDataDepth {
			return false
		}
		for _, e := range a {
			switch x := e.(type) {
			case []any:
				if !walk(x, depth+1) {
					return false
				}
			case string:
				if !isBytes {
					return false
				}
				strs = append(strs, []byte(x))
			case json.Number:
				if isBytes {
					return false
				}
				f, err := model.ParseNumber(string(x))
				if err != nil {
					return false
				}
				vals = append(vals, f)
			case bool:
				if isBytes {
					return false
				}
				vals = append(vals, map[bool]float32{false: 0, true: 1}[x])
			case nil:
				if isBytes {
					return false
				}
				vals = append(vals, float32(math.NaN()))
			default:
				return false
			}
		}
		return true
	}
	if !walk(top, 0) {
		return nil, nil, false
	}
	return vals, strs, true
}

func sameValues(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// FuzzTensorData: the tensor data parser accepts what encoding/json reads
// as an array of this datatype's elements, and reads the same values.
func FuzzTensorData(f *testing.F) {
	for _, s := range []string{`[1, 2.5, -3e2, null, true]`, `[[1,2],[3,4]]`, `["a", "b\n\u00e9"]`, `[]`, ` [ [ ] , [1] ] `, `[1,]`, `[01]`, `[1e400]`, `["\ud800"]`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, isBytes bool) {
		if !utf8.Valid(b) { // encoding/json replaces bad UTF-8 in strings; the parser keeps the bytes
			return
		}
		dt := "FP32"
		if isBytes {
			dt = "BYTES"
		}
		tn := Tensor{Name: "x", Datatype: dt}
		err := parseTensorData(b, &tn)
		vals, strs, ok := refTensorData(b, isBytes)
		if (err == nil) != ok {
			t.Fatalf("%q: parser error %v, encoding/json accepts: %v", b, err, ok)
		}
		if !ok {
			return
		}
		if !sameValues(tn.Values, vals) || len(tn.Bytes) != len(strs) {
			t.Fatalf("%q: %v %q, want %v %q", b, tn.Values, tn.Bytes, vals, strs)
		}
		for i := range strs {
			if !bytes.Equal(tn.Bytes[i], strs[i]) {
				t.Fatalf("%q: string %d is %q, want %q", b, i, tn.Bytes[i], strs[i])
			}
		}
	})
}

// FuzzInferRequestRoundTrip: a request DecodeInferRequest accepts, written
// again as JSON and as binary tensors, decodes to the same tensors.
func FuzzInferRequestRoundTrip(f *testing.F) {
	seedInfer(f)
	f.Fuzz(func(t *testing.T, body []byte, headerLen int) {
		if headerLen < -1 {
			headerLen = -1
		}
		req, _, err := DecodeInferRequest(body, headerLen)
		if err != nil {
			if StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("status %d: %v", StatusOf(err), err)
			}
			return
		}
		// as JSON, flat
		var ins []any
		var raw []byte
		var bins []any
		for _, tn := range req.Inputs {
			in := map[string]any{"name": tn.Name, "datatype": tn.Datatype, "shape": tn.Shape}
			bin := map[string]any{"name": tn.Name, "datatype": tn.Datatype, "shape": tn.Shape}
			n0 := len(raw)
			if tn.Datatype == "BYTES" {
				data := make([]string, len(tn.Bytes))
				for i, s := range tn.Bytes {
					if !utf8.Valid(s) {
						return // JSON cannot carry it; binary can, but the JSON leg could not compare
					}
					data[i] = string(s)
					raw = binary.LittleEndian.AppendUint32(raw, uint32(len(s)))
					raw = append(raw, s...)
				}
				in["data"] = data
			} else {
				data := make([]any, len(tn.Values))
				for i, v := range tn.Values {
					switch {
					case math.IsNaN(float64(v)):
						data[i] = nil
					case math.IsInf(float64(v), 0):
						data[i] = json.Number(strconv.FormatFloat(math.Copysign(1e39, float64(v)), 'g', -1, 64))
					default:
						data[i] = json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
					}
					raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
				}
				in["data"] = data
				bin["datatype"] = "FP32"
			}
			bin["parameters"] = map[string]any{"binary_data_size": len(raw) - n0}
			ins = append(ins, in)
			bins = append(bins, bin)
		}
		// explain as a number in the JSON leg, as a string in the binary one
		jsReq := map[string]any{"id": req.ID, "inputs": ins}
		binReq := map[string]any{"id": req.ID, "inputs": bins}
		if req.Explain != 0 {
			jsReq["parameters"] = map[string]any{"explain": req.Explain}
			binReq["parameters"] = map[string]any{"explain": strconv.Itoa(req.Explain)}
		}
		js, err := json.Marshal(jsReq)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := DecodeInferRequest(js, -1)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		hdr, _ := json.Marshal(binReq)
		fromBin, _, err := DecodeInferRequest(append(hdr, raw...), len(hdr))
		if err != nil {
			t.Fatalf("binary %s: %v", hdr, err)
		}
		for _, got := range []*InferRequest{again, fromBin} {
			if got.ID != req.ID || len(got.Inputs) != len(req.Inputs) || got.Explain != req.Explain {
				t.Fatalf("id %q, %d inputs, explain %d; want %q, %d, %d", got.ID, len(got.Inputs), got.Explain, req.ID, len(req.Inputs), req.Explain)
			}
			for i := range req.Inputs {
				a, b := &req.Inputs[i], &got.Inputs[i]
				if a.Name != b.Name || !sameValues(a.Values, b.Values) || len(a.Bytes) != len(b.Bytes) {
					t.Fatalf("input %d: %+v, want %+v", i, b, a)
				}
				for k := range a.Bytes {
					if !bytes.Equal(a.Bytes[k], b.Bytes[k]) {
						t.Fatalf("input %d element %d: %q, want %q", i, k, b.Bytes[k], a.Bytes[k])
					}
				}
			}
		}
	})
}

// FuzzExplainParam: the request parameter explain, any JSON value, is
// accepted exactly when encoding/json reads it as a whole number (or a
// string holding one, as strconv.Atoi reads it) from 0 to MaxExplain,
// with that value; otherwise it is a 400 of ErrExplain.
func FuzzExplainParam(f *testing.F) {
	for _, s := range []string{`3`, `"3"`, `0`, `-0`, `-1`, `1.5`, `1e2`, `true`, `null`, `{}`, `[]`, `""`, `"\u0033"`, `" 3"`, `65536`, `65537`, `99999999999999999999`, `"+3"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		body := []byte(`{"parameters":{"explain":` + string(v) + `},"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}`)
		if !json.Valid(body) || !utf8.Valid(v) {
			return // not a parameter value: the body's own error
		}
		want, ok := refExplainParam(v)
		req, _, err := DecodeInferRequest(body, -1)
		if ok != (err == nil) {
			t.Fatalf("explain %s: error %v, reference accepts: %v", v, err, ok)
		}
		if err != nil {
			if !errors.Is(err, ErrExplain) || StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("explain %s: %v (status %d), want a 400 of ErrExplain", v, err, StatusOf(err))
			}
			return
		}
		if req.Explain != want {
			t.Fatalf("explain %s: %d, want %d", v, req.Explain, want)
		}
	})
}

// refExplainParam is the explain parameter by encoding/json and strconv.
func refExplainParam(v []byte) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) != nil {
		return 0, false
	}
	var s string
	switch x := x.(type) {
	case string:
		s = x
	case json.Number:
		s = string(x)
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxExplain {
		return 0, false
	}
	return n, true
}

// FuzzOIPExplain: any body to the explaining module's infer endpoint is
// answered below 500; an answer with explanations has every explanation
// output of shape [N] or [N, K] with K at most the features, the data
// that many elements, and the contributions finite.
func FuzzOIPExplain(f *testing.F) {
	s, _ := newExplainServer(f)
	_, rows, _ := explainFlows(f, s, 1)
	for _, n := range []any{1, 3, "2", 1000, 0} {
		f.Add(npRequest(s, rows, map[string]any{"explain": n}), -1)
		f.Add(npRequest(s, rows[:s.nf], map[string]any{"explain": n}, OutputExplainOutlierZ, OutputLabel), -1)
	}
	seedInfer(f)
	path := "/v2/models/" + s.OIPModelName() + "/infer"
	f.Fuzz(func(t *testing.T, body []byte, headerLen int) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if headerLen >= 0 {
			req.Header.Set(HeaderInferenceHeaderLength, strconv.Itoa(headerLen))
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		out := rec.Body.Bytes()
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, out)
		}
		if rec.Code != 200 || rec.Header().Get(HeaderInferenceHeaderLength) != "" {
			return
		}
		var a v2Answer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("answer %s: %v", out, err)
		}
		for _, o := range a.Outputs {
			if !isExplainOutput(o.Name) {
				continue
			}
			count := 1
			for _, d := range o.Shape {
				count *= d
			}
			if len(o.Shape) == 0 || len(o.Shape) > 2 || o.Shape[0] <= 0 || len(o.Shape) == 2 && (o.Shape[1] <= 0 || o.Shape[1] > s.nf) {
				t.Fatalf("output %s of shape %v", o.Name, o.Shape)
			}
			var data []any
			if err := json.Unmarshal(o.Data, &data); err != nil || len(data) != count {
				t.Fatalf("output %s: %d elements for shape %v (%v)", o.Name, len(data), o.Shape, err)
			}
		}
	})
}
