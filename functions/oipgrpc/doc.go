// Package oipgrpc serves the Open Inference Protocol's gRPC binding,
// inference.GRPCInferenceService (KServe V2, as Triton and MLServer serve
// it), over a functions.Server: the same metadata, health and inference
// calls as the REST binding under /v2, from stubs generated from KServe's
// open_inference_grpc.proto (package inferencepb).
//
// Handler puts gRPC and the HTTP handler on one port (HTTP/2 without TLS,
// "h2c", prior knowledge, as gRPC clients speak it); flowsense serve uses
// it. The Knative and Lambda hosts do not import this package: func-go's
// server speaks HTTP/1.1 only, and Lambda's front ends carry no gRPC.
//
// It does not answer the REST binding, decode tensors itself (it calls
// functions.DecodeRawTensor and Server.Infer), or log.
package oipgrpc
