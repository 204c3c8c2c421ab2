#!/bin/sh
# Generates open_inference_grpc.pb.go and open_inference_grpc_grpc.pb.go
# from open_inference_grpc.proto (kserve/open-inference-protocol,
# specification/protocol/open_inference_grpc.proto at commit
# 29ca333e3a6f86e2232108850a170696e28e256f, Apache-2.0, unchanged).
#
# Tools: protoc 3.21.12 (Debian: apt-get install -y protobuf-compiler),
# protoc-gen-go v1.36.12 and protoc-gen-go-grpc 1.6.2:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
# (on the project's machines both are in /root/.cache/flowsense/bin).
#
# Run from this directory: sh generate.sh
set -eu
BIN=${PROTOC_GEN_BIN:-/root/.cache/flowsense/bin}
PKG=github.com/flowsense/flowsense/functions/oipgrpc/inferencepb
protoc --proto_path=. \
  --plugin=protoc-gen-go="$BIN/protoc-gen-go" --plugin=protoc-gen-go-grpc="$BIN/protoc-gen-go-grpc" \
  --go_out=. --go_opt=paths=source_relative --go_opt=Mopen_inference_grpc.proto=$PKG \
  --go-grpc_out=. --go-grpc_opt=paths=source_relative --go-grpc_opt=Mopen_inference_grpc.proto=$PKG \
  open_inference_grpc.proto
