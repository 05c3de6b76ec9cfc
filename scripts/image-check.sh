#!/usr/bin/env bash
# Checks the mock's container image as partners will use it: builds the
# `mock` stage of docker/Dockerfile from the static binary scripts/build-static.sh
# produced, starts it, waits for its own HEALTHCHECK to report healthy, runs the
# whole contract suite against it, checks that it runs as user 65534 with
# nothing but the binary in it, stops it with SIGTERM and checks it exits 0
# within the grace period, and prints the image's size.
#
#   scripts/image-check.sh DIR                          # DIR: what build-static.sh printed
#   AR24_CONTRACT_BIN=PATH scripts/image-check.sh DIR   # the suite's runner from elsewhere
#                                                       # (CI: the one `cargo test` built)
#   scripts/image-check.sh DIR --with-broken-variants   # and prove it fails on a broken
#                                                       # HEALTHCHECK and a broken ENTRYPOINT
#
# Docker works the same way (see the README); here podman runs as root, with
# the vfs storage driver and runc, as these machines need. No registry is
# used: the `mock` stage is FROM scratch, and `--build-context build=...`
# hands it the binary instead of running the `build` stage.
# Any failure stops the script with the step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bins=${1:?usage: scripts/image-check.sh DIR [--with-broken-variants]}
bins=$(cd "$bins" && pwd)
dockerfile=${IMAGE_CHECK_DOCKERFILE:-docker/Dockerfile}

if [ "${2:-}" = --with-broken-variants ]; then
  "$0" "$bins"
  # Each variant must fail, at the step that names what is broken.
  variants=$(mktemp -d)
  expect_failure() {
    local what=$1 step=$2 expr=$3 file="$variants/$1.Dockerfile" log="$variants/$1.log"
    sed "$expr" docker/Dockerfile >"$file"
    cmp -s "$file" docker/Dockerfile && { echo "the $what variant changed nothing" >&2; exit 1; }
    if IMAGE_CHECK_DOCKERFILE="$file" "$0" "$bins" >"$log" 2>&1; then
      echo "the image check passed with a $what: it would not catch one" >&2; exit 1
    fi
    grep -q "FAILED at step \"$step\"" "$log" || { echo "a $what failed elsewhere than \"$step\":" >&2; cat "$log" >&2; exit 1; }
    echo "a $what fails the image check at \"$step\", as it must"
  }
  expect_failure "broken HEALTHCHECK" "healthy by its own HEALTHCHECK" \
    's#CMD \["/ar24-mock", "healthcheck"\]#CMD ["/ar24-mock", "--port", "1", "healthcheck"]#'
  expect_failure "broken ENTRYPOINT" "healthy by its own HEALTHCHECK" \
    's#^ENTRYPOINT \["/ar24-mock"\]#ENTRYPOINT ["/ar24-mock", "--no-such-flag"]#'
  rm -rf "$variants"
  exit 0
fi
grace=10
tag=localhost/ar24-mock:image-check
name=ar24-mock-image-check-$$

step() { printf '\n-- image check: %s\n' "$*"; }
fail() { echo "image check FAILED at step \"$current\": $*" >&2; exit 1; }
current=setup

contract=${AR24_CONTRACT_BIN:-$bins/ar24-contract}
[ -x "$bins/ar24-mock" ] || fail "$bins lacks ar24-mock"
[ -x "$contract" ] || fail "no contract runner at $contract (build it, or set AR24_CONTRACT_BIN)"

current="podman"
step "$current"
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc >/dev/null
fi
work=$(mktemp -d)
# Without this, starting a container fails on setrlimit in these sandboxes.
printf '[containers]\ndefault_ulimits = []\n' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
pm() { podman --storage-driver vfs --runtime runc "$@"; }
pm --version

cleanup() {
  pm rm -f "$name" >/dev/null 2>&1 || true
  pm rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

current="build the mock stage of docker/Dockerfile"
step "$current"
mkdir -p "$work/context/out"
cp "$bins/ar24-mock" "$work/context/out/ar24-mock"
# --format docker keeps HEALTHCHECK (the OCI format has no such field).
pm build --quiet --format docker --build-context build="$work/context" --target mock \
  -f "$dockerfile" -t "$tag" . >/dev/null || fail "podman build"
[ -n "$(pm image inspect --format '{{.Config.Healthcheck}}' "$tag")" ] || fail "the image declares no HEALTHCHECK"

current="start the image"
step "$current"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# podman cannot schedule the periodic health timer without systemd (it says so
# on stderr); the HEALTHCHECK itself is run below, so that noise is kept aside.
pm run -d --name "$name" --network host -e AR24_MOCK_PORT="$port" "$tag" >/dev/null 2>"$work/run.err" \
  || fail "podman run: $(cat "$work/run.err")"

current="healthy by its own HEALTHCHECK"
step "$current"
healthy=no
for _ in $(seq 60); do
  if pm healthcheck run "$name" >/dev/null 2>&1; then healthy=yes; break; fi
  [ "$(pm inspect --format '{{.State.Running}}' "$name")" = true ] || break
  sleep 0.5
done
if [ "$healthy" != yes ]; then
  pm logs "$name" >&2 || true
  fail "the HEALTHCHECK never reported healthy"
fi
echo "healthy on port $port"

current="the whole contract suite against the image"
step "$current"
AR24_TARGET=mock AR24_BASE_URL="http://127.0.0.1:$port/api/" AR24_FEATURES="$PWD/features" \
  "$contract" || fail "the contract suite failed against the image"

current="user 65534 and nothing but the binary"
step "$current"
user=$(pm image inspect --format '{{.Config.User}}' "$tag")
[ "$user" = "65534:65534" ] || fail "the image's user is '$user', not 65534:65534"
# The image has no ps(1) for `podman top`: read the process's uid on the host.
pid=$(pm inspect --format '{{.State.Pid}}' "$name")
uid=$(awk '/^Uid:/ {print $3}' "/proc/$pid/status")
[ "$uid" = 65534 ] || fail "the process runs as uid '$uid', not 65534"
pm save --quiet --format docker-archive -o "$work/image.tar" "$tag" || fail "podman save"
mkdir "$work/image"
tar -xf "$work/image.tar" -C "$work/image"
files=$(python3 - "$work/image" <<'PY'
import json, sys, tarfile, os
root = sys.argv[1]
manifest = json.load(open(os.path.join(root, "manifest.json")))
for layer in manifest[0]["Layers"]:
    with tarfile.open(os.path.join(root, layer)) as t:
        for member in t.getmembers():
            print(member.name.lstrip("./") or ".")
PY
)
files=$(echo "$files" | grep -v '^\.$' | sort -u | tr '\n' ' ')
[ "$files" = "ar24-mock " ] || fail "the image holds more than the binary: $files"
echo "runs as 65534; the image holds: $files"

current="SIGTERM stops it with exit 0 within ${grace} s"
step "$current"
started=$(date +%s%N)
pm stop --time "$grace" "$name" >/dev/null 2>"$work/stop.err" || fail "podman stop: $(cat "$work/stop.err")"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
code=$(pm inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "exit code $code after SIGTERM (137 means it had to be killed)"
[ "$elapsed_ms" -lt $((grace * 1000)) ] || fail "it took ${elapsed_ms} ms to stop"
echo "exited 0 in ${elapsed_ms} ms"

current="size"
step "$current"
size=$(pm image inspect --format '{{.Size}}' "$tag")
echo "image size: $size bytes ($(( size / 1024 )) KiB)"
echo "image check passed"
