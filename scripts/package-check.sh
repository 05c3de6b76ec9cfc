#!/usr/bin/env bash
# Proves the packages in dist/ (scripts/package.sh) from clean places, as a
# partner would use them: a new virtual environment installs the wheel and
# pytest, and runs packages/python/tests (copied elsewhere, so the package is
# the installed one) with the `ar24_mock` fixture, on two workers (pytest-xdist);
# a new folder installs the npm tarball and runs packages/npm/tests with node:test;
# another requires the Composer package and runs packages/php/tests with phpunit.
#
#   scripts/package-check.sh BINARY    # the static binary the packages were built from (for PHP)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:?the ar24-mock binary, for the PHP package}")
wheel=$(ls dist/ar24_mock-*.whl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" pytest pytest-xdist
command -v "$work/venv/bin/ar24-mock" >/dev/null || { echo "the wheel put no ar24-mock on the PATH" >&2; exit 1; }
cp -r packages/python/tests "$work/tests"
(cd "$work" && env -u AR24_MOCK_BIN PATH="$work/venv/bin:$PATH" venv/bin/python -m pytest -q -p no:cacheprovider -n 2 tests)
echo "package-check: the wheel installs, puts ar24-mock on the PATH, and its pytest fixture runs a letter"

# npm: a new folder installs the tarball (no registry needed: it has no dependency) and runs a Node test.
tarball=$(ls "$PWD"/dist/ar24-mock-*.tgz)
mkdir -p "$work/node"
cp packages/npm/tests/letter.test.mjs "$work/node/"
(cd "$work/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "$tarball" \
  && env -u AR24_MOCK_BIN node --test letter.test.mjs)
echo "package-check: the npm tarball installs, puts ar24-mock in node_modules/.bin, and its start() runs a letter"

# PHP: a new folder requires the Composer package from a path repository (no
# registry), and Debian's phpunit runs a test through its extension; the binary
# is the static one, as the package finds it (AR24_MOCK_BIN).
cp -r packages/php "$work/ar24-mock-php"
mkdir -p "$work/php"
cp packages/php/tests/LetterTest.php packages/php/tests/phpunit.xml packages/php/tests/composer.json "$work/php/"
(cd "$work/php" && COMPOSER_ALLOW_SUPERUSER=1 composer install --quiet --no-interaction \
  && AR24_MOCK_BIN="$bin" phpunit --configuration phpunit.xml)
echo "package-check: the Composer package installs from a path repository and its PHPUnit extension runs a letter"
