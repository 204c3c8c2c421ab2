package functions

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/model"
)

// explainFlows are the sample flows in a fixed order, their rows as the
// server decodes them, and /predict?explain=N's explanations of them.
func explainFlows(t testing.TB, s *Server, n int) ([]map[string]any, []float32, []*cloudevents.Explanation) {
	t.Helper()
	byClass := sampleFlows(t)
	var names []string
	for c := range byClass {
		names = append(names, c)
	}
	sort.Strings(names)
	var flows []map[string]any
	for _, c := range names {
		flows = append(flows, byClass[c])
	}
	b, _ := json.Marshal(flows)
	fl, err := s.dec.Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, _, body := oipDo(t, s, "POST", "/predict?explain="+strconv.Itoa(n), v2JSON, b)
	if code != 200 {
		t.Fatalf("/predict?explain=%d: %d %s", n, code, body)
	}
	var cs []cloudevents.Classification
	if err := json.Unmarshal(body, &cs); err != nil || len(cs) != len(flows) {
		t.Fatalf("/predict: %v, %d answers", err, len(cs))
	}
	want := make([]*cloudevents.Explanation, len(cs))
	for i := range cs {
		want[i] = cs[i].Explanation
	}
	return flows, append([]float32(nil), fl.Rows...), want
}

// npRequest is the [N, F] request for rows with the given request
// parameters (and outputs, when named).
func npRequest(s *Server, rows []float32, params map[string]any, outputs ...string) []byte {
	data := make([]any, len(rows))
	for i, v := range rows {
		switch {
		case v != v:
			data[i] = nil
		case math.IsInf(float64(v), 0): // beyond float32 reads as infinite
			data[i] = json.Number(strconv.FormatFloat(math.Copysign(1e39, float64(v)), 'g', -1, 64))
		default:
			data[i] = json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
	}
	req := map[string]any{"inputs": []any{map[string]any{"name": "flows", "datatype": "FP32", "shape": []int{len(rows) / s.nf, s.nf}, "data": data}}}
	if params != nil {
		req["parameters"] = params
	}
	if len(outputs) > 0 {
		var o []any
		for _, n := range outputs {
			o = append(o, map[string]any{"name": n})
		}
		req["outputs"] = o
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // test data
	}
	return b
}

// v2Explained is an answer's explanation outputs by name.
type v2Explained struct {
	shape map[string][]int
	strs  map[string][]string
	nums  map[string][]float64
}

func decodeExplained(t testing.TB, body []byte) v2Explained {
	t.Helper()
	var a v2Answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	x := v2Explained{shape: map[string][]int{}, strs: map[string][]string{}, nums: map[string][]float64{}}
	for _, o := range a.Outputs {
		if !isExplainOutput(o.Name) {
			continue
		}
		x.shape[o.Name] = o.Shape
		var err error
		if o.Datatype == "BYTES" {
			var v []string
			err = json.Unmarshal(o.Data, &v)
			x.strs[o.Name] = v
		} else {
			var v []float64
			err = json.Unmarshal(o.Data, &v)
			x.nums[o.Name] = v
		}
		if err != nil {
			t.Fatalf("output %s: %v", o.Name, err)
		}
	}
	return x
}

// checkExplained compares the explanation outputs of n flows with
// /predict's explanations (top k each, the rest padding).
func checkExplained(t testing.TB, what string, x v2Explained, want []*cloudevents.Explanation, nf, k, ko int) {
	t.Helper()
	n := len(want)
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*(1+math.Abs(b)) }
	for _, name := range explainOutputs {
		w := []int{n, k}
		if name == OutputExplainBias || name == OutputExplainMargin {
			w = w[:1]
		}
		if fmt.Sprint(x.shape[name]) != fmt.Sprint(w) {
			t.Fatalf("%s: %s has shape %v, want %v", what, name, x.shape[name], w)
		}
	}
	for _, name := range outlierOutputs {
		if fmt.Sprint(x.shape[name]) != fmt.Sprint([]int{n, ko}) {
			t.Fatalf("%s: %s has shape %v, want [%d %d]", what, name, x.shape[name], n, ko)
		}
	}
	for i := 0; i < n; i++ {
		seen := map[string]bool{}
		for _, name := range x.strs[OutputExplainFeature][i*k : (i+1)*k] {
			if seen[name] {
				t.Fatalf("%s flow %d: feature %q listed twice", what, i, name)
			}
			seen[name] = true
		}
	}
	for i, e := range want {
		if !near(x.nums[OutputExplainBias][i], e.Bias) || !near(x.nums[OutputExplainMargin][i], e.Margin) {
			t.Fatalf("%s flow %d: bias %v margin %v, want %v %v", what, i, x.nums[OutputExplainBias][i], x.nums[OutputExplainMargin][i], e.Bias, e.Margin)
		}
		for j := 0; j < k; j++ {
			name, value, c := x.strs[OutputExplainFeature][i*k+j], x.strs[OutputExplainValue][i*k+j], x.nums[OutputExplainContribution][i*k+j]
			if j < len(e.Features) {
				f := e.Features[j]
				wv := cloudevents.ValueText(f.Value) // /predict's value, digit for digit
				if name != f.Name || !near(c, f.Contribution) || value != wv {
					t.Fatalf("%s flow %d feature %d: %s=%q %v, want %s=%q %v", what, i, j, name, value, c, f.Name, wv, f.Contribution)
				}
			} else if c != 0 || name == "" {
				t.Fatalf("%s flow %d feature %d: padding %q %v, want a feature of zero contribution", what, i, j, name, c)
			}
		}
		for j := 0; j < ko; j++ {
			o := e.Outlier[j]
			if x.strs[OutputExplainOutlierFeature][i*ko+j] != o.Name || !near(x.nums[OutputExplainOutlierContribution][i*ko+j], o.Contribution) ||
				!near(x.nums[OutputExplainOutlierMean][i*ko+j], o.Mean) || !near(x.nums[OutputExplainOutlierZ][i*ko+j], o.Z) {
				t.Fatalf("%s flow %d outlier %d: %s %v, want %+v", what, i, j, x.strs[OutputExplainOutlierFeature][i*ko+j], x.nums[OutputExplainOutlierContribution][i*ko+j], o)
			}
		}
	}
}

// TestOIPExplain: the request parameter explain=N adds the explanation
// outputs, which agree with /predict?explain=N (itself checked against
// the native explainer), as JSON and as binary data, with N given as a
// number or a string; off by default; outputs named pick among them.
func TestOIPExplain(t *testing.T) {
	s, m := newExplainServer(t)
	path := "/v2/models/" + s.OIPModelName() + "/infer"
	nf, d := len(m.Schema.Features), len(m.Outlier.Features)
	for _, n := range []int{3, 1000} {
		_, rows, want := explainFlows(t, s, n)
		k, ko := min(n, nf), min(n, d)
		for _, param := range []any{n, strconv.Itoa(n)} {
			code, _, body := oipDo(t, s, "POST", path, v2JSON, npRequest(s, rows, map[string]any{"explain": param}))
			if code != 200 {
				t.Fatalf("explain %#v: %d %s", param, code, body)
			}
			checkExplained(t, fmt.Sprintf("explain=%#v", param), decodeExplained(t, body), want, nf, k, ko)
			// the usual outputs are still there, first
			var a v2Answer
			_ = json.Unmarshal(body, &a)
			if len(a.Outputs) != len(outputNames)+len(explainOutputs)+len(outlierOutputs) || a.Outputs[0].Name != OutputLabel {
				t.Fatalf("%d outputs, first %q", len(a.Outputs), a.Outputs[0].Name)
			}
		}
		// binary data
		code, h, body := oipDo(t, s, "POST", path, v2JSON, npRequest(s, rows, map[string]any{"explain": n, "binary_data_output": true}))
		if code != 200 {
			t.Fatalf("binary: %d %s", code, body)
		}
		checkExplained(t, "binary", binaryExplained(t, h, body), want, nf, k, ko)
	}

	// the model metadata says the parameter is answered (and only then)
	for srv, want := range map[*Server]string{s: "true", newTestServer(t): ""} {
		md, err := srv.OIPModelMetadata(srv.OIPModelName(), "")
		if err != nil || md.Parameters[ParamExplain] != want {
			t.Fatalf("model metadata parameters %v (%v), want explain %q", md.Parameters, err, want)
		}
	}

	_, rows, want := explainFlows(t, s, 2)
	// off by default and with 0
	for _, params := range []map[string]any{nil, {"explain": 0}, {"explain": "0"}} {
		code, _, body := oipDo(t, s, "POST", path, v2JSON, npRequest(s, rows, params))
		if code != 200 || strings.Contains(string(body), "explain_") {
			t.Fatalf("params %v: %d %s", params, code, body)
		}
	}
	// outputs named: exactly those
	code, _, body := oipDo(t, s, "POST", path, v2JSON, npRequest(s, rows, map[string]any{"explain": 2}, OutputLabel, OutputExplainFeature, OutputExplainContribution))
	var a v2Answer
	if code != 200 || json.Unmarshal(body, &a) != nil || len(a.Outputs) != 3 || a.Outputs[1].Name != OutputExplainFeature || a.Outputs[2].Name != OutputExplainContribution {
		t.Fatalf("named outputs: %d %s", code, body)
	}
	x := decodeExplained(t, body)
	for i, e := range want {
		if x.strs[OutputExplainFeature][2*i] != e.Features[0].Name {
			t.Fatalf("named outputs, flow %d: top feature %q, want %q", i, x.strs[OutputExplainFeature][2*i], e.Features[0].Name)
		}
	}
	// outputs named without an explanation one: they and all of them
	code, _, body = oipDo(t, s, "POST", path, v2JSON, npRequest(s, rows, map[string]any{"explain": 2}, OutputVerdict))
	if code != 200 || json.Unmarshal(body, &a) != nil || len(a.Outputs) != 1+len(explainOutputs)+len(outlierOutputs) || a.Outputs[0].Name != OutputVerdict {
		t.Fatalf("verdict and explain: %d %s", code, body)
	}
}

// binaryExplained reads the explanation outputs of a binary answer.
func binaryExplained(t testing.TB, h http.Header, body []byte) v2Explained {
	t.Helper()
	hl, err := strconv.Atoi(h.Get(HeaderInferenceHeaderLength))
	if err != nil {
		t.Fatalf("no %s: %v", HeaderInferenceHeaderLength, err)
	}
	var a v2Answer
	if err := json.Unmarshal(body[:hl], &a); err != nil {
		t.Fatal(err)
	}
	blob := body[hl:]
	x := v2Explained{shape: map[string][]int{}, strs: map[string][]string{}, nums: map[string][]float64{}}
	for _, o := range a.Outputs {
		size := int(o.Parameters["binary_data_size"].(float64))
		part := blob[:size]
		blob = blob[size:]
		if !isExplainOutput(o.Name) {
			continue
		}
		x.shape[o.Name] = o.Shape
		switch o.Datatype {
		case "BYTES":
			for len(part) > 0 {
				l := binary.LittleEndian.Uint32(part)
				x.strs[o.Name] = append(x.strs[o.Name], string(part[4:4+l]))
				part = part[4+l:]
			}
		case "FP64":
			for ; len(part) > 0; part = part[8:] {
				x.nums[o.Name] = append(x.nums[o.Name], math.Float64frombits(binary.LittleEndian.Uint64(part)))
			}
		default:
			t.Fatalf("%s: datatype %s", o.Name, o.Datatype)
		}
	}
	return x
}

// TestOIPExplainBad: a bad explain parameter, one on an input, or an
// explanation output named without it is a 400 problem of type explain;
// a module without the explain export answers 422 when asked and as
// before when not.
func TestOIPExplainBad(t *testing.T) {
	s, _ := newExplainServer(t)
	path := "/v2/models/" + s.OIPModelName() + "/infer"
	_, rows, _ := explainFlows(t, s, 1)
	good := npRequest(s, rows, nil)
	for name, body := range map[string][]byte{
		"negative":               npRequest(s, rows, map[string]any{"explain": -1}),
		"fraction":               npRequest(s, rows, map[string]any{"explain": 1.5}),
		"exponent":               npRequest(s, rows, map[string]any{"explain": json.Number("1e2")}),
		"too many":               npRequest(s, rows, map[string]any{"explain": MaxExplain + 1}),
		"bool":                   npRequest(s, rows, map[string]any{"explain": true}),
		"null":                   npRequest(s, rows, map[string]any{"explain": nil}),
		"object":                 npRequest(s, rows, map[string]any{"explain": map[string]any{}}),
		"text":                   npRequest(s, rows, map[string]any{"explain": "three"}),
		"empty string":           npRequest(s, rows, map[string]any{"explain": ""}),
		"on an input":            []byte(strings.Replace(string(good), `"name":"flows"`, `"name":"flows","parameters":{"explain":3}`, 1)),
		"output without explain": npRequest(s, rows, nil, OutputExplainFeature),
	} {
		code, h, b := oipDo(t, s, "POST", path, v2JSON, body)
		var e struct {
			Error string `json:"error"`
			Type  string `json:"type"`
		}
		if code != 400 || h.Get("Content-Type") != MediaTypeProblem || json.Unmarshal(b, &e) != nil || e.Type != "urn:flowsense:problem:explain" || !strings.Contains(e.Error, "explain") {
			t.Errorf("%s: %d %s %s", name, code, h.Get("Content-Type"), b)
		}
	}
	plain := newTestServer(t) // the test model's module has no explain export
	ppath := "/v2/models/" + plain.OIPModelName() + "/infer"
	code, _, b := oipDo(t, plain, "POST", ppath, v2JSON, npRequest(plain, rows, map[string]any{"explain": 2}))
	if code != 422 || !strings.Contains(string(b), "cannot-explain") || !strings.Contains(string(b), `"error":"the model cannot explain`) {
		t.Errorf("no explain export: %d %s", code, b)
	}
	if code, _, b := oipDo(t, plain, "POST", ppath, v2JSON, npRequest(plain, rows, nil)); code != 200 {
		t.Errorf("no explain export, not asked: %d %s", code, b)
	}
}

// TestOIPExplainOverflow: an explanation whose figures overflowed (a
// share of an outlier score gone to infinity) is answered as
// /predict?explain answers it, clamped to finite numbers, not a 500.
func TestOIPExplainOverflow(t *testing.T) {
	s, m := newExplainServer(t)
	inf := math.Inf(1)
	f0, o0 := 0, int(m.Outlier.Features[0])
	e := &model.Explanation{
		Margin: inf, Bias: -inf,
		Features: []model.FeatureContribution{{Feature: f0, Value: 1, Contribution: inf}},
		Outlier:  []model.OutlierContribution{{Feature: o0, Value: 2, Mean: math.NaN(), Z: inf, Contribution: -inf}},
	}
	want := cloudevents.Explain(&m.Schema, m.Classes, e)
	x := newExplained(1, 2, 1)
	x.put(0, &s.meta.Schema, make([]float32, s.nf), e, make([]bool, s.nf))
	res := &InferResult{ModelName: s.OIPModelName(), N: 1, Outputs: append(slices.Clone(explainOutputs), outlierOutputs...), Explained: x}
	b, _, err := s.appendInferResponse(nil, res, BinaryOutputs{})
	if err != nil {
		t.Fatalf("answer: %v", err)
	}
	got := decodeExplained(t, b)
	for name, w := range map[string]float64{
		OutputExplainMargin: want.Margin, OutputExplainBias: want.Bias, OutputExplainContribution: want.Features[0].Contribution,
		OutputExplainOutlierMean: want.Outlier[0].Mean, OutputExplainOutlierZ: want.Outlier[0].Z, OutputExplainOutlierContribution: want.Outlier[0].Contribution,
	} {
		if v := got.nums[name][0]; v != w {
			t.Errorf("%s = %v, want %v as /predict?explain gives it", name, v, w)
		}
	}
}
