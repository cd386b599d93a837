#!/usr/bin/env bash
# Benchmark (issue 14): the marginal cost of one more dev host in a no-change run.
# Beside the converged lab it brings up lightweight dev hosts (the lab's systemd image, on the lab's dev
# network, in groups `agents` and `vpn_spokes`: preflight refuses an agent host outside the tunnel when the
# site has a hub), converges the new ones once with the hub, which learns their keys
# (site.yml --limit localhost:vpn_hub:<new hosts>), then times the real no-change `site.yml` on the whole lab plus
# N hosts, for N = 0 and each step (the set grows: 10, then 15 more, then 25 more). Every measured run must
# end with 0 changed, 0 failed and 0 unreachable in its PLAY RECAP, else the bench fails.
# It prints a table: N, wall seconds, marginal seconds per host against N=0 and against the previous step.
#
# Usage: bench/dev_host_curve.sh [N ...]        (default: 10 25 50, increasing)
#   The lab is used as it is when its hosts run (it must be converged); otherwise `scripts/lab up` makes it
#   first (not timed in the curve) and the bench takes it down at the end.
#   FORGE_CURVE_KEEP=1 leaves the extra hosts (and a lab the bench made) up.
# The extra hosts: forge_monitoring/devcurve.py writes .lab/curve/hosts.yml (an inventory source used beside
# inventories/lab) and starts their containers with scripts/lab's machinery (label forge.lab, SSH key,
# pinned host keys), so `scripts/lab down` removes them too. About 0.1 GiB of memory each when idle.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap-venv.sh > /dev/null
lab=(.venv/bin/forge-monitoring lab)
curve=(.venv/bin/python -m forge_monitoring.devcurve)
# site.yml through ansible-runner (forge_monitoring/playrun.py): progress in the log, the run kept under
# $log/runs, its counts (from the events) on the last line
play=(.venv/bin/python -m forge_monitoring.playrun run --runs)
steps=("$@")
[ "${#steps[@]}" -gt 0 ] || steps=(10 25 50)
prev=0
for n in "${steps[@]}"; do
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -gt "$prev" ] || { echo "usage: $0 [N ...] (increasing, > 0)" >&2; exit 2; }
  prev=$n
done
log=$(mktemp -d)
extra=.lab/curve/hosts.yml
load() { cut -d' ' -f1 /proc/loadavg; }
mem() { free -g | awk '/Mem:/{print $3 " of " $2 " GiB used, " $7 " available"}'; }
secs() { echo "$2 - $1" | bc; }
field() { sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" <<<"$1"; }  # counts, name

echo "== per-host curve (bench/dev_host_curve.sh): N = 0 ${steps[*]}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD)  $(.venv/bin/ansible --version | head -1)"
echo "strategy: ${ANSIBLE_STRATEGY:-$(.venv/bin/ansible-config dump 2>/dev/null | awk -F'= ' '/^DEFAULT_STRATEGY\(/{print $2}')}" \
  " forks: ${ANSIBLE_FORKS:-$(.venv/bin/ansible-config dump 2>/dev/null | awk -F'= ' '/^DEFAULT_FORKS\(/{print $2}')}"

made_lab=0
if "${lab[@]}" status | awk '$3 != "running" {bad=1} END{exit !bad}'; then
  echo "the lab is not up: scripts/lab up (cold, not part of the curve) ..."
  t0=$(date +%s.%N)
  "${lab[@]}" up > "$log/lab-up.log" 2>&1 || { tail -40 "$log/lab-up.log"; exit 1; }
  printf 'lab up (cold): %.1f s\n' "$(secs "$t0" "$(date +%s.%N)")"
  made_lab=1
fi
cleanup() {
  [ "${FORGE_CURVE_KEEP:-0}" = 1 ] && return
  if [ "$made_lab" = 1 ]; then
    "${lab[@]}" down > /dev/null 2>&1 || true
  else
    mapfile -t ids < <(docker ps -aq --filter label=forge.lab --filter name='^fm-lab-devx-')
    [ "${#ids[@]}" = 0 ] || docker rm -f "${ids[@]}" > /dev/null
    rm -rf .lab/curve
  fi
}
trap cleanup EXIT

printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' n wall changed failed unreachable hosts load | sed 's/^/# /' > "$log/curve.tsv"
measure() {  # N, inventory args...: the timed no-change site.yml
  local n=$1 t0 t1 rc=0 counts wall; shift
  t0=$(date +%s.%N)
  "${play[@]}" "$log/runs" "$@" site.yml -e "forge_verify_report=$log/verify-$n.txt" > "$log/run-$n.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  wall=$(secs "$t0" "$t1")
  counts=$(tail -1 "$log/run-$n.log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$wall" "$(field "$counts" changed)" "$(field "$counts" failed)" \
    "$(field "$counts" unreachable)" "$(field "$counts" hosts)" "$(load)" >> "$log/curve.tsv"
  printf 'no-change site.yml, N=%-3s %7.1f s   rc=%s %s  load %s\n' "$n" "$wall" "$rc" "$counts" "$(load)"
  if [ "$rc" != 0 ] || [ "$(field "$counts" changed)" != 0 ] || [ "$(field "$counts" failed)" != 0 ] \
    || [ "$(field "$counts" unreachable)" != 0 ]; then
    tail -60 "$(sed -n 's/.* run=//p' "$log/run-$n.log" | tail -1)/ansible.log"
    echo "FAILED: the no-change run at N=$n is not 0 changed, 0 failed, 0 unreachable (log: $log/run-$n.log)" >&2
    exit 1
  fi
}

measure 0 -i inventories/lab
prev=0
for n in "${steps[@]}"; do
  t0=$(date +%s.%N)
  "${curve[@]}" hosts "$n" > "$log/hosts-$n.log" 2>&1 || { cat "$log/hosts-$n.log"; exit 1; }
  printf 'dev hosts %d..%d up: %.1f s; memory %s\n' $((prev + 1)) "$n" "$(secs "$t0" "$(date +%s.%N)")" "$(mem)"
  new=$(seq -f 'devx-%02g' $((prev + 1)) "$n" | paste -sd:)
  t0=$(date +%s.%N)
  rc=0
  "${play[@]}" "$log/runs" -i inventories/lab -i "$extra" site.yml --limit "localhost:vpn_hub:$new" \
    > "$log/converge-$n.log" 2>&1 || rc=$?
  printf 'converge of the new hosts and the hub (site.yml --limit): %.1f s   rc=%s %s\n' "$(secs "$t0" "$(date +%s.%N)")" "$rc" \
    "$(tail -1 "$log/converge-$n.log")"
  [ "$rc" = 0 ] || { tail -60 "$log/converge-$n.log"; exit 1; }
  measure "$n" -i inventories/lab -i "$extra"
  prev=$n
done
echo
"${curve[@]}" table "$log/curve.tsv"
echo "memory at the end: $(mem)"
echo "logs: $log"
