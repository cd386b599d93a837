#!/usr/bin/env bash
# Benchmark: how long the controller-only checks take (no host is contacted).
#   bench/preflight_plan.sh [runs]     (default 3 runs each; prints the median)
# preflight on the lab and the production example, and `forge-monitoring plan`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
. .venv/bin/activate
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
time_it() {  # name, command...
  local name=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    local t0; t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true   # the production example is refused on purpose
    times+=("$(echo "$(date +%s.%N) - $t0" | bc)")
  done
  printf '%-44s median %6.2f s over %s runs\n' "$name" "$(printf '%s\n' "${times[@]}" | median)" "$runs"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%F), load $(cut -d' ' -f1 /proc/loadavg)"
time_it "preflight.yml, inventories/lab" ansible-playbook -i inventories/lab playbooks/preflight.yml
time_it "preflight.yml, inventories/production" ansible-playbook -i inventories/production playbooks/preflight.yml
out=$(mktemp -d)
time_it "forge-monitoring plan, inventories/production" forge-monitoring plan -i inventories/production --out "$out"
rm -rf "$out"
