#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh
# Debian machine, then checks formatting, vets and runs every test.
set -euo pipefail
cd "$(dirname "$0")"

# Fashion-MNIST is Debian's dataset-fashion-mnist package.
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >/dev/null
  else
    echo "test.sh: Fashion-MNIST is missing; install Debian's dataset-fashion-mnist package (as root: apt-get install dataset-fashion-mnist)" >&2
  fi
fi

# ONNX Runtime (onnxruntime-node, CPU) checks the ONNX export; it lives in
# tools/ort/node_modules, installed from the committed package-lock.json.
# Its install script (which downloads GPU libraries) is skipped: the npm
# package already ships the CPU library.
if [ ! -e tools/ort/node_modules/onnxruntime-node/package.json ]; then
  if ! command -v npm >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm) >/dev/null
  fi
  if command -v npm >/dev/null; then
    (cd tools/ort && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
  else
    echo "test.sh: npm is missing; the ONNX Runtime export test will fail (install node and npm, then: cd tools/ort && npm ci --ignore-scripts)" >&2
  fi
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 20m ./...
