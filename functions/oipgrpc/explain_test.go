package oipgrpc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	pb "github.com/flowsense/flowsense/functions/oipgrpc/inferencepb"
)

var (
	explainOnce sync.Once
	explainWasm []byte
	explainErr  error
)

// serveExplain serves the test model with node covers, whose module has
// the explain export.
func serveExplain(t testing.TB) (string, *functions.Server) {
	t.Helper()
	explainOnce.Do(func() { explainWasm, explainErr = functionstest.ExplainModelWasm() })
	if explainErr != nil {
		t.Fatal(explainErr)
	}
	return serveModule(t, explainWasm)
}

// explained is an answer's outputs by name, as text and numbers.
type explained map[string][]string

func (x explained) add(name, v string) { x[name] = append(x[name], v) }

// explainedGRPC reads every output of a gRPC answer, typed or raw.
func explainedGRPC(t testing.TB, r *pb.ModelInferResponse) explained {
	t.Helper()
	x := explained{}
	for i, o := range r.GetOutputs() {
		name := o.GetName()
		x.add(name+"#shape", fmt.Sprint(o.GetShape()))
		if raw := r.GetRawOutputContents(); len(raw) > 0 {
			b := raw[i]
			switch o.GetDatatype() {
			case "BYTES":
				for len(b) > 0 {
					l := binary.LittleEndian.Uint32(b)
					x.add(name, string(b[4:4+l]))
					b = b[4+l:]
				}
			case "FP64":
				for ; len(b) > 0; b = b[8:] {
					x.add(name, fmt.Sprint(math.Float64frombits(binary.LittleEndian.Uint64(b))))
				}
			case "FP32":
				for ; len(b) > 0; b = b[4:] {
					x.add(name, fmt.Sprint(math.Float32frombits(binary.LittleEndian.Uint32(b))))
				}
			}
			continue
		}
		c := o.GetContents()
		for _, v := range c.GetBytesContents() {
			x.add(name, string(v))
		}
		for _, v := range c.GetFp64Contents() {
			x.add(name, fmt.Sprint(v))
		}
		for _, v := range c.GetFp32Contents() {
			x.add(name, fmt.Sprint(v))
		}
	}
	return x
}

// explainedREST posts rows with explain=n to the REST binding on the same
// port and reads every output.
func explainedREST(t testing.TB, addr, model string, rows []float32, n, nf, explain int) explained {
	t.Helper()
	data := make([]any, len(rows))
	for i, v := range rows {
		switch {
		case math.IsNaN(float64(v)):
			data[i] = nil
		case math.IsInf(float64(v), 0):
			data[i] = json.Number(fmt.Sprint(math.Copysign(1e39, float64(v))))
		default:
			data[i] = v
		}
	}
	body, _ := json.Marshal(map[string]any{"parameters": map[string]any{"explain": explain},
		"inputs": []any{map[string]any{"name": "x", "datatype": "FP32", "shape": []int{n, nf}, "data": data}}})
	resp, err := http.Post("http://"+addr+"/v2/models/"+model+"/infer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("REST: %d %s", resp.StatusCode, b)
	}
	var a struct {
		Outputs []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
			Data  []any  `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	x := explained{}
	for _, o := range a.Outputs {
		x.add(o.Name+"#shape", fmt.Sprint(o.Shape))
		for _, v := range o.Data {
			switch v := v.(type) {
			case float64:
				if o.Name == functions.OutputProbabilities {
					x.add(o.Name, fmt.Sprint(float32(v)))
				} else {
					x.add(o.Name, fmt.Sprint(v))
				}
			default:
				x.add(o.Name, fmt.Sprint(v))
			}
		}
	}
	return x
}

// TestGRPCExplain: the parameter explain (int64_param, uint64_param or
// string_param) adds the explanation outputs, the same over gRPC (typed
// and raw contents) as over REST on the same port.
func TestGRPCExplain(t *testing.T) {
	addr, s := serveExplain(t)
	c := client(t, addr)
	ctx := context.Background()
	name := s.OIPModelName()
	md, err := s.OIPModelMetadata(name, "")
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows(t, md)
	nf := len(md.Inputs)
	n := len(rows) / nf
	want := explainedREST(t, addr, name, rows, n, nf, 4)
	if len(want[functions.OutputExplainFeature]) != 4*n || len(want[functions.OutputExplainOutlierContribution]) != 4*n {
		t.Fatalf("REST answer without explanations: %v", want)
	}
	input := []*pb.ModelInferRequest_InferInputTensor{{Name: "flows", Datatype: "FP32", Shape: []int64{int64(n), int64(nf)}, Contents: &pb.InferTensorContents{Fp32Contents: rows}}}
	for pname, p := range map[string]*pb.InferParameter{
		"int64":  {ParameterChoice: &pb.InferParameter_Int64Param{Int64Param: 4}},
		"uint64": {ParameterChoice: &pb.InferParameter_Uint64Param{Uint64Param: 4}},
		"string": {ParameterChoice: &pb.InferParameter_StringParam{StringParam: "4"}},
	} {
		for _, raw := range []bool{false, true} {
			params := map[string]*pb.InferParameter{"explain": p}
			if raw {
				params["binary_data_output"] = &pb.InferParameter{ParameterChoice: &pb.InferParameter_BoolParam{BoolParam: true}}
			}
			r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: name, Inputs: input, Parameters: params})
			if err != nil {
				t.Fatalf("%s raw=%v: %v", pname, raw, err)
			}
			got := explainedGRPC(t, r)
			if len(got) != len(want) {
				t.Fatalf("%s raw=%v: %d outputs, REST %d", pname, raw, len(got)/2, len(want)/2)
			}
			for k, w := range want {
				if fmt.Sprint(got[k]) != fmt.Sprint(w) {
					t.Fatalf("%s raw=%v: %s = %v, REST %v", pname, raw, k, got[k], w)
				}
			}
		}
	}
	// off by default
	r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: name, Inputs: input})
	if err != nil || len(r.GetOutputs()) != 4 {
		t.Fatalf("no explain: %v %v", r, err)
	}
}

// TestGRPCExplainBad: a bad explain parameter, one on an input, an
// explanation output without it, or a module without the export is
// InvalidArgument with the REST binding's message.
func TestGRPCExplainBad(t *testing.T) {
	addr, s := serveExplain(t)
	c := client(t, addr)
	ctx := context.Background()
	name := s.OIPModelName()
	md, _ := s.OIPModelMetadata(name, "")
	rows := sampleRows(t, md)
	nf := len(md.Inputs)
	input := func() []*pb.ModelInferRequest_InferInputTensor {
		return []*pb.ModelInferRequest_InferInputTensor{{Name: "flows", Datatype: "FP32", Shape: []int64{int64(len(rows) / nf), int64(nf)}, Contents: &pb.InferTensorContents{Fp32Contents: rows}}}
	}
	param := func(p *pb.InferParameter) map[string]*pb.InferParameter {
		return map[string]*pb.InferParameter{"explain": p}
	}
	onInput := input()
	onInput[0].Parameters = param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_Int64Param{Int64Param: 2}})
	for what, req := range map[string]*pb.ModelInferRequest{
		"negative": {Parameters: param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_Int64Param{Int64Param: -1}})},
		"too many": {Parameters: param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_Uint64Param{Uint64Param: 1 << 40}})},
		"bool":     {Parameters: param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_BoolParam{BoolParam: true}})},
		"double":   {Parameters: param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_DoubleParam{DoubleParam: 2}})},
		"text":     {Parameters: param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_StringParam{StringParam: "two"}})},
		"empty":    {Parameters: param(&pb.InferParameter{})},
		"on input": {Inputs: onInput},
		"output":   {Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: functions.OutputExplainContribution}}},
	} {
		req.ModelName = name
		if req.Inputs == nil {
			req.Inputs = input()
		}
		_, err := c.ModelInfer(ctx, req)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "explain") {
			t.Errorf("%s: %v", what, err)
		}
	}
	paddr, ps := serve(t) // the test model's module has no explain export
	_, err := client(t, paddr).ModelInfer(ctx, &pb.ModelInferRequest{ModelName: ps.OIPModelName(), Inputs: input(),
		Parameters: param(&pb.InferParameter{ParameterChoice: &pb.InferParameter_Int64Param{Int64Param: 2}})})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "cannot explain") {
		t.Errorf("no explain export: %v", err)
	}
}

// benchGRPCExplainRatio calls ModelInfer over loopback with the same
// [n, F] typed request without and with explain=5, alternately, on the
// test model with covers: the cost of asking why over gRPC.
func benchGRPCExplainRatio(b *testing.B, n int) {
	addr, s := serveExplain(b)
	c := client(b, addr)
	md, _ := s.OIPModelMetadata(s.OIPModelName(), "")
	rows := sampleRows(b, md)
	nf := len(md.Inputs)
	for len(rows) < n*nf {
		rows = append(rows, rows...)
	}
	rows = rows[:n*nf]
	req := func(explain int64) *pb.ModelInferRequest {
		r := &pb.ModelInferRequest{ModelName: s.OIPModelName(), Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{int64(n), int64(nf)}, Contents: &pb.InferTensorContents{Fp32Contents: rows}}}}
		if explain > 0 {
			r.Parameters = map[string]*pb.InferParameter{"explain": {ParameterChoice: &pb.InferParameter_Int64Param{Int64Param: explain}}}
		}
		return r
	}
	ctx := context.Background()
	run := func(r *pb.ModelInferRequest) time.Duration {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := c.ModelInfer(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	plain := run(req(0))
	explained := run(req(5))
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/req")
	b.ReportMetric(float64(explained.Nanoseconds())/float64(b.N), "explain-ns/req")
	b.ReportMetric(float64(explained)/float64(plain), "explain/plain")
}

func BenchmarkGRPCExplainRatio_1flow(b *testing.B)    { benchGRPCExplainRatio(b, 1) }
func BenchmarkGRPCExplainRatio_100flows(b *testing.B) { benchGRPCExplainRatio(b, 100) }
