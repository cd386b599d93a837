#!/usr/bin/env python3
"""Benchmark (issue 18): RSS, CPU and disk writes of a dev host's agent set, idle and under the seed's load.

    .venv/bin/python bench/agent_budget.py [--host fm-lab-dev-1] [--seconds 60] [--rate 1000:50:500]

The host is a running container of the lab (`scripts/lab up`, default fm-lab-dev-1) or of the default molecule
scenario (fm-mol-dev-1) where site.yml has deployed the agents. The agent set is every unit of it that runs
there: otel-agent and prometheus-node-exporter, the database exporters (forge-postgres-exporter-*,
forge-pgbouncer-exporter-*) and Fluent Bit when they are there.
For each unit it samples /proc of the unit's processes (RSS: VmRSS; CPU: utime+stime; disk: write_bytes of
/proc/<pid>/io) over ``--seconds``, first idle, then while the synthetic workload
(molecule/default/files/otlp_workload.py, copied to the host) sends RATE spans:metric points:log records a
second to the agent. It prints one table per phase with the totals against the issue's target (half the seed's
agent budget: 100 MB RSS and 2.5 % of one core) and the disk written extrapolated to a day (seed: < 100 MB/day).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKLOAD = ROOT / "molecule" / "default" / "files" / "otlp_workload.py"
# unit patterns: the database exporters are one unit per server (roles/db_exporters)
UNITS = ("otel-agent.service", "prometheus-node-exporter.service", "fluent-bit.service",
         "forge-postgres-exporter-*.service", "forge-pgbouncer-exporter-*.service")  # fmt: skip
TARGET_MB, TARGET_CPU = 100, 2.5
SEED_MB, SEED_DISK_MB_DAY = 200, 100


def sh(host: str, script: str, check: bool = True) -> str:
    proc = subprocess.run(["docker", "exec", host, "bash", "-c", script], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"{host}: {script!r} failed: {proc.stderr.strip()}")
    return proc.stdout


SAMPLE = r"""
for u in $(systemctl list-units --type=service --state=active --no-legend --plain %s | awk '{print $1}'); do
  cg=$(systemctl show -p ControlGroup --value "$u")
  for pid in $(cat "/sys/fs/cgroup/systemd$cg/cgroup.procs" 2>/dev/null || cat "/sys/fs/cgroup$cg/cgroup.procs"); do
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null)
    cpu=$(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null)
    wb=$(awk '/^write_bytes/ {print $2}' /proc/$pid/io 2>/dev/null)
    echo "$u $pid ${rss:-0} ${cpu:-0} ${wb:-0}"
  done
done
"""


def sample(host: str) -> dict[str, dict[str, int]]:
    """{unit: {rss_kb, ticks, write_bytes}} summed over the unit's processes."""
    out: dict[str, dict[str, int]] = {}
    for line in sh(host, SAMPLE % " ".join(f"'{u}'" for u in UNITS)).splitlines():
        unit, _pid, rss, cpu, wb = line.split()
        agg = out.setdefault(unit, {"rss_kb": 0, "ticks": 0, "write_bytes": 0})
        agg["rss_kb"] += int(rss)
        agg["ticks"] += int(cpu)
        agg["write_bytes"] += int(wb)
    return out


def measure(host: str, seconds: float, hz: int) -> dict[str, dict[str, float]]:
    """Per unit over ``seconds``: peak RSS (MB), CPU (% of one core), disk written (MB/day)."""
    first, peak = sample(host), {}
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        time.sleep(min(5.0, seconds / 6))
        for unit, agg in sample(host).items():
            peak[unit] = max(peak.get(unit, 0), agg["rss_kb"])
    elapsed = time.monotonic() - start
    last = sample(host)
    result = {}
    for unit in sorted(last):
        d_ticks = last[unit]["ticks"] - first.get(unit, {}).get("ticks", 0)
        d_wb = last[unit]["write_bytes"] - first.get(unit, {}).get("write_bytes", 0)
        result[unit] = {
            "rss_mb": max(peak.get(unit, 0), last[unit]["rss_kb"]) / 1024,
            "cpu_pct": 100.0 * d_ticks / hz / elapsed,
            "disk_mb_day": d_wb / 1e6 * 86400 / elapsed,
        }
    return result


def table(title: str, rows: dict[str, dict[str, float]]) -> str:
    lines = [
        f"## {title}",
        "",
        "| unit | RSS (MB, peak) | CPU (% of one core) | disk written (MB/day) |",
        "|---|---|---|---|",
    ]
    for unit, r in rows.items():
        lines.append(f"| {unit} | {r['rss_mb']:.1f} | {r['cpu_pct']:.2f} | {r['disk_mb_day']:.1f} |")
    rss = sum(r["rss_mb"] for r in rows.values())
    cpu = sum(r["cpu_pct"] for r in rows.values())
    disk = sum(r["disk_mb_day"] for r in rows.values())
    lines.append(f"| **total** | **{rss:.1f}** | **{cpu:.2f}** | **{disk:.1f}** |")
    lines.append("")
    lines.append(
        f"target (half the seed's budget): RSS {rss:.1f} of {TARGET_MB} MB "
        f"({'met' if rss <= TARGET_MB else 'EXCEEDED'}), "
        f"CPU {cpu:.2f} of {TARGET_CPU} % ({'met' if cpu <= TARGET_CPU else 'EXCEEDED'}); "
        f"seed: {SEED_MB} MB, disk {disk:.1f} of {SEED_DISK_MB_DAY} MB/day"
    )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="fm-lab-dev-1")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rate", default="1000:50:500", help="spans:metric points:log records per second")
    args = ap.parse_args()
    hz = int(sh(args.host, "getconf CLK_TCK"))
    subprocess.run(["docker", "cp", str(WORKLOAD), f"{args.host}:/usr/local/bin/otlp-workload"], check=True)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# agent budget on {args.host}, {when}, {args.seconds:.0f} s a phase")
    print(table("idle", measure(args.host, args.seconds, hz)))
    rid = f"bench{int(time.time())}"
    sh(args.host, f"systemd-run --unit=bench-workload-{rid} /usr/bin/python3 /usr/local/bin/otlp-workload {rid} "
                  f"{args.seconds + 15} {args.rate}")  # fmt: skip
    time.sleep(10)  # let the rate settle
    loaded = measure(args.host, args.seconds, hz)
    while sh(args.host, f"systemctl is-active bench-workload-{rid}", check=False).strip() == "active":
        time.sleep(2)
    sent = sh(args.host, f"journalctl -u bench-workload-{rid} -o cat | grep '^{{' | tail -1").strip()
    print(table(f"load: {args.rate} spans:points:logs a second (the workload's own process not counted)", loaded))
    print(f"\naccepted by the agent: {json.loads(sent) if sent.startswith('{') else sent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
