#!/usr/bin/env bash
# Runs the README's strict-mode snippets and its walkthrough against a running mock,
# taken from README.md itself so the two cannot drift apart. Every fenced block whose
# info string names a file (```python file=ar24_strict.py) is written to that file in a
# scratch folder, then each is run in README order: .sh with bash, .py with Python
# (requests and cryptography in a virtual environment under target/), .php with php,
# .mjs with node. Any failure fails the script.
#
#   scripts/readme-check.sh [BINARY]    # default: builds and runs target/release/ar24-mock
set -euo pipefail
cd "$(dirname "$0")/.."
readme=$PWD/README.md

bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release -p ar24-mock --quiet
  bin=target/release/ar24-mock
fi
for tool in python3 php node curl openssl; do
  command -v "$tool" >/dev/null || { echo "readme-check: $tool is required" >&2; exit 1; }
done

venv=$PWD/target/readme-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check requests cryptography

work=$(mktemp -d)
"$bin" --port 0 --quiet >"$work/mock.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(scripts/mock-port.sh "$work/mock.log") || { echo "readme-check: the mock printed no API base URL: $(cat "$work/mock.log")" >&2; exit 1; }
export AR24_API=http://127.0.0.1:$port/api/

# Write out the blocks; print their names in README order.
files=$(awk -v dir="$work" '
  /^```[a-z]+ file=[A-Za-z0-9_.-]+$/ { split($0, part, "file="); name = part[2]; print name; next }
  /^```$/ && name != "" { name = ""; next }
  name != "" { print > (dir "/" name) }
' "$readme")
[ -n "$files" ] || { echo "readme-check: no snippet found in README.md" >&2; exit 1; }

cd "$work"
for file in $files; do
  echo "== $file"
  case "$file" in
    *.sh) bash -euo pipefail "$file" ;;
    *.py) "$venv/bin/python" "$file" ;;
    *.php) php "$file" ;;
    *.mjs) node "$file" ;;
    *) echo "readme-check: no way to run $file" >&2; exit 1 ;;
  esac
done
echo "readme-check: $(echo "$files" | wc -w) snippets from README.md ran against the mock"
