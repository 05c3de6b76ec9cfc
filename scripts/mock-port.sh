#!/usr/bin/env bash
# The port of a mock started with `--port 0`, read from the terminal output
# it writes to LOG ("API base URL : http://127.0.0.1:PORT/api/"), waiting up
# to TRIES times STEP seconds for it (100 times 0.05 s unless told).
# Prints the port; prints nothing and fails when none came.
#
#   port=$(scripts/mock-port.sh "$log") || echo "no port: $(cat "$log")"
set -euo pipefail
log=$1 tries=${2:-100} step=${3:-0.05}
for _ in $(seq "$tries"); do
  port=$(sed -n 's#.*API base URL : http://127.0.0.1:\([0-9]*\)/api/#\1#p' "$log")
  if [ -n "$port" ]; then
    echo "$port"
    exit 0
  fi
  sleep "$step"
done
exit 1
