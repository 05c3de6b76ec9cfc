#!/usr/bin/env bash
# Builds, from the static release binary, the packages a partner installs in
# their own test suite, into dist/:
#   ar24_mock-VERSION-py3-none-manylinux…_x86_64.whl   pip install it: `ar24-mock` on the PATH,
#                                                     `ar24_mock.start()` and the pytest fixtures
#   ar24-mock-VERSION.tgz                             npm install it: `ar24-mock` in node_modules/.bin,
#                                                     `start()` (CommonJS and ESM, with types)
# Nothing is published (the README says how to publish to your own index).
#
#   scripts/package.sh [BINARY]    # default: builds it with scripts/build-static.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  bin="$(scripts/build-static.sh ar24-mock | tail -n 1)/ar24-mock"
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' mock-server/Cargo.toml | head -n 1)
mkdir -p dist

# The wheel is assembled as an unpacked tree and packed by pypa's `wheel pack`,
# which writes its RECORD. The binary goes in the wheel's scripts: pip installs
# it next to python, on the PATH.
venv=$PWD/target/package-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check wheel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/ar24_mock-$version
mkdir -p "$tree/ar24_mock" "$tree/ar24_mock-$version.data/scripts" "$tree/ar24_mock-$version.dist-info"
cp packages/python/ar24_mock/*.py "$tree/ar24_mock/"
install -m 755 "$bin" "$tree/ar24_mock-$version.data/scripts/ar24-mock"
cat >"$tree/ar24_mock-$version.dist-info/METADATA" <<META
Metadata-Version: 2.1
Name: ar24-mock
Version: $version
Summary: An in-memory emulation of the AR24 API (registered electronic mail) for tests, with pytest fixtures
License: MIT OR Apache-2.0
Requires-Python: >=3.8
Description-Content-Type: text/markdown

$(cat packages/python/README.md)
META
cat >"$tree/ar24_mock-$version.dist-info/WHEEL" <<META
Wheel-Version: 1.0
Generator: ar24-mock scripts/package.sh
Root-Is-Purelib: false
Tag: py3-none-manylinux_2_17_x86_64
Tag: py3-none-manylinux2014_x86_64
Tag: py3-none-musllinux_1_1_x86_64
META
cat >"$tree/ar24_mock-$version.dist-info/entry_points.txt" <<META
[pytest11]
ar24_mock = ar24_mock.pytest_plugin
META
rm -f dist/ar24_mock-*.whl
"$venv/bin/python" -m wheel pack "$tree" -d dist >/dev/null

# npm: the package folder with the binary as its `bin`, packed by `npm pack`.
npm_dir=$work/npm
mkdir -p "$npm_dir/bin"
cp packages/npm/index.js packages/npm/index.mjs packages/npm/index.d.ts packages/npm/README.md "$npm_dir/"
sed "s/@VERSION@/$version/" packages/npm/package.json.in >"$npm_dir/package.json"
install -m 755 "$bin" "$npm_dir/bin/ar24-mock"
rm -f dist/ar24-mock-*.tgz
(cd "$npm_dir" && npm pack --silent --pack-destination "$OLDPWD/dist" >/dev/null)
ls dist/ar24_mock-*.whl dist/ar24-mock-*.tgz
