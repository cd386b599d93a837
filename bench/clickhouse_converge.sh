#!/usr/bin/env bash
# Benchmark: cold converge and no-change rerun of the ClickHouse topologies (issue 4).
#   bench/clickhouse_converge.sh [single|cluster ...]     default: single cluster
# single  = molecule/default             (1 ClickHouse node + 1 ZooKeeper on vms-1, with the whole site.yml on its
#                                         3 hosts: since issue 14 the one-node checks live there, the former
#                                         clickhouse_single scenario is gone, so its figures are not comparable)
# cluster = molecule/clickhouse_cluster (2 shards x 2 replicas + 3 ZooKeeper co-located + 1 dev host, site.yml)
# For each: fresh containers (destroy, create, prepare), then a timed converge (cold: packages from the
# Debian mirror) and a timed second converge, printing wall times and the changed-task count of each run.
# The no-change rerun must report 0 changed tasks. Containers are destroyed at the end, unless
# FORGE_BENCH_KEEP=1 (then `molecule verify -s <scenario>` can run on them).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source .venv/bin/activate
FORGE_TEST_APT_MIRROR=$(scripts/apt-mirror.sh main || true)
FORGE_TEST_APT_SECURITY_MIRROR=$(scripts/apt-mirror.sh security || true)
export FORGE_TEST_APT_MIRROR FORGE_TEST_APT_SECURITY_MIRROR
log=$(mktemp -d)
changed() {
  awk '/PLAY RECAP/{r=1} r && /changed=/{for(i=1;i<=NF;i++) if($i ~ /^changed=/){split($i,a,"="); s+=a[2]}} END{print s+0}' "$1"
}
run() {  # scenario, label
  local s=$1 label=$2 t0 t1
  t0=$(date +%s.%N)
  molecule converge -s "$s" > "$log/$s-$label.log" 2>&1 || { tail -40 "$log/$s-$label.log"; exit 1; }
  t1=$(date +%s.%N)
  printf '%-20s %-22s %7.1f s   changed tasks: %s\n' "$s" "$label" "$(echo "$t1 - $t0" | bc)" "$(changed "$log/$s-$label.log")"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
for topo in "${@:-single cluster}"; do
  for t in $topo; do
    case $t in single) s=default ;; *) s=clickhouse_$t ;; esac
    molecule destroy -s "$s" > "$log/$s-destroy.log" 2>&1
    molecule create -s "$s" > "$log/$s-create.log" 2>&1
    molecule prepare -s "$s" > "$log/$s-prepare.log" 2>&1
    run "$s" "cold converge"
    run "$s" "rerun (no change)"
    c=$(changed "$log/$s-rerun (no change).log")
    [ "$c" = 0 ] || { echo "FAIL: the rerun of $s changed $c tasks"; exit 1; }
    [ "${FORGE_BENCH_KEEP:-0}" = 1 ] || molecule destroy -s "$s" > "$log/$s-destroy.log" 2>&1
  done
done
echo "logs: $log"
