package oipgrpc_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/functions/oipgrpc"
	pb "github.com/flowsense/flowsense/functions/oipgrpc/inferencepb"
	"github.com/flowsense/flowsense/model"
)

const behaviourDir = "../testdata/behaviour"

// serve runs the test model behind functions.Serve with gRPC and the
// HTTP handler on one loopback port, and returns the address.
func serve(t testing.TB, opts ...functions.Option) (string, *functions.Server) {
	t.Helper()
	wasm, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	return serveModule(t, wasm, opts...)
}

// serveModule is serve for another module.
func serveModule(t testing.TB, wasm []byte, opts ...functions.Option) (string, *functions.Server) {
	t.Helper()
	ctx := context.Background()
	s, err := functions.New(ctx, wasm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- functions.Serve(sctx, ln, oipgrpc.Handler(oipgrpc.NewServer(s), s)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		_ = s.Close(ctx)
	})
	return ln.Addr().String(), s
}

func client(t testing.TB, addr string) pb.GRPCInferenceServiceClient {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return pb.NewGRPCInferenceServiceClient(cc)
}

// sampleRows are the six sample flows (one per class) in schema order.
func sampleRows(t testing.TB, md *functions.ModelMetadata) []float32 {
	t.Helper()
	flows := functionstest.SampleFlows(t, behaviourDir)
	var rows []float32
	for _, c := range []string{"BENIGN", "Brute Force", "Exfiltration", "PortScan", "SYN Flood", "Slow DoS"} {
		for _, in := range md.Inputs {
			switch x := flows[c][in.Name].(type) {
			case float64:
				rows = append(rows, float32(x))
			case string:
				v, err := model.ParseNumber(x)
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, v)
			default:
				rows = append(rows, float32(math.NaN()))
			}
		}
	}
	return rows
}

// flow is one flow's outputs.
type flow struct {
	Label, Verdict string
	Probs          []float32
	Score          float64
}

func fromGRPC(t testing.TB, r *pb.ModelInferResponse) []flow {
	t.Helper()
	var labels, verdicts []string
	var probs []float32
	var scores []float64
	c := 0
	for i, o := range r.GetOutputs() {
		ct := o.GetContents()
		if len(r.GetRawOutputContents()) > 0 {
			tn := functions.Tensor{Name: o.GetName(), Datatype: o.GetDatatype()}
			raw := r.GetRawOutputContents()[i]
			if o.GetDatatype() == "FP64" { // DecodeRawTensor narrows to float32: read FP64 here
				for k := 0; k+8 <= len(raw); k += 8 {
					scores = append(scores, math.Float64frombits(binary.LittleEndian.Uint64(raw[k:])))
				}
				continue
			}
			if err := functions.DecodeRawTensor(raw, &tn); err != nil {
				t.Fatal(err)
			}
			ct = &pb.InferTensorContents{Fp32Contents: tn.Values, BytesContents: tn.Bytes}
		}
		switch o.GetName() {
		case functions.OutputLabel:
			for _, b := range ct.GetBytesContents() {
				labels = append(labels, string(b))
			}
		case functions.OutputVerdict:
			for _, b := range ct.GetBytesContents() {
				verdicts = append(verdicts, string(b))
			}
		case functions.OutputProbabilities:
			probs, c = ct.GetFp32Contents(), int(o.GetShape()[1])
		case functions.OutputOutlierScore:
			scores = append(scores, ct.GetFp64Contents()...)
		}
	}
	out := make([]flow, len(labels))
	for i := range out {
		out[i] = flow{Label: labels[i], Verdict: verdicts[i], Score: scores[i], Probs: probs[i*c : (i+1)*c]}
	}
	return out
}

// restInfer posts rows to the REST binding over HTTP/1.1 on the same port.
func restInfer(t testing.TB, addr string, rows []float32, n, nf int) []flow {
	t.Helper()
	data := make([]any, len(rows))
	for i, v := range rows {
		if math.IsNaN(float64(v)) {
			data[i] = nil
		} else if math.IsInf(float64(v), 0) {
			data[i] = json.Number(fmt.Sprint(math.Copysign(1e39, float64(v))))
		} else {
			data[i] = v
		}
	}
	body, _ := json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "x", "datatype": "FP32", "shape": []int{n, nf}, "data": data}}})
	resp, err := http.Post("http://"+addr+"/v2/models/functions-test/infer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.ProtoMajor != 1 {
		t.Fatalf("REST: %s %d %s", resp.Proto, resp.StatusCode, b)
	}
	var a struct {
		Outputs []struct {
			Name  string          `json:"name"`
			Shape []int           `json:"shape"`
			Data  json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	var labels, verdicts []string
	var probs []float32
	var scores []float64
	c := 0
	for _, o := range a.Outputs {
		switch o.Name {
		case functions.OutputLabel:
			_ = json.Unmarshal(o.Data, &labels)
		case functions.OutputVerdict:
			_ = json.Unmarshal(o.Data, &verdicts)
		case functions.OutputProbabilities:
			_ = json.Unmarshal(o.Data, &probs)
			c = o.Shape[1]
		case functions.OutputOutlierScore:
			_ = json.Unmarshal(o.Data, &scores)
		}
	}
	out := make([]flow, len(labels))
	for i := range out {
		out[i] = flow{Label: labels[i], Verdict: verdicts[i], Score: scores[i], Probs: probs[i*c : (i+1)*c]}
	}
	return out
}

func same(t testing.TB, what string, got, want []flow) {
	t.Helper()
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%s: %d flows, REST %d", what, len(got), len(want))
	}
	for i := range got {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("%s: flow %d %+v, REST %+v", what, i, got[i], want[i])
		}
	}
}

// TestGRPC: the generated client talks to flowsense serve's port over
// h2c: health, metadata, and inference from typed and raw contents that
// answer what the REST binding answers on the same port over HTTP/1.1.
func TestGRPC(t *testing.T) {
	addr, s := serve(t)
	c := client(t, addr)
	ctx := context.Background()
	if r, err := c.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil || !r.GetLive() {
		t.Fatalf("ServerLive %v %v", r, err)
	}
	if r, err := c.ServerReady(ctx, &pb.ServerReadyRequest{}); err != nil || !r.GetReady() {
		t.Fatalf("ServerReady %v %v", r, err)
	}
	sm, err := c.ServerMetadata(ctx, &pb.ServerMetadataRequest{})
	if err != nil || sm.GetName() != "flowsense" || fmt.Sprint(sm.GetExtensions()) != "[binary_tensor_data]" {
		t.Fatalf("ServerMetadata %v %v", sm, err)
	}
	md, err := s.OIPModelMetadata("functions-test", "")
	if err != nil {
		t.Fatal(err)
	}
	mm, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "functions-test"})
	if err != nil || mm.GetPlatform() != functions.OIPPlatform || len(mm.GetInputs()) != len(md.Inputs) || len(mm.GetOutputs()) != 4 ||
		mm.GetInputs()[0].GetName() != md.Inputs[0].Name || fmt.Sprint(mm.GetOutputs()[1].GetShape()) != "[-1 6]" || fmt.Sprint(mm.GetVersions()) != fmt.Sprint(md.Versions) {
		t.Fatalf("ModelMetadata %v %v", mm, err)
	}
	if r, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "functions-test", Version: md.Versions[0]}); err != nil || !r.GetReady() {
		t.Fatalf("ModelReady %v %v", r, err)
	}
	rows := sampleRows(t, md)
	nf := len(md.Inputs)
	n := len(rows) / nf
	want := restInfer(t, addr, rows, n, nf)
	t.Run("typed contents", func(t *testing.T) {
		r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "functions-test", Id: "g1", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{int64(n), int64(nf)}, Contents: &pb.InferTensorContents{Fp32Contents: rows}}}})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetId() != "g1" || r.GetModelName() != "functions-test" || r.GetModelVersion() != md.Versions[0] || len(r.GetRawOutputContents()) != 0 {
			t.Fatalf("response %v", r)
		}
		same(t, "typed", fromGRPC(t, r), want)
	})
	t.Run("raw contents", func(t *testing.T) {
		raw := make([]byte, 0, 4*len(rows))
		for _, v := range rows {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{int64(n), int64(nf)}}}, RawInputContents: [][]byte{raw}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.GetRawOutputContents()) != 4 {
			t.Fatalf("%d raw outputs", len(r.GetRawOutputContents()))
		}
		same(t, "raw", fromGRPC(t, r), want)
	})
	t.Run("columns", func(t *testing.T) {
		var ins []*pb.ModelInferRequest_InferInputTensor
		for i, f := range md.Inputs {
			col := make([]float32, n)
			for k := range col {
				col[k] = rows[k*nf+i]
			}
			in := &pb.ModelInferRequest_InferInputTensor{Name: f.Name, Datatype: "FP32", Shape: []int64{int64(n)}, Contents: &pb.InferTensorContents{Fp32Contents: col}}
			if f.Name == "Dst Port" { // a numeric feature as text
				in.Datatype, in.Contents = "BYTES", &pb.InferTensorContents{}
				for _, v := range col {
					in.Contents.BytesContents = append(in.Contents.BytesContents, []byte(fmt.Sprint(v)))
				}
			}
			ins = append(ins, in)
		}
		r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "functions-test", Inputs: ins,
			Parameters: map[string]*pb.InferParameter{"content_type": {ParameterChoice: &pb.InferParameter_StringParam{StringParam: "pd"}}}})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "columns", fromGRPC(t, r), want)
	})
	t.Run("outputs asked for", func(t *testing.T) {
		r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{1, int64(nf)}, Contents: &pb.InferTensorContents{Fp32Contents: rows[:nf]}}},
			Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "verdict"}}})
		if err != nil || len(r.GetOutputs()) != 1 || string(r.GetOutputs()[0].GetContents().GetBytesContents()[0]) != want[0].Verdict {
			t.Fatalf("%v %v", r, err)
		}
	})
	errs := map[string]struct {
		req  *pb.ModelInferRequest
		code codes.Code
		msg  string
	}{
		"unknown model": {&pb.ModelInferRequest{ModelName: "nope"}, codes.NotFound, `no such model: no model "nope"`},
		"bad shape": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{2, 3}, Contents: &pb.InferTensorContents{Fp32Contents: make([]float32, 6)}}}}, codes.InvalidArgument, "want [N, 42]"},
		"wrong contents field": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{1, 1}, Contents: &pb.InferTensorContents{IntContents: []int32{1}}}}}, codes.InvalidArgument, "datatype FP32 takes fp32_contents, not int_contents"},
		"no contents": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{1, 1}}}}, codes.InvalidArgument, `input "flows" has no contents`},
		"raw and typed": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{1, 1}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{1}}}}, RawInputContents: [][]byte{{0, 0, 0, 0}}}, codes.InvalidArgument, "send one or the other"},
		"raw count": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{1, 1}}}, RawInputContents: [][]byte{{0, 0, 0, 0}, {}}}, codes.InvalidArgument, "2 raw_input_contents for 1 inputs"},
		"ragged raw": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{1, 1}}}, RawInputContents: [][]byte{{0, 0, 0}}}, codes.InvalidArgument, "not whole FP32 elements"},
		"FP16 typed": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP16", Shape: []int64{1, 1}, Contents: &pb.InferTensorContents{}}}}, codes.InvalidArgument, "send it in raw_input_contents"},
		"too many flows": {&pb.ModelInferRequest{ModelName: "functions-test", Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "flows", Datatype: "FP32", Shape: []int64{10001, int64(nf)}, Contents: &pb.InferTensorContents{Fp32Contents: make([]float32, 10001*nf)}}}}, codes.ResourceExhausted, "too many flows"},
	}
	for name, tc := range errs {
		t.Run(name, func(t *testing.T) {
			_, err := c.ModelInfer(ctx, tc.req)
			st, _ := status.FromError(err)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("%v (%v), want %v containing %q", st.Message(), st.Code(), tc.code, tc.msg)
			}
		})
	}
	if _, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "functions-test", Version: "x"}); status.Code(err) != codes.NotFound {
		t.Fatalf("ModelMetadata of another version: %v", err)
	}
}

// TestSamePortHTTP: on the gRPC port, REST answers over HTTP/1.1 and over
// h2c alike, and gRPC's own content type over HTTP/1.1 is not gRPC.
func TestSamePortHTTP(t *testing.T) {
	addr, _ := serve(t)
	h2c := &http.Client{Transport: &http.Transport{Protocols: func() *http.Protocols {
		p := new(http.Protocols)
		p.SetUnencryptedHTTP2(true)
		return p
	}(), TLSClientConfig: &tls.Config{}}}
	for name, c := range map[string]*http.Client{"HTTP/1.1": http.DefaultClient, "h2c": h2c} {
		resp, err := c.Get("http://" + addr + "/v2/health/ready")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "{\"ready\":true}\n" || (name == "h2c") != (resp.ProtoMajor == 2) {
			t.Fatalf("%s: %s %d %s", name, resp.Proto, resp.StatusCode, b)
		}
	}
	resp, err := http.Post("http://"+addr+"/v2/models/functions-test/infer", "application/grpc", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("application/grpc over HTTP/1.1: %d", resp.StatusCode)
	}
}
