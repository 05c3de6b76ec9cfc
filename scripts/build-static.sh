#!/usr/bin/env bash
# Builds the release binaries exactly as the container image ships them:
# statically linked (glibc with crt-static), fat LTO over sixteen codegen units, stripped,
# the mock allocating with jemalloc.
# CI runs this script and checks the mock it builds; docker/Dockerfile runs it too.
# Prints the directory holding the binaries on its last line.
#
#   scripts/build-static.sh                      # ar24-mock, ar24-contract (and ar24-drift), ar24-bench
#   scripts/build-static.sh ar24-mock ar24-bench # only these packages' binaries
set -euo pipefail
cd "$(dirname "$0")/.."
triple=$(rustc -vV | sed -n 's/^host: //p')
[ "$#" -gt 0 ] || set -- ar24-mock ar24-contract-tests ar24-bench
packages=()
for package in "$@"; do
  packages+=(-p "$package")
  [ "$package" != ar24-mock ] || packages+=(--features ar24-mock/jemalloc)
done
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target "$triple" "${packages[@]}" --bins
echo "target/$triple/release"
