#!/usr/bin/env bash
# Builds the release binaries exactly as the container image ships them:
# statically linked (glibc with crt-static), LTO, one codegen unit, stripped.
# CI runs this script and checks the mock it builds; docker/Dockerfile runs it too.
# Prints the directory holding ar24-mock, ar24-contract and ar24-bench on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
triple=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target "$triple" -p ar24-mock -p ar24-contract-tests -p ar24-bench --bins
echo "target/$triple/release"
