#!/usr/bin/env bash
# Proves the packages in dist/ (scripts/package.sh) from clean places, as a
# partner would use them: a new virtual environment installs the wheel and
# pytest, and runs packages/python/tests (copied elsewhere, so the package is
# the installed one) with the `ar24_mock` fixture, on two workers (pytest-xdist).
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(ls dist/ar24_mock-*.whl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" pytest pytest-xdist
command -v "$work/venv/bin/ar24-mock" >/dev/null || { echo "the wheel put no ar24-mock on the PATH" >&2; exit 1; }
cp -r packages/python/tests "$work/tests"
(cd "$work" && env -u AR24_MOCK_BIN PATH="$work/venv/bin:$PATH" venv/bin/python -m pytest -q -p no:cacheprovider -n 2 tests)
echo "package-check: the wheel installs, puts ar24-mock on the PATH, and its pytest fixture runs a letter"
