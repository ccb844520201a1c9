#!/bin/sh
# Regenerates the committed C code from onnx_subset.proto (Debian: protobuf-c-compiler 1.4.1).
set -eu
cd "$(dirname "$0")"
protoc-c --c_out=. onnx_subset.proto
mv onnx_subset.pb-c.h include/
