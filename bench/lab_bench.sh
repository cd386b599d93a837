#!/usr/bin/env bash
# Benchmark (issue 14): in one run on one machine, the lab's
#   1. cold deploy          `scripts/lab up` from no lab (hosts, fixtures, site.yml)
#   2. no-change rerun      `scripts/lab up` again (must be 0 changed, 0 failed)
#   3. check mode           `scripts/lab up -- --check --diff` on the converged lab (0 changed, 0 failed)
#   4. apt package floor    fresh containers of the same hosts, the same apt sources, and only
#                           `apt-get update && apt-get install` of the packages the deploy added
#                           (the lowest a cold deploy could go: its downloads and dpkg work)
#   5. per-host curve       bench/dev_host_curve.sh on the converged lab (between 3 and 4): no-change
#                           site.yml at N = 0, 10, 25, 50 extra dev hosts, marginal seconds per host
# Usage: bench/lab_bench.sh [--no-curve | --curve-only] [N ...]
#   (the lab is left down at the end; FORGE_BENCH_KEEP=1 leaves it up). N ...: the curve's steps
#   (default 10 25 50). --curve-only runs only bench/dev_host_curve.sh (on the lab as it is, or a fresh one).
# The strategy is the project default (ansible.cfg); ANSIBLE_STRATEGY=linear benchmarks the stock one.
# Counts come from each run's event stream (`lab up` runs site.yml through ansible-runner and keeps the run;
# forge_monitoring/playrun.py sums the playbook_on_stats event over the hosts), never from the PLAY RECAP text.
set -euo pipefail
cd "$(dirname "$0")/.."
curve=1
case "${1:-}" in
  --curve-only) shift; exec bench/dev_host_curve.sh "$@" ;;
  --no-curve) curve=0; shift ;;
esac
scripts/bootstrap-venv.sh
lab=(.venv/bin/forge-monitoring lab)
log=$(mktemp -d)
counts() {  # log of a `lab up`: the counts of the run it kept, read from the run's events
  local dir; dir=$(sed -n 's/^\[lab\] run: \([^ ]*\) .*/\1/p' "$1" | tail -1)
  [ -n "$dir" ] || { echo "no run"; return; }
  .venv/bin/python -m forge_monitoring.playrun counts "$dir"
}
secs() { echo "$2 - $1" | bc; }
row() { printf '%-34s %7.1f s   %s\n' "$1" "$2" "$3"; }
play() {  # name, lab-up args...: a timed `lab up`, with the recap counts
  local name=$1 t0 t1 rc=0; shift
  t0=$(date +%s.%N)
  "${lab[@]}" up "$@" > "$log/$name.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  row "$name" "$(secs "$t0" "$t1")" "rc=$rc $(counts "$log/$name.log")"
  [ "$rc" = 0 ] || { tail -40 "$log/$name.log"; exit 1; }
}
containers() { "${lab[@]}" status | awk '{print $2}'; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD)  $(.venv/bin/ansible --version | head -1)"
echo "strategy: ${ANSIBLE_STRATEGY:-$(.venv/bin/ansible-config dump 2>/dev/null | awk -F'= ' '/^DEFAULT_STRATEGY\(/{print $2}')}"
"${lab[@]}" down > /dev/null 2>&1 || true

# 1-3: the deploy, its rerun and check mode
play "lab up (cold)" || exit 1
mkdir -p "$log/apt"
for c in $(containers); do  # what the deploy added, and the apt sources it used
  docker exec "$c" apt-mark showmanual | sort > "$log/apt/$c.manual"
  docker exec "$c" dpkg-query -W -f '${Package}\n' | wc -l > "$log/apt/$c.count"
  docker exec "$c" tar -C /etc/apt -cf - sources.list sources.list.d > "$log/apt/$c.sources.tar"
done
play "lab up (rerun, no change)"
play "lab up -- --check --diff" -- --check --diff

# 5: the per-host curve, beside the converged lab (it removes its extra hosts at the end)
if [ "$curve" = 1 ]; then
  if ! bench/dev_host_curve.sh "$@" 2>&1 | tee "$log/curve.log" | sed 's/^/    /'; then
    echo "the per-host curve failed (log: $log/curve.log)"; exit 1
  fi
fi

# 4: the floor, on fresh containers of the same hosts
"${lab[@]}" down > /dev/null 2>&1
"${lab[@]}" up --no-deploy > "$log/floor-hosts.log" 2>&1
t0=$(date +%s.%N)
pids=()
for c in $(containers); do
  (
    base=$(docker exec "$c" apt-mark showmanual | sort)
    pkgs=$(comm -13 <(echo "$base") "$log/apt/$c.manual" | tr '\n' ' ')
    docker exec -i "$c" tar -C /etc/apt -xf - < "$log/apt/$c.sources.tar"
    # only what the Debian archive has (artifacts the roles install from files are not apt's work)
    docker exec "$c" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      \$(apt-cache policy $pkgs | awk '/^[^ ]/{p=\$1} /Candidate:/ && \$2 != \"(none)\" {sub(/:\$/, \"\", p); print p}')" \
      > "$log/floor-$c.log" 2>&1
    echo "$c: $(wc -w <<<"$pkgs") packages the deploy added, $(docker exec "$c" dpkg-query -W -f '${Package}\n' | wc -l)" \
      "installed by the floor" \
      "(the deploy left $(cat "$log/apt/$c.count"))" >> "$log/floor-summary"
  ) & pids+=($!)
done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
t1=$(date +%s.%N)
row "apt package floor (fresh hosts)" "$(secs "$t0" "$t1")" "rc=$rc"
sed 's/^/    /' "$log/floor-summary"
[ "${FORGE_BENCH_KEEP:-0}" = 1 ] || "${lab[@]}" down > /dev/null 2>&1
echo "logs: $log"
