package oipgrpc

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flowsense/flowsense/functions"
	pb "github.com/flowsense/flowsense/functions/oipgrpc/inferencepb"
)

// Service is inference.GRPCInferenceService over a functions.Server.
type Service struct {
	pb.UnimplementedGRPCInferenceServiceServer
	s *functions.Server
}

var _ pb.GRPCInferenceServiceServer = (*Service)(nil)

// New returns the service answering for s.
func New(s *functions.Server) *Service { return &Service{s: s} }

// NewServer returns a gRPC server with the service registered. Messages
// up to functions.DefaultMaxBodyBytes are received (gRPC's default is 4
// MiB); opts come after that default and may change it.
func NewServer(s *functions.Server, opts ...grpc.ServerOption) *grpc.Server {
	all := append([]grpc.ServerOption{grpc.MaxRecvMsgSize(functions.DefaultMaxBodyBytes)}, opts...)
	g := grpc.NewServer(all...)
	pb.RegisterGRPCInferenceServiceServer(g, New(s))
	return g
}

// Handler serves gRPC requests (HTTP/2 with a Content-Type of
// application/grpc...) with g and every other request with h, so that one
// port speaks both; the http.Server must accept HTTP/2 without TLS
// (functions.Serve does). When h is a *functions.Server, a gRPC call but
// the probes needs its classify route's credential (bearer token or OIDC
// token in the authorization metadata).
func Handler(g *grpc.Server, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			if fs, ok := h.(*functions.Server); ok && !authorize(fs, w, r) {
				return // the classify route's credentials (auth.go)
			}
			g.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// statusOf maps a handler error to a gRPC status with the message REST
// answers in its "error" member.
func statusOf(err error) error {
	p := functions.ProblemOf(err)
	msg := p.Title
	if strings.HasPrefix(p.Detail, p.Title) {
		msg = p.Detail
	} else if p.Detail != "" {
		msg += ": " + p.Detail
	}
	code := codes.Internal
	switch {
	case p.Status == http.StatusNotFound:
		code = codes.NotFound
	case p.Status == http.StatusRequestEntityTooLarge:
		code = codes.ResourceExhausted
	case p.Status == http.StatusServiceUnavailable && strings.HasSuffix(p.Type, ":timeout"):
		code = codes.DeadlineExceeded
	case p.Status == http.StatusServiceUnavailable:
		code = codes.Unavailable
	case p.Status >= 400 && p.Status < 500:
		code = codes.InvalidArgument
	}
	return status.Error(code, msg)
}

func (v *Service) ServerLive(context.Context, *pb.ServerLiveRequest) (*pb.ServerLiveResponse, error) {
	return &pb.ServerLiveResponse{Live: true}, nil
}

func (v *Service) ServerReady(context.Context, *pb.ServerReadyRequest) (*pb.ServerReadyResponse, error) {
	return &pb.ServerReadyResponse{Ready: v.s.OIPServerReady()}, nil
}

func (v *Service) ModelReady(_ context.Context, r *pb.ModelReadyRequest) (*pb.ModelReadyResponse, error) {
	ready, err := v.s.OIPModelReady(r.GetName(), r.GetVersion())
	if err != nil {
		return nil, statusOf(err)
	}
	return &pb.ModelReadyResponse{Ready: ready}, nil
}

func (v *Service) ServerMetadata(context.Context, *pb.ServerMetadataRequest) (*pb.ServerMetadataResponse, error) {
	m := v.s.OIPServerMetadata()
	return &pb.ServerMetadataResponse{Name: m.Name, Version: m.Version, Extensions: m.Extensions}, nil
}

func (v *Service) ModelMetadata(_ context.Context, r *pb.ModelMetadataRequest) (*pb.ModelMetadataResponse, error) {
	m, err := v.s.OIPModelMetadata(r.GetName(), r.GetVersion())
	if err != nil {
		return nil, statusOf(err)
	}
	conv := func(ts []functions.TensorMetadata) []*pb.ModelMetadataResponse_TensorMetadata {
		out := make([]*pb.ModelMetadataResponse_TensorMetadata, len(ts))
		for i, t := range ts {
			out[i] = &pb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
		}
		return out
	}
	return &pb.ModelMetadataResponse{Name: m.Name, Versions: m.Versions, Platform: m.Platform, Inputs: conv(m.Inputs), Outputs: conv(m.Outputs)}, nil
}

// ModelInfer classifies the flows of a request as functions.Server.Infer
// reads them (an [N, F] tensor or one tensor per feature), from typed
// contents or raw_input_contents. The answer carries raw_output_contents
// when the request sent raw inputs or asked for binary data (the
// parameter binary_data_output, or binary_data on an output), typed
// contents otherwise.
func (v *Service) ModelInfer(ctx context.Context, r *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	req, raw, err := inferRequest(r)
	if err != nil {
		return nil, statusOf(err)
	}
	res, err := v.s.Infer(ctx, req)
	if err != nil {
		return nil, statusOf(err)
	}
	out := &pb.ModelInferResponse{ModelName: res.ModelName, ModelVersion: res.ModelVersion, Id: res.ID}
	for _, name := range res.Outputs {
		dt, shape, strs, fp32, fp64 := res.Output(name)
		t := &pb.ModelInferResponse_InferOutputTensor{Name: name, Datatype: dt, Shape: shape}
		if raw {
			out.RawOutputContents = append(out.RawOutputContents, res.AppendRaw(nil, name))
		} else {
			c := &pb.InferTensorContents{}
			switch {
			case strs != nil:
				c.BytesContents = make([][]byte, len(strs))
				for i, s := range strs {
					c.BytesContents[i] = []byte(s)
				}
			case fp32 != nil:
				c.Fp32Contents = fp32
			default:
				c.Fp64Contents = fp64
			}
			t.Contents = c
		}
		out.Outputs = append(out.Outputs, t)
	}
	return out, nil
}

func badRequest(format string, args ...any) error {
	return &functions.Error{
		Problem: functions.Problem{Type: "urn:flowsense:problem:infer-request", Title: "bad inference request", Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...)},
		Err:     functions.ErrInferRequest,
	}
}

// inferRequest converts a ModelInferRequest; raw says the answer should
// be raw too.
func inferRequest(r *pb.ModelInferRequest) (*functions.InferRequest, bool, error) {
	req := &functions.InferRequest{ModelName: r.GetModelName(), ModelVersion: r.GetModelVersion(), ID: r.GetId()}
	raw := len(r.GetRawInputContents()) > 0
	for k, p := range r.GetParameters() {
		switch k {
		case "content_type":
			sp, ok := p.GetParameterChoice().(*pb.InferParameter_StringParam)
			if !ok {
				return nil, false, badRequest("parameter content_type: want a string_param")
			}
			req.ContentType = sp.StringParam
		case "binary_data_output":
			raw = raw || p.GetBoolParam()
		case functions.ParamExplain:
			n, err := explainParam(p)
			if err != nil {
				return nil, false, err
			}
			req.Explain = n
		}
	}
	if raw && len(r.GetRawInputContents()) > 0 && len(r.GetRawInputContents()) != len(r.GetInputs()) {
		return nil, false, badRequest("%d raw_input_contents for %d inputs", len(r.GetRawInputContents()), len(r.GetInputs()))
	}
	for i, in := range r.GetInputs() {
		t := functions.Tensor{Name: in.GetName(), Datatype: in.GetDatatype(), Shape: in.GetShape()}
		if _, ok := in.GetParameters()[functions.ParamExplain]; ok {
			return nil, false, fmt.Errorf("%w: input %q has the parameter %s; it explains whole flows, so it goes in the request's parameters", functions.ErrExplain, t.Name, functions.ParamExplain)
		}
		if len(r.GetRawInputContents()) > 0 {
			if in.GetContents() != nil {
				return nil, false, badRequest("input %q has contents and the request raw_input_contents: send one or the other", t.Name)
			}
			if err := functions.DecodeRawTensor(r.GetRawInputContents()[i], &t); err != nil {
				return nil, false, err
			}
		} else if err := contents(in.GetContents(), &t); err != nil {
			return nil, false, err
		}
		req.Inputs = append(req.Inputs, t)
	}
	for _, o := range r.GetOutputs() {
		req.Outputs = append(req.Outputs, o.GetName())
		if o.GetParameters()["binary_data"].GetBoolParam() {
			raw = true
		}
	}
	return req, raw, nil
}

// explainParam reads the explain parameter: an int64_param or
// uint64_param, or a string_param holding the number.
func explainParam(p *pb.InferParameter) (int, error) {
	switch v := p.GetParameterChoice().(type) {
	case *pb.InferParameter_Int64Param:
		return functions.ParseExplain(strconv.FormatInt(v.Int64Param, 10))
	case *pb.InferParameter_Uint64Param:
		return functions.ParseExplain(strconv.FormatUint(v.Uint64Param, 10))
	case *pb.InferParameter_StringParam:
		if v.StringParam == "" {
			return 0, fmt.Errorf("%w: parameter explain is an empty string_param; give the number of features wanted", functions.ErrExplain)
		}
		return functions.ParseExplain(v.StringParam)
	}
	return 0, fmt.Errorf("%w: parameter explain: want an int64_param (the number of features, 0 to %d), got %v", functions.ErrExplain, functions.MaxExplain, p)
}

// contents reads typed contents: the field the datatype names, and no
// other.
func contents(c *pb.InferTensorContents, t *functions.Tensor) error {
	if c == nil {
		return badRequest("input %q has no contents", t.Name)
	}
	fields := map[string]int{
		"bool_contents": len(c.BoolContents), "int_contents": len(c.IntContents), "int64_contents": len(c.Int64Contents),
		"uint_contents": len(c.UintContents), "uint64_contents": len(c.Uint64Contents), "fp32_contents": len(c.Fp32Contents),
		"fp64_contents": len(c.Fp64Contents), "bytes_contents": len(c.BytesContents),
	}
	var want string
	switch t.Datatype {
	case "BOOL":
		want = "bool_contents"
		t.Values = make([]float32, len(c.BoolContents))
		for i, b := range c.BoolContents {
			if b {
				t.Values[i] = 1
			}
		}
	case "INT8", "INT16", "INT32":
		want = "int_contents"
		t.Values = make([]float32, len(c.IntContents))
		for i, x := range c.IntContents {
			t.Values[i] = float32(x)
		}
	case "INT64":
		want = "int64_contents"
		t.Values = make([]float32, len(c.Int64Contents))
		for i, x := range c.Int64Contents {
			t.Values[i] = float32(x)
		}
	case "UINT8", "UINT16", "UINT32":
		want = "uint_contents"
		t.Values = make([]float32, len(c.UintContents))
		for i, x := range c.UintContents {
			t.Values[i] = float32(x)
		}
	case "UINT64":
		want = "uint64_contents"
		t.Values = make([]float32, len(c.Uint64Contents))
		for i, x := range c.Uint64Contents {
			t.Values[i] = float32(x)
		}
	case "FP32":
		want = "fp32_contents"
		t.Values = c.Fp32Contents
	case "FP64":
		want = "fp64_contents"
		t.Values = make([]float32, len(c.Fp64Contents))
		for i, x := range c.Fp64Contents {
			t.Values[i] = float32(x)
		}
	case "BYTES":
		want = "bytes_contents"
		t.Bytes = c.BytesContents
	case "FP16":
		return badRequest("input %q: FP16 has no typed contents; send it in raw_input_contents", t.Name)
	default:
		return badRequest("input %q: datatype %q is not one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES", t.Name, t.Datatype)
	}
	for f, n := range fields {
		if f != want && n > 0 {
			return badRequest("input %q: datatype %s takes %s, not %s", t.Name, t.Datatype, want, f)
		}
	}
	return nil
}
