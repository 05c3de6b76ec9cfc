#!/usr/bin/env bash
# Fuzzes the request decoding path: the fuzz target in fuzz/ runs the whole app on
# any content type, route and body, and fails on a panic or a 5xx answer.
# Its inputs are kept in fuzz/corpus/decode_request (not committed); `cargo test`
# replays them, the seeds and any crash in fuzz/artifacts/ over HTTP
# (mock-server/tests/api/fuzz_inputs.rs), so what a run found stays tested.
#
#   scripts/fuzz.sh            # 45 s
#   scripts/fuzz.sh 600        # ten minutes, say nightly
#
# Safe Rust needs no AddressSanitizer: without it the build is lighter and each
# run several times faster. Sixteen codegen units build in about half the time
# of cargo-fuzz's default one. The first build takes six to seven minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-45}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
mkdir -p corpus/decode_request
RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --codegen-units 16 decode_request \
  corpus/decode_request seeds/decode_request -- -max_total_time="$seconds"
