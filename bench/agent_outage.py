#!/usr/bin/env python3
"""Benchmark (issue 18): the agent through a long outage in the lab, counted end to end.

    .venv/bin/python bench/agent_outage.py [--seconds 300] [--rate 5] [--cut ingest --cut tunnel]

On the lab (`scripts/lab up`): the synthetic workload (molecule/default/files/otlp_workload.py) sends RATE spans,
metric points and log records a second to dev-1's agent while, for ``--seconds``, the ingest gateway on vms-1 is
stopped (cut ``ingest``) or dev-1's tunnel is down (cut ``tunnel``); afterwards it counts the run's distinct ids in
ClickHouse (the gateway fixture's table, through clickhouse-client on vms-1 as the admin user) until they equal what
the agent accepted, or 10 minutes pass. Prints sent, received and lost per signal for each cut; exit 1 on a loss.
The suite's own check is the same with 60 s cuts (molecule/default/tests/test_signoz_tier.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKLOAD = ROOT / "molecule" / "default" / "files" / "otlp_workload.py"
DEV, VMS = "fm-lab-dev-1", "fm-lab-vms-1"
DATABASES = {"traces": "signoz_traces", "metrics": "signoz_metrics", "logs": "signoz_logs"}
CUTS = {
    "ingest": ((VMS, "systemctl stop signoz-ingest"), (VMS, "systemctl start signoz-ingest")),
    "tunnel": ((DEV, "systemctl stop wg-quick@wg0"), (DEV, "systemctl start wg-quick@wg0")),
}


def sh(host: str, script: str) -> str:
    proc = subprocess.run(["docker", "exec", host, "bash", "-c", script], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{host}: {script!r} failed: {proc.stderr.strip()}")
    return proc.stdout


def received(rid: str, password: str, address: str) -> dict[str, int]:
    """Distinct ids of this run per signal in ClickHouse (-1 when the query fails). The lab's admin password goes
    to clickhouse-client inside the container (18.16 has no password from the environment); it is never printed."""
    out = {}
    for signal, db in DATABASES.items():
        sql = (f"SELECT count(DISTINCT s) FROM {db}.fixture_otlp_received ARRAY JOIN strings AS s "
               f"WHERE s LIKE '{rid}-{signal}-%'")  # fmt: skip
        cmd = ["docker", "exec", VMS, "clickhouse-client", "--host", address, "--user", "admin", "--password", password]
        proc = subprocess.run([*cmd, "-q", sql], capture_output=True, text=True, check=False)
        out[signal] = int(proc.stdout.strip() or 0) if proc.returncode == 0 else -1
    return out


def one_cut(cut: str, seconds: int, rate: int, password: str, address: str) -> bool:
    rid = f"bench{cut}{int(time.time())}"
    total = seconds + 40
    sh(DEV, f"systemd-run --unit=bench-outage-{rid} /usr/bin/python3 /usr/local/bin/otlp-workload {rid} {total} {rate}")
    time.sleep(10)
    (down_host, down), (up_host, up) = CUTS[cut]
    sh(down_host, down)
    started = time.monotonic()
    try:
        time.sleep(5)
        during = received(rid, password, address)
        time.sleep(max(0, seconds - 5))
        after_cut = received(rid, password, address)
    finally:
        sh(up_host, up)
    print(f"[{cut}] cut for {time.monotonic() - started:.0f} s; received meanwhile: {during} -> {after_cut}")
    while sh(DEV, f"systemctl is-active bench-outage-{rid} || true").strip() == "active":
        time.sleep(2)
    lines = [x for x in sh(DEV, f"journalctl -u bench-outage-{rid} -o cat").splitlines() if x.startswith("{")]
    sent = json.loads(lines[-1])
    deadline = time.monotonic() + 600
    got = received(rid, password, address)
    while got != sent and time.monotonic() < deadline:
        time.sleep(5)
        got = received(rid, password, address)
    lost = {s: sent[s] - got.get(s, 0) for s in sent}
    print(f"[{cut}] sent {sent}, received {got}, lost {lost}, replayed within {time.monotonic() - started:.0f} s")
    return all(v == 0 for v in lost.values()) and during == after_cut


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--rate", type=int, default=5)
    ap.add_argument("--cut", action="append", choices=sorted(CUTS))
    args = ap.parse_args()
    secrets = yaml.safe_load((ROOT / "inventories/lab/group_vars/all/lab_secrets.yml").read_text())
    address = yaml.safe_load((ROOT / "inventories/lab/host_vars/vms-1.yml").read_text())["forge_private_address"]
    subprocess.run(["docker", "cp", str(WORKLOAD), f"{DEV}:/usr/local/bin/otlp-workload"], check=True)
    print(f"# agent outage on the lab, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.seconds} s cuts")
    ok = [one_cut(c, args.seconds, args.rate, secrets["vault_clickhouse_admin_password"], address)
          for c in args.cut or ["ingest", "tunnel"]]  # fmt: skip
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
