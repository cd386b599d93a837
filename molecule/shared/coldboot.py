"""TEST-ONLY: the cold boot of the default scenario (issue 16 item 5), run from the controller by
molecule/default/cold_boot.yml, the `side_effect cold_boot.yml` step its test sequence takes between converge and
idempotence.

    python3 molecule/shared/coldboot.py RECORD.json

It restarts the converged hosts' containers (a marker on /run, a tmpfs, proves each really restarted), waits until
systemd reports every host `running`, then records, before anything else touches the hosts:

- each host's system state, its failed units and whether it restarted;
- on vms-1, what `systemctl show` says of every unit in ORDER and FRONT (enablement, state, the monotonic times
  it left `inactive` and came up, a oneshot's exit status);
- what the site answers (ZooKeeper's `ruok`, ClickHouse's `SELECT 1`, SigNoz's health through nginx on 443 and
  3301, the ingest gateway through the tunnel from dev-1 with and without its client certificate), each polled
  until it gives the expected answer or 120 s pass (a service is `active` before it answers).

It asserts nothing: molecule/default/tests/test_cold_boot.py checks the record, and molecule's idempotence stage,
next in the sequence, is the rerun on the rebooted hosts that must change nothing. Exit status 1 only when the
containers could not be restarted at all."""

import json
import subprocess
import sys
import time

import tlsprobe
from chclient import four_letter, query
from molplay import docker_exec

VMS, DEV1, DEV2 = "fm-mol-vms-1", "fm-mol-dev-1", "fm-mol-dev-2"
HOSTS = (VMS, DEV1, DEV2)
PRIVATE, TUNNEL = "10.214.10.11", "10.214.200.1"
ADMIN = ("admin", "mol-admin-Password-1")  # TEST-ONLY: the scenario's vault_clickhouse_admin_password
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
FRONT = ("nginx.service",)  # declares no ordering: enabled, active and answering
PROPS = (
    "Type",
    "ActiveState",
    "UnitFileState",
    "ExecMainStatus",
    "ExecMainExitTimestampMonotonic",
    "ActiveEnterTimestampMonotonic",
    "InactiveExitTimestampMonotonic",
)
AGENT = ("/etc/forge/pki/certs/otel-agent.crt", "/etc/forge/pki/private/otel-agent.key")
HEALTH_OK = '{"status": "ok"} 200'


def _eventually(what, expected, timeout=120):
    """what() once it returns expected, or its last answer when timeout passes."""
    deadline = time.time() + timeout
    while True:
        try:
            got = what()
        except OSError as exc:  # not listening yet
            got = f"{type(exc).__name__}: {exc}"
        if got == expected or time.time() > deadline:
            return got
        time.sleep(3)


def _show(unit):
    out = docker_exec(VMS, f"systemctl show -p {','.join(PROPS)} {unit}").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _health(port):
    cmd = (
        f"curl -s -m 10 --cacert /etc/forge/pki/ca.crt --resolve monitoring.mol.forge.test:{port}:127.0.0.1 "
        f"-w ' %{{http_code}}' https://monitoring.mol.forge.test:{port}/api/v1/health"
    )
    return docker_exec(VMS, cmd).stdout


def _otlp(port, *cert):
    return docker_exec(DEV1, tlsprobe.command(TUNNEL, port, "/etc/forge/pki/ca.crt", *cert)).stdout.strip()


def restart():
    """{host: (system state, failed units, restarted)} once every host is up again (or 420 s passed)."""
    for h in HOSTS:
        docker_exec(h, "touch /run/fm-cold-boot-marker")
    r = subprocess.run(["docker", "restart", "-t", "60", *HOSTS], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"docker restart failed: {r.stderr.strip()}")
    deadline, state = time.time() + 420, {}
    while time.time() < deadline:
        state = {h: docker_exec(h, "systemctl is-system-running").stdout.strip() for h in HOSTS}
        if all(s in ("running", "degraded") for s in state.values()):
            break
        time.sleep(5)
    return {
        h: {
            "state": state.get(h, ""),
            "failed": docker_exec(h, "systemctl --failed --no-legend --plain").stdout.strip(),
            "restarted": docker_exec(h, "test -e /run/fm-cold-boot-marker").returncode == 1,
        }
        for h in HOSTS
    }


def answers():
    found = {
        "zookeeper ruok": _eventually(lambda: four_letter(PRIVATE, "ruok"), "imok"),
        "clickhouse select 1": list(_eventually(lambda: query(PRIVATE, "SELECT 1", *ADMIN), (200, "1\n"))),
    }
    for port in (443, 3301):
        found[f"signoz health via nginx {port}"] = _eventually(lambda port=port: _health(port), HEALTH_OK)
    for port in (4317, 4318):
        found[f"otlp {port} agent certificate"] = _eventually(lambda port=port: _otlp(port, *AGENT), "accepted")
        found[f"otlp {port} no certificate"] = _otlp(port)
    return found


def main(record):
    hosts = restart()
    units = {u: _show(u) for u in sorted({u for pair in ORDER for u in pair} | set(FRONT))}
    data = {"hosts": hosts, "units": units, "answers": answers()}
    with open(record, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    print(json.dumps(data["hosts"], sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
