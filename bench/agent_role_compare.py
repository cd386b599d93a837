#!/usr/bin/env python3
"""Benchmark (issue 18): our roles/otel_agent against grafana.grafana.opentelemetry_collector, cold and no-change,
on the same hosts in one run.

    .venv/bin/python bench/agent_role_compare.py [--inventory inventories/lab] [--rounds 2]

The hosts are the inventory's `agents` of a running lab (`scripts/lab up`). Both roles install the same release,
the otelcol-debian tarball the lab built (.cache/fixtures/artifacts): ours through roles/artifact from the
controller's cache, Grafana's from a file:// URL of the same tarball copied to each host. Grafana's runs beside ours
under its own service name, directories and ports (bench/playbooks/agent_grafana.yml).

"Cold" removes what the role installed (release, config, unit; the service users and roles/pki's certificate stay)
and runs the role; "no-change" runs it again at once. Each round runs ours cold, Grafana's cold, ours no-change,
Grafana's no-change; the table shows the best of the rounds, the tasks run and the changes reported. What ours does
that Grafana's does not is listed under the table (from the roles' tasks, not measured). At the end Grafana's
service and files are removed from the hosts; ours is left deployed as the lab had it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARBALL_ON_HOST = "/tmp/bench-otelcol-debian.tar.gz"
RESET = {
    "ours": "systemctl disable --now otel-agent 2>/dev/null; rm -rf /opt/otelcol-debian /etc/otel-agent "
    "/var/lib/otel-agent /etc/systemd/system/otel-agent.service; systemctl daemon-reload",
    "grafana": "systemctl disable --now otel-collector-grafana 2>/dev/null; rm -rf /opt/otel-collector-grafana "
    "/etc/otel-collector-grafana /etc/systemd/system/otel-collector-grafana.service /tmp/otelcol-*.tar.gz; "
    "systemctl daemon-reload",
}
PLAYBOOK = {"ours": "bench/playbooks/agent_ours.yml", "grafana": "bench/playbooks/agent_grafana.yml"}


def sh(cmd: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, env=env)


def hosts(inventory: str) -> list[str]:
    out = sh([str(ROOT / ".venv/bin/ansible"), "-i", inventory, "agents", "--list-hosts"]).stdout
    return [line.strip() for line in out.splitlines()[1:] if line.strip()]


def container(host: str) -> str:
    """The lab's container of an inventory host (forge_monitoring/lab.py names them fm-lab-<host>)."""
    return f"fm-lab-{host}"


def docker(name: str, script: str) -> None:
    proc = sh(["docker", "exec", name, "bash", "-c", script])
    if proc.returncode != 0:
        raise SystemExit(f"{name}: {script[:60]!r} failed: {proc.stderr.strip()}")


def play(inventory: str, which: str, extra: list[str]) -> tuple[float, int, int]:
    """(seconds, tasks ok+changed, changed) of one ansible-playbook run; stops the bench when it fails."""
    env = {**os.environ, "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    start = time.monotonic()
    proc = sh([str(ROOT / ".venv/bin/ansible-playbook"), "-i", inventory, PLAYBOOK[which], *extra], env=env)
    seconds = time.monotonic() - start
    recap = re.findall(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout)
    if proc.returncode != 0 or not recap or any(int(r[3]) or int(r[2]) for r in recap):
        raise SystemExit(f"{which}: ansible-playbook failed (rc {proc.returncode}):\n{proc.stdout[-4000:]}")
    return seconds, sum(int(r[0]) for r in recap), sum(int(r[1]) for r in recap)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--inventory", default="inventories/lab")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    tarballs = sorted(
        (ROOT / ".cache/fixtures/artifacts/otelcol-debian").glob("*/*/otelcol-debian_*_linux_amd64.tar.gz")
    )
    if not tarballs:
        raise SystemExit("no otelcol-debian tarball in .cache/fixtures/artifacts: run scripts/lab up first")
    tarball = tarballs[-1]
    version = re.search(r"otelcol-debian_(\d+\.\d+\.\d+)", tarball.name).group(1)
    agents = hosts(args.inventory)
    names = [container(h) for h in agents]
    for name in names:
        proc = sh(["docker", "cp", str(tarball), f"{name}:{TARBALL_ON_HOST}"])
        if proc.returncode != 0:
            raise SystemExit(f"docker cp to {name}: {proc.stderr.strip()}")
    grafana_vars = ["-e", f"bench_tarball={TARBALL_ON_HOST}", "-e", f"bench_version={version}"]
    best: dict[tuple[str, str], tuple[float, int, int]] = {}
    try:
        for _ in range(args.rounds):
            for phase in ("cold", "no-change"):
                for which in ("ours", "grafana"):
                    if phase == "cold":
                        for name in names:
                            docker(name, RESET[which])
                    result = play(args.inventory, which, grafana_vars if which == "grafana" else [])
                    key = (which, phase)
                    best[key] = min(best.get(key, result), result)
    finally:
        for name in names:
            docker(name, RESET["grafana"] + f"; rm -f {TARBALL_ON_HOST}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# otel agent roles on {', '.join(agents)} ({len(agents)} hosts), {stamp}, {platform.node()}, "
          f"best of {args.rounds} rounds, release {tarball.name}\n")  # fmt: skip
    print("| role | cold (s) | tasks / changed | no-change (s) | tasks / changed |")
    print("|---|---|---|---|---|")
    for which, label in (("ours", "roles/otel_agent"), ("grafana", "grafana.grafana.opentelemetry_collector")):
        c, n = best[(which, "cold")], best[(which, "no-change")]
        print(f"| {label} | {c[0]:.1f} | {c[1]} / {c[2]} | {n[0]:.1f} | {n[1]} / {n[2]} |")
    print(
        "\nOurs does besides: the release's sha256 checked against the lock entry, the pipeline composed from the "
        "build's `components`, `validate` before the config goes live, systemd-analyze verify of the unit, "
        "MemoryMax/CPUQuota from the sizing filter, a sandboxed unit, the client certificate through roles/pki, the "
        "sending queue sized for the outage, a health gate with rollback, and a verify row. Grafana's validates the "
        "config too (its template's `validate`); it downloads with no checksum and reloads systemd on every run."
    )


if __name__ == "__main__":
    main()
