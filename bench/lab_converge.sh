#!/usr/bin/env bash
# Benchmark: the lab's cold converge and its no-change rerun.
#   bench/lab_converge.sh
# Prints wall times and the counts of each run (from its event stream). The cold run starts from
# no lab (it takes the lab down first); the base image is reused when cached.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/lab down >/dev/null 2>&1 || true
log=$(mktemp -d)
run() {  # name, args...
  local name=$1; shift
  local t0; t0=$(date +%s.%N)
  scripts/lab "$@" > "$log/$name.log" 2>&1 || { tail -30 "$log/$name.log"; exit 1; }
  local t1; t1=$(date +%s.%N)
  local dir  # the counts come from the run's events (forge_monitoring/playrun.py), not the PLAY RECAP text
  dir=$(sed -n 's/^\[lab\] run: \([^ ]*\) .*/\1/p' "$log/$name.log" | tail -1)
  printf '%-28s %7.1f s   %s\n' "$name" "$(echo "$t1 - $t0" | bc)" "$(.venv/bin/python -m forge_monitoring.playrun counts "$dir")"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%F)"
run "lab up (cold: hosts+site)" up
run "lab up (rerun, no change)" up
echo "logs: $log"
