#!/bin/sh
# Regenerates onnx.pb.go from onnx.proto, ONNX's IR definition (Apache-2.0),
# copied unchanged from Debian's python3-onnx 1.12.0
# (/usr/lib/python3/dist-packages/onnx/onnx.proto).
#
# Needs protoc (apt-get install protobuf-compiler) and protoc-gen-go of the
# same version as google.golang.org/protobuf in go.mod:
#
#	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#
# Run from anywhere: sh onnx/onnxpb/gen.sh
set -eu
cd "$(dirname "$0")"
PATH="$(go env GOPATH)/bin:$PATH" protoc \
	--go_out=. --go_opt=paths=source_relative \
	--go_opt=Monnx.proto=convnet/onnx/onnxpb \
	onnx.proto
