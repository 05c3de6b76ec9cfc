#!/usr/bin/env bash
# Mutation testing of the mock's rules with cargo-mutants: each mutant is one
# small change to the domain, store, protocol or routes code (a condition
# flipped, a value replaced, a body emptied); the mock's unit and integration
# tests and the contract suite must then fail ("caught").
#
#   scripts/mutants.sh                      # every mutant (hours on 2 cores)
#   scripts/mutants.sh --shard 3/40         # one shard of 40
#   scripts/mutants.sh -f 'mock-server/src/domain/**'   # one layer only
#   MUTANTS_SUITE=contract scripts/mutants.sh   # the contract suite alone, over the sending code
#
# Extra arguments go to cargo-mutants. Results are in $MUTANTS_OUT/mutants.out
# (default target/mutants): caught.txt, missed.txt, timeout.txt, unviable.txt;
# a summary is printed. MUTANTS_PROFILE=test reuses `cargo test`'s build (with
# --in-place, for a quick check of a few mutants).
set -euo pipefail
cd "$(dirname "$0")/.."

version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -q "$version"; then
  echo "installing cargo-mutants $version" >&2
  cargo install cargo-mutants --locked --version "$version" --quiet
fi

files=(-f 'mock-server/src/domain/**' -f 'mock-server/src/store/**'
       -f 'mock-server/src/protocol/**' -f 'mock-server/src/routes/**')
# Which tests judge each mutant: all of them, or (MUTANTS_SUITE=contract) the
# contract suite alone, a second opinion on the sending code: the routes
# `mail`, `attachment` and `identity` and the mail aggregate.
packages=ar24-mock,ar24-contract-tests
targets=(--cargo-arg=--lib --cargo-arg=--test=api --cargo-arg=--test=contract)
excluded=()
if [ "${MUTANTS_SUITE:-all}" = contract ]; then
  files=(-f 'mock-server/src/routes/mail.rs' -f 'mock-server/src/routes/attachment.rs'
         -f 'mock-server/src/routes/identity.rs' -f 'mock-server/src/store/mail/**')
  packages=ar24-contract-tests
  targets=(--cargo-arg=--test=contract)
  # Set aside, because no contract can judge them (the mock's own tests do,
  # in the default mode); the README's table says how many:
  excluded=(
    # wording written for people (console, mailbox, explanations), not AR24's contract;
    -E 'ordinal' -E 'LetterStatus::describe' -E 'Letter::settled' -E 'Refused::reason'
    -E 'Delivery::payload_state' -E 'Mail::newest_letters'
    # the state file, written and replayed only across a restart of the mock;
    -E 'Mail::changed_records' -E 'Gathered::records' -E 'Replay::'
    # memory and wake-ups: a sender's letters sharing one copy of the sender's
    # details, the webhook sender woken before its next look at what is due;
    -E 'Cards::' -E 'Mail::attempt_queued'
    # timings set from the configuration at start (the suite runs AR24's);
    -E 'Mail::timings' -E 'Mail::set_timings'
    # equivalent: ids are never given twice, so a stale index entry names
    # nothing; no file reaches 1 000 Gb; the mock's prices are whole (AR24's 0).
    -E 'Index::clear' -E 'Grouped<K>::clear'
    -E 'replace < with <= in human_size' -E 'replace - with [+/] in human_size'
    -E 'replace && with \|\| in price$' -E 'replace < with <= in price$'
  )
fi
# Unless the caller names files, the four layers of rules.
for arg in "$@"; do
  case "$arg" in -f|--file|-f*|--file=*) files=() ;; esac
done

# The baseline (tests on the unmutated tree) is skipped: cargo-mutants runs it on
# the mutated package alone, where the contract suite's test target does not
# exist; `cargo test --workspace` proves the unmutated tree green instead.
out=${MUTANTS_OUT:-target/mutants}
# Old results would be read as this run's if cargo-mutants stopped early.
rm -rf "$out/mutants.out" "$out/mutants.out.old"
mkdir -p "$out"
status=0
cargo mutants "${files[@]}" ${excluded[@]+"${excluded[@]}"} \
  --test-package "$packages" --baseline skip \
  --profile "${MUTANTS_PROFILE:-mutants}" --timeout 180 --build-timeout 600 \
  "${targets[@]}" \
  --output "$out" "$@" || status=$?

# cargo-mutants exits 2 when some mutants were missed, 3 on timeouts: the summary says which.
dir="$out/mutants.out"
count() { if [ -s "$dir/$1.txt" ]; then wc -l <"$dir/$1.txt"; else echo 0; fi; }
caught=$(count caught) missed=$(count missed) unviable=$(count unviable) timeouts=$(count timeout)
viable=$((caught + missed + timeouts))
echo
echo "| caught | missed | timeouts | unviable | caught of viable |"
echo "|---|---|---|---|---|"
if [ "$viable" -gt 0 ]; then
  echo "| $caught | $missed | $timeouts | $unviable | $((100 * caught / viable)) % |"
else
  echo "| $caught | $missed | $timeouts | $unviable | n/a |"
fi
if [ "$missed" -gt 0 ]; then
  echo
  echo "missed mutants:"
  sed 's/^/  /' "$dir/missed.txt"
fi
case "$status" in
  0|2|3) exit 0 ;;   # the figures are the result; missed mutants are listed, not fatal
  *) echo "cargo-mutants failed (exit $status)" >&2; exit "$status" ;;
esac
