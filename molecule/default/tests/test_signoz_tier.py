"""The SigNoz tier inside site.yml on the default scenario's vms-1: the SigNoz and collector FIXTURE releases,
ClickHouse 18.16 from Debian as the store, the ingest certificate from roles/pki, nginx in front, and on dev-1 the
real OpenTelemetry collector (otelcol-debian, dev-1's agent from roles/otel_agent) sending through the WireGuard tunnel
with its PKI client certificate.

What the fixtures prove and what they cannot: docs/testing.md ("SigNoz tier"). The checks marked `disruptive`
change state (ClickHouse outage, upgrade, rollback, refusals); conftest.py runs them after every other check of
the scenario, in file order.
"""

import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from chclient import query  # noqa: E402
from molplay import run_playbook  # noqa: E402

from forge_monitoring import sizing  # noqa: E402

VMS = "fm-mol-vms-1"
SENDER = "fm-mol-dev-1"
PRIVATE = "10.214.10.11"
WAN = "10.214.0.11"
# the ingest gateway listens on the WireGuard hub's tunnel address (vms-1 is the hub)
TUNNEL = "10.214.200.1"
ROOT_EMAIL = "admin@mol.forge.test"
FIRST, NEXT, BROKEN = "0.128.0-fixture", "0.129.0-fixture", "0.129.1-fixture-broken"
# -e for runs that drive a failing health gate (roles/signoz: signoz_health_retries x signoz_health_delay)
SHORT_GATE = ("-e", "signoz_health_retries=10", "-e", "signoz_health_delay=2")
COLLECTOR_FIRST, COLLECTOR_NEXT = "0.144.5-fixture", "0.144.7-fixture"
COLLECTOR_BROKEN = "0.144.8-fixture-broken"  # its health_check extension answers 503 (molecule/fixtures/build.py)


def _hv(host):
    return host.ansible.get_variables()


def _api(host, path, token=None, method="GET", body=None):
    # the URL quoted: an unquoted '&' would end the command there (the query's later parameters lost)
    cmd = f"curl -s -m 10 -X {method} -w '\\n%{{http_code}}' 'http://127.0.0.1:8080{path}'"
    if token:
        cmd += f" -H 'Authorization: Bearer {token}'"
    if body is not None:
        cmd += f" -H 'Content-Type: application/json' --data '{json.dumps(body)}'"
    out = host.run(cmd).stdout.rsplit("\n", 1)
    return int(out[1] or 0), (json.loads(out[0]) if out[0].strip() else None)


def _vms(host):
    if host.backend.get_hostname() == VMS:
        return host
    return host.get_host(f"ansible://{VMS}", ansible_inventory=host.backend.ansible_inventory)


def _ch(host, sql):
    """A query as roles/clickhouse's signoz user, over HTTP from this process (no password on a command line)."""
    status, body = query(PRIVATE, sql, "signoz", _hv(_vms(host))["vault_clickhouse_signoz_password"])
    assert status == 200, body
    return body.strip()


def _wait(fn, timeout=90, step=2):
    end = time.time() + timeout
    while True:
        value = fn()
        if value or time.time() > end:
            return value
        time.sleep(step)


def _health(host):
    return _api(host, "/api/v1/health?live")[0]


def _login(host):
    code, ctx = _api(host, f"/api/v2/sessions/context?email={ROOT_EMAIL}&ref=http://x")
    assert code == 200 and ctx["data"]["exists"]
    org = ctx["data"]["orgs"][0]["id"]
    body = {"email": ROOT_EMAIL, "password": _hv(host)["vault_signoz_root_password"], "orgId": org}
    code, tok = _api(host, "/api/v2/sessions/email_password", method="POST", body=body)
    assert code == 200, tok
    return tok["data"]["accessToken"]


# ---- install, layout, service user, env file, nginx in front ----------------------------------------------
@pytest.mark.hosts(VMS)
def test_signoz_answers_through_nginx_on_443_and_3301(host):
    for port in (443, 3301):
        out = host.check_output(
            f"curl -s -m 10 --cacert /etc/forge/pki/ca.crt --resolve monitoring.mol.forge.test:{port}:127.0.0.1 "
            f"-w ' %{{http_code}}' https://monitoring.mol.forge.test:{port}/api/v1/health"
        )
        assert out == '{"status": "ok"} 200', (port, out)
    assert _api(host, "/api/v1/version")[1]["version"] == f"v{FIRST}"


@pytest.mark.hosts(VMS)
def test_release_layout_kept_together_and_services_running(host):
    assert host.file("/opt/signoz/current").linked_to == f"/opt/signoz/{FIRST}"
    for sub in ("bin/signoz", "web/index.html", "templates/email/invitation.gotmpl", "conf/example.yaml"):
        assert host.file(f"/opt/signoz/current/{sub}").exists, sub
    assert host.file("/opt/signoz-otel-collector/current").linked_to == f"/opt/signoz-otel-collector/{COLLECTOR_FIRST}"
    for unit in ("clickhouse-server", "signoz", "signoz-ingest"):
        assert host.service(unit).is_running, unit
    # the migrator oneshot ran to completion before signoz
    assert host.check_output("systemctl show -p Result --value signoz-migrate.service") == "success"


@pytest.mark.hosts(VMS)
def test_service_user_env_file_and_no_secret_in_sight(host):
    hv = _hv(host)
    user = host.user("signoz")
    assert user.shell == "/usr/sbin/nologin" and user.uid < 1000
    env = host.file("/etc/signoz/signoz.env")
    assert (env.user, env.group, env.mode) == ("root", "signoz", 0o640)
    ch_pw, root_pw, jwt = (
        hv["vault_clickhouse_signoz_password"],
        hv["vault_signoz_root_password"],
        hv["vault_signoz_jwt_secret"],
    )
    text = env.content_string
    for line in (
        "SIGNOZ_SQLSTORE_SQLITE_PATH=/var/lib/signoz/signoz.db",
        "SIGNOZ_STATSREPORTER_ENABLED=false",
        "SIGNOZ_PPROF_ENABLED=false",
        "SIGNOZ_PPROF_ADDRESS=127.0.0.1:6060",
        "SIGNOZ_ANALYTICS_ENABLED=false",
        f"SIGNOZ_TOKENIZER_JWT_SECRET={jwt}",
        # roles/clickhouse's signoz user, on the node's private address (ClickHouse listens nowhere else)
        f"SIGNOZ_TELEMETRYSTORE_CLICKHOUSE_DSN=tcp://{PRIVATE}:9000?username=signoz&password={ch_pw}",
    ):
        assert line in text, line.split("=", 1)[0]
    unit = host.file("/etc/systemd/system/signoz.service").content_string
    assert f"SIGNOZ_WEB_DIRECTORY=/opt/signoz/{FIRST}/web" in unit
    db = host.file("/var/lib/signoz/signoz.db")  # the SQLite metastore
    assert db.exists and db.user == "signoz"
    # the vault values appear in no unit, command line or journal line
    units = host.check_output("cat /etc/systemd/system/signoz*.service")
    procs = host.check_output("ps -eo args")
    journal = host.check_output("journalctl --no-pager -o cat -u 'signoz*'")
    for secret in (ch_pw, root_pw, jwt):
        assert secret not in units and secret not in procs and secret not in journal


# ---- start order, migrations, confinement, hardening -------------------------------------------------------
@pytest.mark.hosts(VMS)
def test_start_order(host):
    after = host.check_output("systemctl show -p After --value signoz.service").split()
    assert "signoz-migrate.service" in after and "clickhouse-server.service" in after
    m_after = host.check_output("systemctl show -p After --value signoz-migrate.service").split()
    assert "clickhouse-server.service" in m_after and "zookeeper.service" in m_after
    i_after = host.check_output("systemctl show -p After --value signoz-ingest.service").split()
    assert "signoz-migrate.service" in i_after and "wg-quick@wg0.service" in i_after
    assert host.check_output("systemctl show -p Type --value signoz-migrate.service") == "oneshot"
    # the migrator really finished before signoz started
    t = {
        u: int(host.check_output(f"systemctl show -p {p} --value {u} | xargs -I{{}} date -d {{}} +%s%N"))
        for u, p in (("signoz-migrate.service", "ExecMainExitTimestamp"), ("signoz.service", "ExecMainStartTimestamp"))
    }
    assert t["signoz-migrate.service"] <= t["signoz.service"]
    for unit in ("signoz-migrate.service", "signoz.service", "signoz-ingest.service"):
        assert host.service(unit).is_enabled


@pytest.mark.hosts(VMS)
def test_migrations_recorded_in_clickhouse(host):
    for db in ("signoz_traces", "signoz_logs", "signoz_metrics", "signoz_metadata"):
        ids = _ch(
            host,
            f"SELECT arraySort(groupUniqArray(migration_id)) FROM {db}.schema_migrations_v2 WHERE status = 'finished'",
        )
        assert ids == "[1,2,3]", (db, ids)


@pytest.mark.hosts(VMS)
def test_signoz_user_is_confined_to_its_databases(host):
    # roles/clickhouse's signoz user: all rights in the signoz_* databases (the migrator created them above),
    # none elsewhere (clickhouse_signoz_databases -> allow_databases)
    password = _hv(host)["vault_clickhouse_signoz_password"]
    status, body = query(PRIVATE, "CREATE TABLE default.fixture_denied (n UInt8) ENGINE = Memory", "signoz", password)
    assert status != 200 and ("Code: 291" in body or "ccess denied" in body), body  # DATABASE_ACCESS_DENIED
    assert _ch(host, "SELECT count() FROM system.tables WHERE database = 'default' AND name = 'fixture_denied'") == "0"


@pytest.mark.hosts(VMS)
def test_hardening_score(host):
    for unit in ("signoz.service", "signoz-migrate.service", "signoz-ingest.service"):
        out = host.check_output(f"systemd-analyze security --no-pager {unit} | tail -1")
        m = re.search(r"exposure level for \S+: ([0-9.]+) (\w+)", out)
        assert m, out
        print(f"systemd-analyze security {unit}: {m.group(1)} {m.group(2)}")
        assert float(m.group(1)) <= 2.5, out


# ---- API bootstrap: root admin without interaction, invites with roles -------------------------------------
@pytest.mark.hosts(VMS)
def test_root_admin_and_invites(host):
    token = _login(host)
    code, users = _api(host, "/api/v2/users", token)
    assert code == 200
    by_email = {u["email"]: u for u in users["data"]}
    assert by_email[ROOT_EMAIL]["isRoot"] and by_email[ROOT_EMAIL]["status"] == "active"
    for email, role in (("alice@mol.forge.test", "signoz-admin"), ("bob@mol.forge.test", "signoz-viewer")):
        assert by_email[email]["status"] == "pending_invite"
        roles = _api(host, f"/api/v2/users/{by_email[email]['id']}/roles", token)[1]["data"]
        assert [r["name"] for r in roles] == [role]
    # self-registration is closed once the root admin exists
    code, body = _api(
        host, "/api/v1/register", method="POST", body={"email": "x@y.z", "password": "whatever-12345", "orgName": "x"}
    )
    assert code == 400 and "self-registration is disabled" in body["error"]["message"]


# ---- ingest gateway: tunnel address only, mTLS from the PKI, the real otelcol as the sender -----------------
@pytest.mark.hosts(VMS)
def test_ingest_serves_the_pki_certificate_on_the_tunnel_address_only(host):
    assert host.run("openssl verify -CAfile /etc/forge/pki/ca.crt /etc/forge/pki/certs/signoz_ingest.crt").rc == 0
    key = host.file("/etc/forge/pki/private/signoz_ingest.key")
    assert (key.user, key.group, key.mode) == ("signoz-ingest", "signoz-ingest", 0o600)
    served = host.run(f"openssl s_client -connect {TUNNEL}:4318 -CAfile /etc/forge/pki/ca.crt </dev/null 2>&1").stdout
    assert "Verify return code: 0 (ok)" in served
    # bound to the tunnel address only, never a wildcard or the WAN/private address; health_check on localhost
    sockets = host.check_output("ss -Htln '( sport = :4317 or sport = :4318 )'").splitlines()
    assert {line.split()[3] for line in sockets} == {f"{TUNNEL}:4317", f"{TUNNEL}:4318"}
    assert host.check_output("ss -Htln sport = :13133").split()[3] == "127.0.0.1:13133"


@pytest.mark.hosts(VMS)
def test_ingest_memory_limiter_comes_from_the_host_sizing(host):
    project = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    # placement.yml's forge_host_sizing for this host: its groups' components, forge_host_resources 8192 MB / 4 cores
    sized = yaml.safe_load((project / "playbooks" / "vars" / "placement.yml").read_text())
    components = sizing.forge_components_for(_hv(host)["group_names"], sized["forge_sized_components"])
    plan = sizing.forge_sizing({"name": VMS, "ram_mb": 8192, "cores": 4, "disk_gb": 500}, components)
    config = yaml.safe_load(host.check_output("cat /etc/signoz-ingest/config.yaml"))
    limiter = config["processors"]["memory_limiter"]
    assert limiter == plan["ingest_memory_limiter"] and limiter["limit_mib"] > 0
    assert config["service"]["pipelines"]["traces"]["processors"][0] == "memory_limiter"


@pytest.mark.hosts(SENDER)
def test_agent_forwards_a_span_to_clickhouse_through_the_tunnel(host):
    # roles/otel_agent on dev-1: the core collector from Debian's sources, OTLP/HTTP on localhost
    assert host.service("otel-agent.service").is_running
    version = host.check_output("/opt/otelcol-debian/current/otelcol-debian --version")
    assert version.startswith("otelcol-debian version")
    span = f"mol-span-{uuid.uuid4().hex[:12]}"
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "mol-sender"}}]}
    one_span = {
        "traceId": uuid.uuid4().hex,
        "spanId": uuid.uuid4().hex[:16],
        "name": span,
        "kind": 1,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
    }
    trace = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [one_span]}]}]}
    r = host.run(
        "curl -s -m 5 -w '%{http_code}' -o /dev/null -H 'Content-Type: application/json' "
        f"--data '{json.dumps(trace)}' http://127.0.0.1:4318/v1/traces"
    )
    assert r.stdout == "200", r.stderr
    sql = (
        "SELECT concat(signal, ' ', peer) FROM signoz_traces.fixture_otlp_received "
        f"WHERE has(strings, '{span}') AND has(strings, 'mol-sender')"
    )
    # within the 30 s the issue allows (the batch processor's 1 s timeout, then the tunnel)
    row = _wait(lambda: _ch(host, sql), timeout=30)
    # protobuf from the agent's otlp_http exporter, authenticated with dev-1's otel-agent certificate (its CN)
    assert row == f"traces {SENDER}.mol.forge.test"


# ---- the agent through an outage of the ingest gateway, then of the tunnel: nothing lost ----------------------
# 60 s here (the suite's budget); FORGE_OUTAGE_SECONDS=300 gives the 5 minutes (docs/testing.md)
OUTAGE = int(os.environ.get("FORGE_OUTAGE_SECONDS", "60"))
RATE = 5  # per signal per second: spans, metric points, log records


def _received(host, rid):
    """Distinct items of this run that reached ClickHouse, per signal (the gateway fixture records every string)."""
    out = {}
    for signal, db in (("traces", "signoz_traces"), ("metrics", "signoz_metrics"), ("logs", "signoz_logs")):
        sql = (f"SELECT count(DISTINCT s) FROM {db}.fixture_otlp_received ARRAY JOIN strings AS s "
               f"WHERE s LIKE '{rid}-{signal}-%'")  # fmt: skip
        out[signal] = int(_ch(host, sql) or 0)
    return out


def _outage(host, cut):
    """The workload runs on dev-1 while ``cut`` (ingest: the gateway on vms-1 stopped; tunnel: dev-1's wg0 down) lasts
    OUTAGE seconds; afterwards every item the agent accepted is in ClickHouse."""
    vms = _vms(host)
    rid = f"mol{cut}{uuid.uuid4().hex[:8]}"
    seconds = OUTAGE + 30
    host.run_expect([0], f"systemd-run --unit=mol-workload-{rid} /usr/bin/python3 /usr/local/bin/otlp-workload "
                         f"{rid} {seconds} {RATE}")  # fmt: skip
    time.sleep(10)
    down, up = {
        "ingest": (lambda: vms.run_expect([0], "systemctl stop signoz-ingest"),
                   lambda: vms.run_expect([0], "systemctl start signoz-ingest")),
        "tunnel": (lambda: host.run_expect([0], "systemctl stop wg-quick@wg0"),
                   lambda: host.run_expect([0], "systemctl start wg-quick@wg0")),
    }[cut]  # fmt: skip
    down()
    try:
        time.sleep(5)
        during = _received(host, rid)
        time.sleep(OUTAGE - 5)
        # nothing arrived meanwhile while the workload kept sending: the outage was real
        assert _received(host, rid) == during
    finally:
        up()
    assert _wait(lambda: host.run(f"systemctl is-active mol-workload-{rid}").stdout.strip() != "active",
                 timeout=seconds + 30)  # fmt: skip
    result = host.run(f"systemctl show -p Result --value mol-workload-{rid}").stdout.strip()
    log = host.check_output(f"journalctl -u mol-workload-{rid} -o cat")
    host.run(f"systemctl reset-failed mol-workload-{rid}")
    assert result == "success", log
    # the workload's one JSON line (systemd's own lines come from the unit's journal too)
    sent = json.loads([line for line in log.splitlines() if line.startswith("{")][-1])
    assert all(sent[s] >= RATE * (seconds - 10) for s in sent), sent  # the agent accepted through the outage
    got = _wait(lambda: (r := _received(host, rid)) == sent and r, timeout=180, step=5) or _received(host, rid)
    assert got == sent, f"{cut} outage of {OUTAGE} s: sent {sent}, received {got}"


# (not parametrized: conftest.py reads the host from the test id's brackets)
@pytest.mark.disruptive
@pytest.mark.hosts(SENDER)
def test_agent_loses_nothing_while_the_ingest_gateway_is_down(host):
    _outage(host, "ingest")


@pytest.mark.disruptive
@pytest.mark.hosts(SENDER)
def test_agent_loses_nothing_while_the_tunnel_is_down(host):
    _outage(host, "tunnel")


# ---- ClickHouse outage: signoz recovers when it returns ------------------------------------------------------
@pytest.mark.disruptive
@pytest.mark.hosts(VMS)
def test_signoz_recovers_when_clickhouse_returns(host):
    # ClickHouse stops: signoz keeps running, health?live reports it, and recovers when it is back
    host.run("systemctl stop clickhouse-server")
    try:
        assert _wait(lambda: _health(host) == 503, timeout=30)
        assert host.service("signoz.service").is_running
    finally:
        host.run("systemctl start clickhouse-server")
    assert _wait(lambda: _health(host) == 200, timeout=120)
    # ClickHouse away for longer (masked, so signoz's Wants= cannot start it): a signoz restart fails and
    # systemd retries it (Restart=always, no start limit) until ClickHouse returns
    host.run("systemctl stop clickhouse-server && systemctl mask --runtime clickhouse-server")
    try:
        host.run("systemctl restart signoz.service")
        restarts = _wait(
            lambda: int(host.check_output("systemctl show -p NRestarts --value signoz.service")) > 0, timeout=40
        )
        assert restarts, host.check_output("systemctl status --no-pager signoz.service || true")
        assert _health(host) != 200
    finally:
        host.run("systemctl unmask --runtime clickhouse-server && systemctl start clickhouse-server")
    assert _wait(lambda: _health(host) == 200, timeout=120)
    assert host.service("signoz.service").is_running


# ---- upgrade flips current; a broken version is rolled back and the previous keeps running ------------------
def _site(signoz, collector, *extra):
    """site.yml for the SigNoz tier only (docs/signoz.md "Upgrades"), json results (molecule/shared/molplay.py)."""
    versions = ("-e", f"mol_signoz_version={signoz}", "-e", f"mol_collector_version={collector}")
    return run_playbook("site.yml", "--tags", "signoz,signoz_ingest", "--limit", VMS, *versions, *extra)


def _tasks(data):
    """{task name without the role prefix: vms-1's result}."""
    return {
        task["task"]["name"].split(" : ", 1)[-1]: task["hosts"][VMS]
        for play in data["plays"]
        for task in play["tasks"]
        if VMS in task["hosts"]
    }


@pytest.mark.disruptive
@pytest.mark.hosts(VMS)
def test_upgrade_flips_current(host):
    rc, data = _site(NEXT, COLLECTOR_NEXT)
    assert rc == 0, [n for n, res in _tasks(data).items() if res.get("failed")]
    assert host.file("/opt/signoz/current").linked_to == f"/opt/signoz/{NEXT}"
    assert host.file("/opt/signoz/previous").linked_to == f"/opt/signoz/{FIRST}"
    assert host.file("/opt/signoz-otel-collector/current").linked_to == f"/opt/signoz-otel-collector/{COLLECTOR_NEXT}"
    assert _api(host, "/api/v1/version")[1]["version"] == f"v{NEXT}"
    # the new collector's migration 4 ran before the gateway passed its sync check
    assert "4" in _ch(host, "SELECT groupArray(migration_id) FROM signoz_traces.schema_migrations_v2")
    assert host.service("signoz-ingest.service").is_running


def _rolled_back(data, units):
    """The run's record of roles/artifact's deploy on vms-1 when the new release failed: the health gate answered
    503, nothing was promoted, the rescue restarted ``units`` on the last known good release and it answered
    200 again; the failure message."""
    tasks = _tasks(data)
    gate = tasks["Wait until the health URL answers"]
    assert gate.get("failed") and gate.get("status") == 503, gate
    assert "Point current at the new version" not in tasks
    restarted = tasks["Restart on the last known good releases"]["results"]
    assert [i["item"]["name"] for i in restarted if i.get("changed")] == units
    assert tasks["Wait until the last known good releases answer again"].get("status") == 200
    failure = tasks["Fail the run"]
    assert failure.get("failed"), failure
    return failure["msg"]


@pytest.mark.disruptive
@pytest.mark.hosts(VMS)
def test_broken_version_is_rolled_back(host):
    # a short health gate (20 s instead of the role's 30 x 2 s): the broken release never turns healthy, so the
    # default would only wait longer before the same rollback; the good one answers well within it
    rc, data = _site(BROKEN, COLLECTOR_NEXT, *SHORT_GATE)
    assert rc != 0
    msg = _rolled_back(data, ["signoz-migrate.service", "signoz.service"])
    assert f"SigNoz {BROKEN}, {COLLECTOR_NEXT} on {VMS}" in msg, msg
    assert f"running the last known good {NEXT}, {COLLECTOR_NEXT} again" in msg, msg
    assert host.file("/opt/signoz/current").linked_to == f"/opt/signoz/{NEXT}"
    # the failed release is removed (never promoted), the good one and its previous stay
    assert not host.file(f"/opt/signoz/{BROKEN}").exists
    assert host.file(f"/opt/signoz/{FIRST}").is_directory
    assert f"/opt/signoz/{NEXT}/bin/signoz" in host.check_output("systemctl show -p ExecStart --value signoz")
    assert _health(host) == 200
    assert _api(host, "/api/v1/version")[1]["version"] == f"v{NEXT}"


@pytest.mark.disruptive
@pytest.mark.hosts(VMS)
def test_broken_collector_is_rolled_back_by_the_ingest_gateway(host):
    """signoz_ingest goes through the same deploy-and-gate path (roles/artifact tasks_from deploy) as signoz."""
    before = host.check_output("systemctl show -p MainPID --value signoz-ingest")
    rc, data = run_playbook(
        "site.yml", "--tags", "signoz_ingest", "--limit", VMS,
        "-e", f"mol_signoz_version={NEXT}", "-e", f"mol_collector_version={COLLECTOR_BROKEN}",
        "-e", "signoz_ingest_health_retries=5", "-e", "signoz_ingest_health_delay=2",
    )  # fmt: skip
    assert rc != 0
    msg = _rolled_back(data, ["signoz-ingest.service"])
    assert f"The ingest collector {COLLECTOR_BROKEN} on {VMS}" in msg, msg
    assert f"running the last known good {COLLECTOR_NEXT} again, the failed release removed" in msg, msg
    # back on the good release, which answers; the broken one is gone, current and previous stay
    collector = "/opt/signoz-otel-collector"
    assert host.file(f"{collector}/current").linked_to == f"{collector}/{COLLECTOR_NEXT}"
    assert host.file(f"{collector}/previous").linked_to == f"{collector}/{COLLECTOR_FIRST}"
    assert not host.file(f"{collector}/{COLLECTOR_BROKEN}").exists
    unit = host.check_output("systemctl show -p ExecStart --value signoz-ingest")
    assert f"{collector}/{COLLECTOR_NEXT}/bin/signoz-otel-collector" in unit
    assert host.check_output("systemctl show -p MainPID --value signoz-ingest") != before
    assert host.service("signoz-ingest.service").is_running


@pytest.mark.disruptive
@pytest.mark.hosts(VMS)
def test_rerun_on_the_good_version_changes_nothing(host):
    rc, data = _site(NEXT, COLLECTOR_NEXT)
    assert rc == 0
    assert data["stats"][VMS]["changed"] == 0, [n for n, res in _tasks(data).items() if res.get("changed")]


def _refusal(data):
    """The message of the role's failed compatibility check (the run stops there: nothing else failed)."""
    tasks = _tasks(data)
    failed = [name for name, res in tasks.items() if res.get("failed")]
    assert failed == ["Refuse an incompatible version set or upgrade path"], failed
    msg = tasks[failed[0]]["msg"]
    return " ".join(msg) if isinstance(msg, list) else msg


@pytest.mark.disruptive
@pytest.mark.hosts(VMS)
def test_preflight_refuses_an_incompatible_combination(host):
    # the substitute skip removed: ClickHouse 18.16 is below every SigNoz minimum
    rc, data = _site(NEXT, COLLECTOR_NEXT, "-e", '{"signoz_compat_skip": []}')
    assert rc != 0
    assert f"signoz {NEXT} needs clickhouse >= 25.5.6" in _refusal(data)
    # a downgrade below the running version is refused too
    rc, data = _site(FIRST, COLLECTOR_NEXT)
    assert rc != 0
    assert f"signoz {FIRST} is older than the installed {NEXT}" in _refusal(data)
    assert _health(host) == 200
