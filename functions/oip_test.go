package functions

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// oipDo sends a request to s in process and returns the status, the
// headers and the body.
func oipDo(t testing.TB, s http.Handler, method, path string, h http.Header, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

var v2JSON = http.Header{"Content-Type": {"application/json"}}

// v2Answer is $inference_response as a client reads it.
type v2Answer struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name       string          `json:"name"`
		Datatype   string          `json:"datatype"`
		Shape      []int           `json:"shape"`
		Data       json.RawMessage `json:"data"`
		Parameters map[string]any  `json:"parameters"`
	} `json:"outputs"`
	Error string `json:"error"`
}

// flowsOf decodes the columns of an answer into one record per flow.
type v2Flow struct {
	Label   string
	Probs   []float32
	Score   float64
	Verdict string
}

func decodeV2(t testing.TB, body []byte) []v2Flow {
	t.Helper()
	var a v2Answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	var labels, verdicts []string
	var probs []float32
	var scores []float64
	c := 0
	for _, o := range a.Outputs {
		var err error
		switch o.Name {
		case OutputLabel:
			err = json.Unmarshal(o.Data, &labels)
		case OutputVerdict:
			err = json.Unmarshal(o.Data, &verdicts)
		case OutputProbabilities:
			err = json.Unmarshal(o.Data, &probs)
			c = o.Shape[1]
		case OutputOutlierScore:
			err = json.Unmarshal(o.Data, &scores)
		}
		if err != nil {
			t.Fatalf("output %s: %v", o.Name, err)
		}
	}
	out := make([]v2Flow, len(labels))
	for i := range out {
		out[i] = v2Flow{Label: labels[i], Verdict: verdicts[i], Score: scores[i], Probs: probs[i*c : (i+1)*c]}
	}
	return out
}

// predictFlows is /predict's answer for flows as v2Flow records.
func predictFlows(t testing.TB, s http.Handler, classes []string, flows []map[string]any) []v2Flow {
	t.Helper()
	body, _ := json.Marshal(flows)
	code, _, b := oipDo(t, s, "POST", "/predict", v2JSON, body)
	if code != 200 {
		t.Fatalf("/predict: %d %s", code, b)
	}
	var res []struct {
		Label         string             `json:"label"`
		Probabilities map[string]float64 `json:"probabilities"`
		OutlierScore  float64            `json:"outlier_score"`
		Verdict       string             `json:"verdict"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	out := make([]v2Flow, len(res))
	for i, r := range res {
		out[i] = v2Flow{Label: r.Label, Score: r.OutlierScore, Verdict: r.Verdict}
		for _, c := range classes {
			out[i].Probs = append(out[i].Probs, float32(r.Probabilities[c]))
		}
	}
	return out
}

func sameFlows(t testing.TB, what string, got, want []v2Flow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d flows, /predict %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Label != w.Label || g.Verdict != w.Verdict || g.Score != w.Score || fmt.Sprint(g.Probs) != fmt.Sprint(w.Probs) {
			t.Errorf("%s: flow %d is %+v, /predict says %+v", what, i, g, w)
		}
	}
}

// TestOIPMatchesPredict: the same flows through /v2 in every input form
// (an [N, F] matrix as JSON, as FP64, as binary FP32; one column each)
// answer what /predict answers: labels, verdicts and outlier scores
// exactly, probabilities as float32.
func TestOIPMatchesPredict(t *testing.T) {
	s := newTestServer(t)
	md := s.Metadata()
	samples := functionstest.SampleFlows(t, behaviourDir)
	var flows []map[string]any
	for _, c := range []string{"BENIGN", "Brute Force", "Exfiltration", "PortScan", "SYN Flood", "Slow DoS"} {
		flows = append(flows, samples[c])
	}
	want := predictFlows(t, s, md.Classes, flows)
	nf := len(md.Schema.Features)
	// rows in schema order as /predict reads them
	rows := make([]float32, 0, len(flows)*nf)
	for _, f := range flows {
		for _, feat := range md.Schema.Features {
			v, ok := f[feat.Name]
			switch x := v.(type) {
			case float64:
				rows = append(rows, float32(x))
			case string:
				p, err := model.ParseNumber(x)
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, p)
			default:
				if ok && v != nil {
					t.Fatalf("value %v", v)
				}
				rows = append(rows, float32(math.NaN()))
			}
		}
	}
	jsonNums := func(vals []float32) []any {
		out := make([]any, len(vals))
		for i, v := range vals {
			switch {
			case math.IsNaN(float64(v)):
				out[i] = nil
			case math.IsInf(float64(v), 1):
				out[i] = json.Number("1e39")
			case math.IsInf(float64(v), -1):
				out[i] = json.Number("-1e39")
			default:
				out[i] = json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
			}
		}
		return out
	}
	path := "/v2/models/functions-test/infer"
	post := func(t *testing.T, h http.Header, body []byte) []byte {
		t.Helper()
		code, _, b := oipDo(t, s, "POST", path, h, body)
		if code != 200 {
			t.Fatalf("%d %s", code, b)
		}
		return b
	}
	t.Run("matrix FP32", func(t *testing.T) {
		req, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "x", "datatype": "FP32", "shape": []int{len(flows), nf}, "data": jsonNums(rows)}}})
		sameFlows(t, "matrix", decodeV2(t, post(t, v2JSON, req)), want)
	})
	t.Run("columns", func(t *testing.T) {
		var inputs []any
		for i, f := range md.Schema.Features {
			col := make([]float32, len(flows))
			for r := range flows {
				col[r] = rows[r*nf+i]
			}
			inputs = append(inputs, map[string]any{"name": f.Name, "datatype": "FP32", "shape": []int{len(flows)}, "data": jsonNums(col)})
		}
		req, _ := json.Marshal(map[string]any{"inputs": inputs})
		sameFlows(t, "columns", decodeV2(t, post(t, v2JSON, req)), want)
	})
	t.Run("binary in and out", func(t *testing.T) {
		raw := make([]byte, 0, 4*len(rows))
		for _, v := range rows {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		js, _ := json.Marshal(map[string]any{
			"parameters": map[string]any{"binary_data_output": true},
			"inputs":     []any{map[string]any{"name": "x", "datatype": "FP32", "shape": []int{len(flows), nf}, "parameters": map[string]any{"binary_data_size": len(raw)}}},
		})
		h := http.Header{"Content-Type": {"application/octet-stream"}, HeaderInferenceHeaderLength: {strconv.Itoa(len(js))}}
		code, rh, b := oipDo(t, s, "POST", path, h, append(js, raw...))
		if code != 200 {
			t.Fatalf("%d %s", code, b)
		}
		n, err := strconv.Atoi(rh.Get(HeaderInferenceHeaderLength))
		if err != nil || n > len(b) {
			t.Fatalf("header %q for %d bytes", rh.Get(HeaderInferenceHeaderLength), len(b))
		}
		got := decodeBinaryAnswer(t, b[:n], b[n:])
		sameFlows(t, "binary", got, want)
	})
}

// decodeBinaryAnswer reads an answer whose outputs are all binary.
func decodeBinaryAnswer(t testing.TB, js, raw []byte) []v2Flow {
	t.Helper()
	var a v2Answer
	if err := json.Unmarshal(js, &a); err != nil {
		t.Fatal(err)
	}
	var labels, verdicts []string
	var probs []float32
	var scores []float64
	c := 0
	for _, o := range a.Outputs {
		size := int(o.Parameters["binary_data_size"].(float64))
		part := raw[:size]
		raw = raw[size:]
		switch o.Datatype {
		case "BYTES":
			var strs []string
			for len(part) > 0 {
				n := binary.LittleEndian.Uint32(part)
				strs = append(strs, string(part[4:4+n]))
				part = part[4+n:]
			}
			if o.Name == OutputLabel {
				labels = strs
			} else {
				verdicts = strs
			}
		case "FP32":
			c = o.Shape[1]
			for i := 0; i < len(part); i += 4 {
				probs = append(probs, math.Float32frombits(binary.LittleEndian.Uint32(part[i:])))
			}
		case "FP64":
			for i := 0; i < len(part); i += 8 {
				scores = append(scores, math.Float64frombits(binary.LittleEndian.Uint64(part[i:])))
			}
		}
	}
	if len(raw) != 0 {
		t.Fatalf("%d bytes after the outputs", len(raw))
	}
	out := make([]v2Flow, len(labels))
	for i := range out {
		out[i] = v2Flow{Label: labels[i], Verdict: verdicts[i], Score: scores[i], Probs: probs[i*c : (i+1)*c]}
	}
	return out
}

// categoricalServer serves a two-feature model: "bytes" (numeric) and
// "service" (http, ssh, dns; an unknown category is an error); a flow is
// an attack when its service is ssh.
func categoricalServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	m := &model.Model{
		Format: model.FormatVersion,
		Meta:   model.Metadata{TrainerVersion: "test", Name: "cats"},
		Schema: model.Schema{Features: []model.Feature{
			{Name: "bytes"},
			{Name: "service", Kind: model.Categorical, Categories: []string{"http", "ssh", "dns"}, Unknown: model.UnknownError},
		}},
		Classes: []string{"normal", "attack"},
		Benign:  []int{0},
		Ensemble: model.Ensemble{Objective: model.Logistic, Outputs: 1, BaseScore: []float32{0}, Trees: []model.Tree{{
			Output: 0, Feature: []int32{1, -1, -1}, Threshold: []float32{0, 0, 0}, Op: []model.Op{model.InSet, 0, 0},
			DefaultLeft: []bool{false, false, false}, Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1},
			Value: []float32{0, 4, -4}, CatBegin: []int32{0, -1, -1}, CatBits: []uint32{3, 0b010},
		}}},
	}
	if err := model.Validate(m); err != nil {
		t.Fatal(err)
	}
	wasm, err := compiler.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), wasm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// TestOIPCategorical: a categorical feature is BYTES in the metadata, and
// reads a category name as BYTES (columns or matrix) and a code as a
// number; an unknown category is a 400 naming the flow and the feature.
func TestOIPCategorical(t *testing.T) {
	s := categoricalServer(t)
	code, _, b := oipDo(t, s, "GET", "/v2/models/cats", nil, nil)
	if code != 200 || !bytes.Contains(b, []byte(`{"name":"service","datatype":"BYTES","shape":[-1]}`)) || !bytes.Contains(b, []byte(`{"name":"bytes","datatype":"FP32","shape":[-1]}`)) {
		t.Fatalf("metadata %d %s", code, b)
	}
	cases := map[string]struct {
		req    string
		status int
		labels []string
		detail string
	}{
		"columns BYTES": {req: `{"inputs":[{"name":"bytes","datatype":"INT64","shape":[3],"data":[10,20,30]},{"name":"service","datatype":"BYTES","shape":[3],"data":["ssh","http","dns"]}]}`,
			status: 200, labels: []string{"attack", "normal", "normal"}},
		"column codes": {req: `{"inputs":[{"name":"service","datatype":"INT32","shape":[2,1],"data":[[1],[2]]}]}`,
			status: 200, labels: []string{"attack", "normal"}},
		"matrix codes": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[5,1,5,0]}]}`,
			status: 200, labels: []string{"attack", "normal"}},
		"matrix BYTES": {req: `{"inputs":[{"name":"x","datatype":"BYTES","shape":[2,2],"data":["5","ssh","7.5","dns"]}]}`,
			status: 200, labels: []string{"attack", "normal"}},
		"pd with one column": {req: `{"parameters":{"content_type":"pd"},"inputs":[{"name":"service","datatype":"BYTES","shape":[1],"data":["ssh"]}]}`,
			status: 200, labels: []string{"attack"}},
		"np names a feature": {req: `{"parameters":{"content_type":"np"},"inputs":[{"name":"service","datatype":"FP32","shape":[1,2],"data":[0,1]}]}`,
			status: 200, labels: []string{"attack"}},
		"unknown category": {req: `{"inputs":[{"name":"service","datatype":"BYTES","shape":[2],"data":["ssh","ftp"]}]}`,
			status: 400, detail: `input "service", flow 1, feature "service": unknown category "ftp" for feature "service"`},
		"code out of range": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,7]}]}`,
			status: 400, detail: `flow 0, feature "service"`},
		"columns of unequal length": {req: `{"inputs":[{"name":"bytes","datatype":"FP32","shape":[2],"data":[1,2]},{"name":"service","datatype":"BYTES","shape":[1],"data":["ssh"]}]}`,
			status: 400, detail: "every column needs one value per flow"},
		"same feature twice": {req: `{"inputs":[{"name":"bytes","datatype":"FP32","shape":[1],"data":[1]},{"name":"bytes","datatype":"FP32","shape":[1],"data":[2]}]}`,
			status: 400, detail: `inputs "bytes" and "bytes" name the same feature`},
		"bad content type": {req: `{"parameters":{"content_type":"str"},"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,1]}]}`,
			status: 400, detail: `content_type "str"`},
		"a column of two dimensions": {req: `{"inputs":[{"name":"bytes","datatype":"FP32","shape":[1,2],"data":[1,2]},{"name":"service","datatype":"BYTES","shape":[1],"data":["ssh"]}]}`,
			status: 400, detail: "want [N] or [N, 1]"},
		"no flows": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[0,2],"data":[]}]}`,
			status: 400, detail: "the batch dimension is 0"},
		"no inputs": {req: `{"inputs":[]}`, status: 400, detail: "no inputs"},
		"negative shape": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[-1,2],"data":[1,2]}]}`,
			status: 400, detail: "negative dimension"},
		"huge shape": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[4294967296,4294967296],"data":[1,2]}]}`,
			status: 400, detail: "too large"},
		"data not an array": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":{"a":1}}]}`,
			status: 400, detail: "data must be a JSON array"},
		"no data": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2]}]}`,
			status: 400, detail: `input "x" has no data`},
		"number in BYTES": {req: `{"inputs":[{"name":"x","datatype":"BYTES","shape":[1,2],"data":[1,"ssh"]}]}`,
			status: 400, detail: "element 0 is not a string"},
		"bad number": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[01,1]}]}`,
			status: 400, detail: "not JSON"},
		"binary size without the header": {req: `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":8}}]}`,
			status: 400, detail: "no Inference-Header-Content-Length"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, h, b := oipDo(t, s, "POST", "/v2/models/cats/infer", v2JSON, []byte(tc.req))
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, b)
			}
			if code != 200 {
				var a v2Answer
				if err := json.Unmarshal(b, &a); err != nil || h.Get("Content-Type") != MediaTypeProblem || !strings.Contains(a.Error, tc.detail) {
					t.Fatalf("error %q (%s), want it to contain %q", a.Error, h.Get("Content-Type"), tc.detail)
				}
				return
			}
			got := decodeV2(t, b)
			if len(got) != len(tc.labels) {
				t.Fatalf("%d flows, want %d", len(got), len(tc.labels))
			}
			for i, f := range got {
				if f.Label != tc.labels[i] {
					t.Errorf("flow %d: %s, want %s", i, f.Label, tc.labels[i])
				}
			}
		})
	}
}

// TestOIPLimits: the flow and body limits hold on /v2 as on /predict.
func TestOIPLimits(t *testing.T) {
	s := categoricalServer(t, WithMaxFlows(3), WithMaxBodyBytes(1000))
	code, _, b := oipDo(t, s, "POST", "/v2/models/cats/infer", v2JSON, []byte(`{"inputs":[{"name":"x","datatype":"FP32","shape":[4,2],"data":[1,1,1,1,1,1,1,1]}]}`))
	if code != 413 || !bytes.Contains(b, []byte(`"error":"too many flows: 4 flows in one request, the limit is 3"`)) {
		t.Fatalf("%d %s", code, b)
	}
	big := `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,1]}],"id":"` + strings.Repeat("a", 1000) + `"}`
	code, _, b = oipDo(t, s, "POST", "/v2/models/cats/infer", v2JSON, []byte(big))
	if code != 413 || !bytes.Contains(b, []byte(`"error":"request body too large`)) {
		t.Fatalf("%d %s", code, b)
	}
}

// TestOIPClosedAndNamed: a closed server is not ready (503 with an error
// object); WithModelName renames the model in the protocol only.
func TestOIPClosedAndNamed(t *testing.T) {
	s := categoricalServer(t, WithModelName("intrusion"))
	if code, _, b := oipDo(t, s, "GET", "/v2/models/intrusion/ready", nil, nil); code != 200 || string(b) != `{"name":"intrusion","ready":true}`+"\n" {
		t.Fatalf("%d %s", code, b)
	}
	if code, _, _ := oipDo(t, s, "GET", "/v2/models/cats/ready", nil, nil); code != 404 {
		t.Fatalf("the metadata name answered %d", code)
	}
	req := []byte(`{"id":"a\u00e9\"","inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,1]}]}`)
	code, _, b := oipDo(t, s, "POST", "/v2/models/intrusion/infer", v2JSON, req)
	var a v2Answer
	if code != 200 || json.Unmarshal(b, &a) != nil || a.ID != "a\u00e9\"" || a.ModelName != "intrusion" || a.ModelVersion == "" {
		t.Fatalf("%d %s", code, b)
	}
	_ = s.Close(context.Background())
	for _, p := range []string{"/v2/health/ready", "/v2/models/intrusion/ready"} {
		code, h, b := oipDo(t, s, "GET", p, nil, nil)
		if code != 503 || h.Get("Retry-After") == "" || !bytes.Contains(b, []byte(`"error":"unavailable`)) {
			t.Errorf("%s after Close: %d %s", p, code, b)
		}
	}
	if code, _, _ := oipDo(t, s, "GET", "/v2/health/live", nil, nil); code != 200 {
		t.Errorf("live after Close: %d", code)
	}
	if code, _, _ := oipDo(t, s, "POST", "/v2/models/intrusion/infer", v2JSON, req); code != 503 {
		t.Errorf("infer after Close: %d", code)
	}
}

// TestBinaryDatatypes: every fixed-size datatype's binary form decodes
// to its values; BYTES elements are length-prefixed.
func TestBinaryDatatypes(t *testing.T) {
	le := binary.LittleEndian
	cases := map[string]struct {
		raw  []byte
		want []float32
		bad  string
	}{
		"BOOL":   {raw: []byte{0, 1}, want: []float32{0, 1}},
		"UINT8":  {raw: []byte{0, 255}, want: []float32{0, 255}},
		"INT8":   {raw: []byte{0x80, 5}, want: []float32{-128, 5}},
		"UINT16": {raw: le.AppendUint16(nil, 65535), want: []float32{65535}},
		"INT16":  {raw: le.AppendUint16(nil, 0x8000), want: []float32{-32768}},
		"FP16":   {raw: le.AppendUint16(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0x3c00), 0xc000), 0x0001), 0x7c00), want: []float32{1, -2, 5.9604645e-08, float32(math.Inf(1))}},
		"UINT32": {raw: le.AppendUint32(nil, 1<<31), want: []float32{1 << 31}},
		"INT32":  {raw: le.AppendUint32(nil, 0xffffffff), want: []float32{-1}},
		"FP32":   {raw: le.AppendUint32(nil, math.Float32bits(0.1)), want: []float32{0.1}},
		"UINT64": {raw: le.AppendUint64(nil, 1<<40), want: []float32{1 << 40}},
		"INT64":  {raw: le.AppendUint64(nil, 0xfffffffffffffffe), want: []float32{-2}},
		"FP64":   {raw: le.AppendUint64(nil, math.Float64bits(2.5)), want: []float32{2.5}},
		"ragged": {raw: []byte{1, 2, 3}, bad: "not whole FP32 elements"},
		"bool 2": {raw: []byte{2}, bad: "want 0 or 1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dt := name
			switch name {
			case "ragged":
				dt = "FP32"
			case "bool 2":
				dt = "BOOL"
			}
			tn := Tensor{Name: "x", Datatype: dt}
			err := DecodeRawTensor(tc.raw, &tn)
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("error %v, want %q", err, tc.bad)
				}
				return
			}
			if err != nil || fmt.Sprint(tn.Values) != fmt.Sprint(tc.want) {
				t.Fatalf("%v %v, want %v", tn.Values, err, tc.want)
			}
		})
	}
	tn := Tensor{Name: "s", Datatype: "BYTES"}
	raw := append(le.AppendUint32(nil, 3), "ssh"...)
	raw = append(le.AppendUint32(raw, 0), le.AppendUint32(nil, 9)...)
	if err := DecodeRawTensor(raw[:11], &tn); err != nil || len(tn.Bytes) != 2 || string(tn.Bytes[0]) != "ssh" || len(tn.Bytes[1]) != 0 {
		t.Fatalf("%q %v", tn.Bytes, err)
	}
	if err := DecodeRawTensor(raw, &Tensor{Name: "s", Datatype: "BYTES"}); err == nil || !strings.Contains(err.Error(), "length 9, 0 bytes are left") {
		t.Fatalf("a truncated element: %v", err)
	}
}

// TestHalfToFloat checks every binary16 value against the definition.
func TestHalfToFloat(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		sign := 1.0
		if h>>15 == 1 {
			sign = -1
		}
		exp, frac := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && frac == 0:
			want = math.Inf(int(sign))
		case exp == 0x1f:
			want = math.NaN()
		case exp == 0:
			want = sign * float64(frac) * math.Pow(2, -24)
		default:
			want = sign * (1 + float64(frac)/1024) * math.Pow(2, float64(exp-15))
		}
		got := float64(halfToFloat(uint16(h)))
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && (got != want || math.Signbit(got) != math.Signbit(want))) {
			t.Fatalf("half %#04x: %v, want %v", h, got, want)
		}
	}
}

// TestOIPReplyIDs: reply_id, asked for by name, carries ids that
// /feedback accepts; it is not among the default outputs.
func TestOIPReplyIDs(t *testing.T) {
	s := categoricalServer(t)
	req := `{"inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[5,1,5,0]}],"outputs":[{"name":"label"},{"name":"reply_id"}]}`
	code, _, b := oipDo(t, s, "POST", "/v2/models/cats/infer", v2JSON, []byte(req))
	var a v2Answer
	if code != 200 || json.Unmarshal(b, &a) != nil || len(a.Outputs) != 2 || a.Outputs[1].Name != "reply_id" || a.Outputs[1].Datatype != "BYTES" {
		t.Fatalf("%d %s", code, b)
	}
	var ids, labels []string
	if json.Unmarshal(a.Outputs[1].Data, &ids) != nil || json.Unmarshal(a.Outputs[0].Data, &labels) != nil || len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("ids %s", a.Outputs[1].Data)
	}
	for i, id := range ids {
		fb, _ := json.Marshal(map[string]string{"id": id, "truth": labels[i]})
		if code, _, b := oipDo(t, s, "POST", "/feedback", v2JSON, fb); code != 200 {
			t.Fatalf("feedback with reply id %d: %d %s", i, code, b)
		}
	}
	code, _, b = oipDo(t, s, "POST", "/v2/models/cats/infer", v2JSON, []byte(`{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[5,1]}]}`))
	if code != 200 || bytes.Contains(b, []byte("reply_id")) {
		t.Fatalf("default outputs: %d %s", code, b)
	}
}
