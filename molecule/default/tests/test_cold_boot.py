"""Cold boot (issue 16 item 5): the converged hosts were restarted by the `side_effect cold_boot.yml` step of the
test sequence (molecule.yml), between converge and idempotence, and molecule/shared/coldboot.py recorded what
systemd alone brought back before anything else touched the hosts. These checks read that record:

- every host restarted and reached `running` with no failed unit;
- firewall, tunnel, coordinator, ClickHouse, migrator, SigNoz and ingest are enabled, came up, and each started
  after what it needs (ORDER: the orderings the units declare, by systemd's monotonic timestamps); the front end
  (nginx) declares none: enabled, active and answering;
- the site answered: the data tier, SigNoz through nginx on 443 and 3301, the ingest gateway through the
  re-established tunnel with dev-1's client certificate and still refusing a client without one.

The rerun with 0 changed is molecule's idempotence stage, the next step of the sequence, on the rebooted hosts;
the rest of verify runs on them too. These checks take no `host`: they read the record once."""

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from coldboot import FRONT, HEALTH_OK, HOSTS, ORDER  # noqa: E402


@pytest.fixture(scope="module")
def record():
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "cold_boot.json"
    assert path.exists(), f"no {path}: the test sequence's `side_effect cold_boot.yml` step has not run"
    return json.loads(path.read_text())


def _up_at(props):
    """Monotonic µs at which the unit was up: a oneshot's exit, another unit's entering `active`."""
    key = "ExecMainExitTimestampMonotonic" if props["Type"] == "oneshot" else "ActiveEnterTimestampMonotonic"
    return int(props[key])


def test_every_host_restarted_and_systemd_reports_it_running(record):
    hosts = record["hosts"]
    assert sorted(hosts) == sorted(HOSTS)
    for name, h in hosts.items():
        assert h["restarted"], f"{name} was not restarted (its /run marker survived)"
        assert (h["state"], h["failed"]) == ("running", ""), (name, h)


def test_systemd_alone_starts_every_unit_in_order(record):
    units = record["units"]
    assert set(units) == {u for pair in ORDER for u in pair} | set(FRONT)
    for unit, p in units.items():
        # started at boot: a unit file enabled, or (Debian's zookeeper) an enabled SysV script's generated unit
        assert p["UnitFileState"] in ("enabled", "generated"), (unit, p)
        # a oneshot without RemainAfterExit (the migrator) is inactive once it ran: its exit status is checked below
        assert p["ActiveState"] == "active" or p["Type"] == "oneshot", (unit, p)
    migrate = units["signoz-migrate.service"]
    assert migrate["ExecMainStatus"] == "0" and int(migrate["ExecMainExitTimestampMonotonic"]) > 0, migrate
    late = [(a, b) for a, b in ORDER if not 0 < _up_at(units[a]) <= int(units[b]["InactiveExitTimestampMonotonic"])]
    assert late == [], "started before what it needs: " + ", ".join(f"{b} before {a}" for a, b in late)


def test_the_site_answered_after_the_cold_boot(record):
    assert record["answers"] == {
        "zookeeper ruok": "imok",
        "clickhouse select 1": [200, "1\n"],
        "signoz health via nginx 443": HEALTH_OK,
        "signoz health via nginx 3301": HEALTH_OK,
        "otlp 4317 agent certificate": "accepted",
        "otlp 4317 no certificate": "refused TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "otlp 4318 agent certificate": "accepted",
        "otlp 4318 no certificate": "refused TLSV13_ALERT_CERTIFICATE_REQUIRED",
    }
