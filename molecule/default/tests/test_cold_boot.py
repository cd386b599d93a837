"""Cold boot (issue 16 item 5): the converged hosts are restarted, and systemd alone brings everything back in
order: firewall, tunnel, coordinator, ClickHouse, migrator, SigNoz, ingest (ORDER: the orderings the units
declare); the front end (nginx) declares none, it is checked enabled, active and answering. Then the site's key
checks pass again (the data tier answers, SigNoz through nginx, the ingest gateway through the tunnel with
mTLS), and a rerun of the scenario's converge reports 0 changed on every host.

Runs last (conftest.py: `cold_boot`), after the disruptive checks left vms-1 on the NEXT fixture versions."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

import tlsprobe  # noqa: E402
from chclient import four_letter, query  # noqa: E402
from molplay import changed_tasks, docker_exec, run_playbook  # noqa: E402

VMS, DEV1, DEV2 = "fm-mol-vms-1", "fm-mol-dev-1", "fm-mol-dev-2"
PRIVATE, TUNNEL = "10.214.10.11", "10.214.200.1"
# the versions the disruptive checks of test_signoz_tier.py leave installed
VERSIONS = ("-e", "mol_signoz_version=0.129.0-fixture", "-e", "mol_collector_version=0.144.7-fixture")
# (unit that must be up, unit that starts after it) on vms-1: the orderings the roles declare
ORDER = [
    ("forge-firewall.service", "wg-quick@wg0.service"),
    ("zookeeper.service", "clickhouse-server.service"),
    ("clickhouse-server.service", "signoz-migrate.service"),
    ("zookeeper.service", "signoz-migrate.service"),
    ("signoz-migrate.service", "signoz.service"),
    ("signoz.service", "signoz-ingest.service"),
    ("wg-quick@wg0.service", "signoz-ingest.service"),
]
FRONT = ("nginx.service",)

pytestmark = [pytest.mark.cold_boot, pytest.mark.hosts(VMS)]


def _show(unit, *props):
    out = docker_exec(VMS, f"systemctl show -p {','.join(props)} {unit}").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _up_at(unit):
    """Monotonic µs at which the unit was up: a oneshot's exit, another unit's entering `active`."""
    p = _show(unit, "Type", "ExecMainExitTimestampMonotonic", "ActiveEnterTimestampMonotonic")
    return int(p["ExecMainExitTimestampMonotonic" if p["Type"] == "oneshot" else "ActiveEnterTimestampMonotonic"])


def _began_at(unit):
    return int(_show(unit, "InactiveExitTimestampMonotonic")["InactiveExitTimestampMonotonic"])


def _eventually(what, expected, timeout=120):
    """what() once it returns expected (a service is `active` before it answers), or its last answer."""
    deadline = time.time() + timeout
    while True:
        try:
            got = what()
        except OSError as exc:  # not listening yet
            got = exc
        if got == expected or time.time() > deadline:
            return got
        time.sleep(3)


@pytest.fixture(scope="module")
def rebooted():
    hosts = (VMS, DEV1, DEV2)
    for h in hosts:  # /run is a tmpfs: the marker is gone only after a real restart of the container
        assert docker_exec(h, "touch /run/fm-cold-boot-marker").returncode == 0
    r = subprocess.run(["docker", "restart", "-t", "60", *hosts], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    deadline, state = time.time() + 420, {}
    while time.time() < deadline:
        state = {h: docker_exec(h, "systemctl is-system-running").stdout.strip() for h in hosts}
        if all(s in ("running", "degraded") for s in state.values()):
            break
        time.sleep(5)
    failed = {h: docker_exec(h, "systemctl --failed --no-legend --plain").stdout.strip() for h in hosts}
    assert state == dict.fromkeys(hosts, "running"), (state, failed)
    for h in hosts:
        assert docker_exec(h, "test -e /run/fm-cold-boot-marker").returncode == 1, f"{h} was not restarted"
    return hosts


def test_systemd_alone_starts_every_unit_in_order(host, rebooted):
    for unit in {u for pair in ORDER for u in pair} | set(FRONT):
        p = _show(unit, "ActiveState", "UnitFileState", "Type")
        # started at boot: a unit file enabled, or (Debian's zookeeper) an enabled SysV script's generated unit
        assert p["UnitFileState"] in ("enabled", "generated"), (unit, p)
        # a oneshot without RemainAfterExit (the migrator) is inactive once it ran: its exit status is checked below
        assert p["ActiveState"] == "active" or p["Type"] == "oneshot", (unit, p)
    migrate = _show("signoz-migrate.service", "ExecMainStatus", "ExecMainExitTimestampMonotonic")
    assert migrate["ExecMainStatus"] == "0" and int(migrate["ExecMainExitTimestampMonotonic"]) > 0, migrate
    late = [(a, b) for a, b in ORDER if not 0 < _up_at(a) <= _began_at(b)]
    assert late == [], "started before what it needs: " + ", ".join(f"{b} before {a}" for a, b in late)


def test_the_site_answers_again_after_the_cold_boot(host, rebooted):
    # the data tier
    assert _eventually(lambda: four_letter(PRIVATE, "ruok"), "imok") == "imok"
    assert _eventually(lambda: query(PRIVATE, "SELECT 1", "admin", "mol-admin-Password-1"), (200, "1\n")) == (
        200,
        "1\n",
    )
    # SigNoz (the NEXT fixture release) behind nginx, on 443 and 3301, verified with the internal CA
    for port in (443, 3301):
        health = (
            f"curl -s -m 10 --cacert /etc/forge/pki/ca.crt --resolve monitoring.mol.forge.test:{port}:127.0.0.1 "
            f"-w ' %{{http_code}}' https://monitoring.mol.forge.test:{port}/api/v1/health"
        )
        ok = '{"status": "ok"} 200'
        assert _eventually(lambda cmd=health: host.run(cmd).stdout, ok) == ok, port
    # the ingest gateway through the re-established tunnel, with dev-1's client certificate, and still mTLS only
    agent = ("/etc/forge/pki/certs/otel-agent.crt", "/etc/forge/pki/private/otel-agent.key")
    for port in (4317, 4318):

        def probe(*cert, port=port):
            return docker_exec(DEV1, tlsprobe.command(TUNNEL, port, "/etc/forge/pki/ca.crt", *cert)).stdout.strip()

        assert _eventually(lambda: probe(*agent), "accepted") == "accepted", port
        assert probe() == "refused TLSV13_ALERT_CERTIFICATE_REQUIRED", port


def test_a_rerun_after_the_cold_boot_changes_nothing(host, rebooted):
    rc, data = run_playbook("molecule/default/converge.yml", *VERSIONS)
    assert rc == 0, [t for t in data["plays"][-1]["tasks"] if any(r.get("failed") for r in t["hosts"].values())]
    assert changed_tasks(data) == []
