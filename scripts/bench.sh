#!/usr/bin/env bash
# Benchmarks the mock against Stoplight Prism and prints a table with the targets.
#   scripts/bench.sh           the full run (about four minutes)
#   scripts/bench.sh --quick   a short smoke run (CI runs this so the benchmark cannot rot)
#   scripts/bench.sh --scale   a million stored users, with and without a state file, then a million
#                              stored letters (--users N, --letters N for fewer; --quick for two-second loads)
# Measures the static release binary, the one the container ships.
# Installs what it needs: wrk (Debian) and Prism (npm, pinned in bench/prism).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -x bench/prism/node_modules/.bin/prism ]; then
  (cd bench/prism && npm ci --no-audit --no-fund --loglevel=error)
fi
dir=$(scripts/build-static.sh ar24-mock ar24-bench | tail -n 1)
exec "$dir/ar24-bench" --mock "$dir/ar24-mock" \
  --prism bench/prism/node_modules/.bin/prism --openapi openapi.yaml "$@"
