#!/usr/bin/env bash
# Counts the instructions the mock spends on a signed `POST mail` (one 20 KB attachment),
# under valgrind's callgrind. The count reads the same to a few tenths of a percent from run
# to run, where time on this shared machine varies by a tenth or more, so two builds compare
# on any moment; it counts the mock's own instructions only (not the kernel's, not waiting).
#   scripts/instructions.sh                     the static release binary (built first)
#   scripts/instructions.sh A/ar24-mock B/ar24-mock   each binary given, in turn, twice
# For each run: the sends counted and the instructions a send (a 5 s warm-up left out, then
# 20 s of four connections; SECONDS_COUNTED=N for another length).
# Installs what it needs: valgrind and wrk (Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=""
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
dir=$(scripts/build-static.sh ar24-mock ar24-bench | tail -n 1)
[ "$#" -gt 0 ] || set -- "$dir/ar24-mock"
counted=${SECONDS_COUNTED:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run of `binary`: prints its line.
count() {
  local binary=$1 log="$work/mock.log" port="" pid
  valgrind --tool=callgrind --callgrind-out-file="$work/out.%p" "$binary" --port 0 >"$log" 2>&1 &
  pid=$!
  port=$(scripts/mock-port.sh "$log" 600 0.1) || { echo "the mock printed no API base URL: $(cat "$log")" >&2; kill "$pid"; return 1; }
  "$dir/ar24-bench" --print-script send --port "$port" >"$work/send.lua"
  wrk -t1 -c4 -d5s -s "$work/send.lua" "http://127.0.0.1:$port/" >/dev/null
  callgrind_control --zero "$pid" >/dev/null 2>&1
  local sends
  sends=$(wrk -t1 -c4 -d"${counted}s" -s "$work/send.lua" "http://127.0.0.1:$port/" | awk '/requests in/ {print $1}')
  callgrind_control --dump "$pid" >/dev/null 2>&1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  # The dump asked for is part 1; the rest of the run, written at the exit, is left out.
  local instructions
  instructions=$(sed -n 's/^summary: //p' "$work/out.$pid.1")
  rm -f "$work"/out.*
  printf '%s: %s sends, %s instructions a send\n' "$binary" "$sends" "$((instructions / sends))"
}

for _ in 1 2; do
  for binary in "$@"; do
    count "$binary"
  done
done
