"""Host checks of the signoz scenario (molecule verify, testinfra).

What they prove against the FIXTURE releases, and what they cannot: docs/testing.md ("SigNoz tier").
Tests run in file order; the last ones change state (ClickHouse outage, upgrade, rollback).
"""

import importlib.util
import json
import os
import re
import subprocess
import time
import uuid

import pytest
import yaml

ROOT_EMAIL = "admin@mol.forge.test"
ROOT_PW = "mol-root-pw-0123456789"
CH_USER, CH_PW = "signoz", "mol-signoz-Password-1"  # roles/clickhouse's signoz user
VMS = "fm-sig-vms-1"
DEV = "fm-sig-dev-1"
PRIVATE = "10.219.10.11"
WAN = "10.219.0.11"


def _only(host, name):
    if host.backend.get_hostname() != name:
        pytest.skip(f"runs on {name}")


def _api(host, path, token=None, method="GET", body=None):
    cmd = f"curl -s -m 10 -X {method} -w '\\n%{{http_code}}' http://127.0.0.1:8080{path}"
    if token:
        cmd += f" -H 'Authorization: Bearer {token}'"
    if body is not None:
        cmd += f" -H 'Content-Type: application/json' --data '{json.dumps(body)}'"
    out = host.run(cmd).stdout.rsplit("\n", 1)
    return int(out[1] or 0), (json.loads(out[0]) if out[0].strip() else None)


def _ch(host, sql):
    r = host.run(f'clickhouse-client --host {PRIVATE} --user {CH_USER} --password {CH_PW} -q "{sql}"')
    assert r.rc == 0, r.stderr
    return r.stdout.strip()


def _wait(fn, timeout=90, step=2):
    end = time.time() + timeout
    while True:
        value = fn()
        if value or time.time() > end:
            return value
        time.sleep(step)


def _login(host):
    code, ctx = _api(host, f"/api/v2/sessions/context?email={ROOT_EMAIL}&ref=http://x")
    assert code == 200 and ctx["data"]["exists"]
    org = ctx["data"]["orgs"][0]["id"]
    code, tok = _api(
        host,
        "/api/v2/sessions/email_password",
        method="POST",
        body={"email": ROOT_EMAIL, "password": ROOT_PW, "orgId": org},
    )
    assert code == 200, tok
    return tok["data"]["accessToken"]


def _health(host):
    return _api(host, "/api/v1/health?live")[0]


# ---- install, layout, service user, env file ---------------------------------------------------------------
def test_release_layout_kept_together(host):
    _only(host, VMS)
    cur = host.file("/opt/signoz/current")
    assert cur.is_symlink and cur.linked_to == "/opt/signoz/0.128.0-fixture"
    for sub in ("bin/signoz", "web/index.html", "templates/email/invitation.gotmpl", "conf/example.yaml"):
        assert host.file(f"/opt/signoz/current/{sub}").exists, sub
    assert host.file("/opt/signoz-otel-collector/current").linked_to == "/opt/signoz-otel-collector/0.144.5-fixture"


def test_service_user_and_env_file(host):
    _only(host, VMS)
    user = host.user("signoz")
    assert user.shell == "/usr/sbin/nologin" and user.uid < 1000
    env = host.file("/etc/signoz/signoz.env")
    assert (env.user, env.group, env.mode) == ("root", "signoz", 0o640)
    text = env.content_string
    for line in (
        "SIGNOZ_SQLSTORE_SQLITE_PATH=/var/lib/signoz/signoz.db",
        "SIGNOZ_STATSREPORTER_ENABLED=false",
        "SIGNOZ_PPROF_ENABLED=false",
        "SIGNOZ_PPROF_ADDRESS=127.0.0.1:6060",
        "SIGNOZ_ANALYTICS_ENABLED=false",
        "SIGNOZ_TOKENIZER_JWT_SECRET=mol-jwt-secret-0123456789abcdef0123456789",
        # roles/clickhouse's signoz user, on the node's private address (ClickHouse listens nowhere else)
        f"SIGNOZ_TELEMETRYSTORE_CLICKHOUSE_DSN=tcp://{PRIVATE}:9000?username={CH_USER}&password={CH_PW}",
    ):
        assert line in text, line
    unit = host.file("/etc/systemd/system/signoz.service").content_string
    assert "SIGNOZ_WEB_DIRECTORY=/opt/signoz/0.128.0-fixture/web" in unit
    # the vault values appear in no unit, command line or journal line
    units = host.check_output("cat /etc/systemd/system/signoz*.service")
    procs = host.check_output("ps -eo args")
    journal = host.check_output("journalctl --no-pager -o cat -u 'signoz*'")
    for secret in (CH_PW, ROOT_PW, "mol-jwt-secret"):
        assert secret not in units and secret not in procs and secret not in journal, secret


def test_sqlite_metastore_is_used(host):
    _only(host, VMS)
    db = host.file("/var/lib/signoz/signoz.db")
    assert db.exists and db.user == "signoz"


# ---- start order, migrations, health -----------------------------------------------------------------------
def test_start_order(host):
    _only(host, VMS)
    after = host.check_output("systemctl show -p After --value signoz.service").split()
    assert "signoz-migrate.service" in after and "clickhouse-server.service" in after
    m_after = host.check_output("systemctl show -p After --value signoz-migrate.service").split()
    assert "clickhouse-server.service" in m_after and "zookeeper.service" in m_after
    i_after = host.check_output("systemctl show -p After --value signoz-ingest.service").split()
    assert "signoz-migrate.service" in i_after
    assert host.check_output("systemctl show -p Type --value signoz-migrate.service") == "oneshot"
    # the migrator really finished before signoz started
    t = {
        u: int(host.check_output(f"systemctl show -p {p} --value {u} | xargs -I{{}} date -d {{}} +%s%N"))
        for u, p in (("signoz-migrate.service", "ExecMainExitTimestamp"), ("signoz.service", "ExecMainStartTimestamp"))
    }
    assert t["signoz-migrate.service"] <= t["signoz.service"]
    for unit in ("signoz-migrate.service", "signoz.service", "signoz-ingest.service"):
        assert host.service(unit).is_enabled


def test_migrations_recorded_in_clickhouse(host):
    _only(host, VMS)
    for db in ("signoz_traces", "signoz_logs", "signoz_metrics", "signoz_metadata"):
        ids = _ch(
            host,
            f"SELECT arraySort(groupUniqArray(migration_id)) FROM {db}.schema_migrations_v2 WHERE status = 'finished'",
        )
        assert ids == "[1,2,3]", (db, ids)


def test_signoz_user_is_confined_to_its_databases(host):
    _only(host, VMS)
    # roles/clickhouse's signoz user: all rights in the signoz_* databases (the migrator created them above),
    # none elsewhere (clickhouse_signoz_databases -> allow_databases)
    r = host.run(
        f"clickhouse-client --host {PRIVATE} --user {CH_USER} --password {CH_PW} "
        '-q "CREATE TABLE default.fixture_denied (n UInt8) ENGINE = Memory"'
    )
    assert r.rc != 0, r.stdout
    assert "Code: 291" in r.stderr or "ccess denied" in r.stderr, r.stderr  # DATABASE_ACCESS_DENIED, not a failure
    assert _ch(host, "SELECT count() FROM system.tables WHERE database = 'default' AND name = 'fixture_denied'") == "0"


def test_health_and_version(host):
    _only(host, VMS)
    code, body = _api(host, "/api/v1/health?live")
    assert code == 200 and body == {"status": "ok"}
    assert _api(host, "/api/v1/version")[1]["version"] == "v0.128.0-fixture"


def test_hardening_score(host):
    _only(host, VMS)
    for unit in ("signoz.service", "signoz-migrate.service", "signoz-ingest.service"):
        out = host.check_output(f"systemd-analyze security --no-pager {unit} | tail -1")
        m = re.search(r"exposure level for \S+: ([0-9.]+) (\w+)", out)
        assert m, out
        print(f"systemd-analyze security {unit}: {m.group(1)} {m.group(2)}")
        assert float(m.group(1)) <= 2.5, out


# ---- API bootstrap: root admin without interaction, invites with roles -------------------------------------
def test_root_admin_and_invites(host):
    _only(host, VMS)
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


# ---- ingest gateway: private address only, mTLS, the real otelcol as the sender -----------------------------
def test_ingest_listens_on_private_address_only(host):
    _only(host, VMS)
    listening = sorted(
        line.split()[3] for line in host.check_output("ss -Htln '( sport = :4317 or sport = :4318 )'").splitlines()
    )
    assert listening == [f"{PRIVATE}:4317", f"{PRIVATE}:4318"]
    assert host.check_output("ss -Htln sport = :13133").split()[3] == "127.0.0.1:13133"


def test_ingest_memory_limiter_comes_from_the_host_sizing(host):
    _only(host, VMS)
    path = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "filter_plugins", "sizing.py")
    spec = importlib.util.spec_from_file_location("forge_sizing_plugin", path)
    sizing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sizing)
    # this host in the scenario: forge_host_resources 8192 MB / 4 cores / 500 GB; groups clickhouse, zookeeper,
    # signoz, ingest
    plan = sizing.forge_sizing(
        {"name": "fm-sig-vms-1", "ram_mb": 8192, "cores": 4, "disk_gb": 500},
        ["clickhouse", "zookeeper", "signoz", "alertmanager", "ingest"],
    )
    config = yaml.safe_load(host.check_output("cat /etc/signoz-ingest/config.yaml"))
    assert config["processors"]["memory_limiter"] == plan["ingest_memory_limiter"]


def test_ingest_refuses_clients_without_a_valid_certificate(host):
    _only(host, DEV)
    base = (
        "curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert /etc/otelcol-mol/ca.crt -X POST "
        "-H 'Content-Type: application/json' --data '{}'"
    )
    assert host.run(f"{base} https://{PRIVATE}:4318/v1/traces").stdout in ("000", "")
    rogue = host.run(
        f"{base} --cert /etc/otelcol-mol/rogue.crt --key /etc/otelcol-mol/rogue.key https://{PRIVATE}:4318/v1/traces"
    )
    assert rogue.stdout in ("000", "")
    ok = host.run(
        f"{base} --cert /etc/otelcol-mol/client.crt --key /etc/otelcol-mol/client.key https://{PRIVATE}:4318/v1/traces"
    )
    assert ok.stdout == "200"
    # the gRPC endpoint also requires the client certificate (TLS handshake only: see docs/testing.md)
    assert (
        host.run(
            f"openssl s_client -connect {PRIVATE}:4317 -CAfile /etc/otelcol-mol/ca.crt "
            "-cert /etc/otelcol-mol/client.crt -key /etc/otelcol-mol/client.key </dev/null"
        ).rc
        == 0
    )
    # nothing answers on the WAN address
    assert host.run(f"curl -s -m 5 -k https://{WAN}:4318/").rc != 0


def test_real_otelcol_sender_reaches_clickhouse(host):
    _only(host, DEV)
    span = f"mol-span-{uuid.uuid4().hex[:12]}"
    trace = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "mol-sender"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": uuid.uuid4().hex,
                                "spanId": uuid.uuid4().hex[:16],
                                "name": span,
                                "kind": 1,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000001000000000",
                            }
                        ]
                    }
                ],
            }
        ]
    }
    assert host.check_output("/usr/local/bin/otelcol-debian --version").startswith("otelcol-debian version")
    r = host.run(
        f"curl -s -m 5 -w '%{{http_code}}' -o /dev/null -H 'Content-Type: application/json' "
        f"--data '{json.dumps(trace)}' http://127.0.0.1:4318/v1/traces"
    )
    assert r.stdout == "200", r.stderr
    vms = host.get_host(f"ansible://{VMS}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])
    sql = (
        f"SELECT concat(signal, ' ', peer) FROM signoz_traces.fixture_otlp_received WHERE has(strings, '{span}') "
        "AND has(strings, 'mol-sender')"
    )
    row = _wait(lambda: _ch(vms, sql), timeout=60)
    # protobuf from otelcol's otlphttp exporter, authenticated with dev-1's client certificate
    assert row == "traces dev-1"


# ---- ClickHouse outage: signoz recovers when it returns ------------------------------------------------------
def test_signoz_recovers_when_clickhouse_returns(host):
    _only(host, VMS)
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
def _converge(*extra, as_json=False):
    pb = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "upgrade.yml")
    # the inventory directory: groups are in its `hosts` file, connection settings in ansible_inventory.yml
    cmd = ["ansible-playbook", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]), pb, *extra]
    env = dict(os.environ)
    if as_json:
        # machine-readable results per task and host: ansible-core 2.19 prints a failed task's message on
        # stderr, and the screen callbacks wrap it; only the json callback (profile_tasks off) on stdout
        env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json")
    return subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)


def _task_results(stdout, host):
    """{task name without the role prefix: this host's result} from the json callback's output."""
    assert "{" in stdout, "no json output from ansible-playbook"
    data = json.loads(stdout[stdout.index("{") :])
    return {
        task["task"]["name"].split(" : ", 1)[-1]: task["hosts"][host]
        for play in data["plays"]
        for task in play["tasks"]
        if host in task["hosts"]
    }


def test_upgrade_flips_current(host):
    _only(host, VMS)
    r = _converge("-e", "mol_signoz_version=0.129.0-fixture", "-e", "mol_collector_version=0.144.7-fixture")
    assert r.returncode == 0, r.stdout[-3000:]
    assert host.file("/opt/signoz/current").linked_to == "/opt/signoz/0.129.0-fixture"
    assert host.file("/opt/signoz/previous").linked_to == "/opt/signoz/0.128.0-fixture"
    assert host.file("/opt/signoz-otel-collector/current").linked_to == "/opt/signoz-otel-collector/0.144.7-fixture"
    assert _api(host, "/api/v1/version")[1]["version"] == "v0.129.0-fixture"
    # the new collector's migration 4 ran before the gateway passed its sync check
    assert "4" in _ch(host, "SELECT groupArray(migration_id) FROM signoz_traces.schema_migrations_v2")
    assert host.service("signoz-ingest.service").is_running


def test_broken_version_is_rolled_back(host):
    _only(host, VMS)
    r = _converge(
        "-e", "mol_signoz_version=0.129.1-fixture-broken", "-e", "mol_collector_version=0.144.7-fixture", as_json=True
    )
    assert r.returncode != 0
    tasks = _task_results(r.stdout, VMS)
    # the broken version started and failed its health gate (its /api/v1/health answers 503) ...
    gate = tasks["Wait until SigNoz answers on /api/v1/health?live (ClickHouse reachable too)"]
    assert gate.get("failed") and gate.get("status") == 503, gate
    assert "Promote SigNoz to current" not in tasks
    # ... so the rescue put the units back on the last known good version, restarted them, and it answered
    restarted = tasks["Restart on the last known good versions"]["results"]
    assert [i["item"] for i in restarted if i.get("changed")] == ["signoz-migrate.service", "signoz.service"]
    assert tasks["Wait until the last known good SigNoz answers again"].get("status") == 200
    failure = tasks["Fail the run"]
    assert failure.get("failed"), failure
    assert "SigNoz 0.129.1-fixture-broken" in failure["msg"], failure["msg"]
    assert "running the last known good 0.129.0-fixture again" in failure["msg"], failure["msg"]
    assert host.file("/opt/signoz/current").linked_to == "/opt/signoz/0.129.0-fixture"
    # the failed release is removed (never promoted), the good one and its previous stay
    assert not host.file("/opt/signoz/0.129.1-fixture-broken").exists
    assert host.file("/opt/signoz/0.128.0-fixture").is_directory
    assert "/opt/signoz/0.129.0-fixture/bin/signoz" in host.check_output("systemctl show -p ExecStart --value signoz")
    assert _health(host) == 200
    assert _api(host, "/api/v1/version")[1]["version"] == "v0.129.0-fixture"


def test_rerun_on_the_good_version_changes_nothing(host):
    _only(host, VMS)
    r = _converge(
        "-e", "mol_signoz_version=0.129.0-fixture", "-e", "mol_collector_version=0.144.7-fixture", as_json=True
    )
    assert r.returncode == 0, r.stderr[-3000:]
    data = json.loads(r.stdout[r.stdout.index("{") :])
    assert data["stats"][VMS]["changed"] == 0, [
        n for n, res in _task_results(r.stdout, VMS).items() if res.get("changed")
    ]


def _refusal(stdout):
    """The message of the role's failed compatibility check (the run stops there: nothing else failed)."""
    tasks = _task_results(stdout, VMS)
    failed = [name for name, res in tasks.items() if res.get("failed")]
    assert failed == ["Refuse an incompatible version set or upgrade path"], failed
    msg = tasks[failed[0]]["msg"]
    return " ".join(msg) if isinstance(msg, list) else msg


def test_preflight_refuses_an_incompatible_combination(host):
    _only(host, VMS)
    # the substitute skip removed: ClickHouse 18.16 is below every SigNoz minimum
    r = _converge(
        "-e",
        "mol_signoz_version=0.129.0-fixture",
        "-e",
        "mol_collector_version=0.144.7-fixture",
        "-e",
        '{"signoz_compat_skip": []}',
        as_json=True,
    )
    assert r.returncode != 0
    assert "signoz 0.129.0-fixture needs clickhouse >= 25.5.6" in _refusal(r.stdout)
    # a downgrade below the running version is refused too
    r = _converge(
        "-e", "mol_signoz_version=0.128.0-fixture", "-e", "mol_collector_version=0.144.7-fixture", as_json=True
    )
    assert r.returncode != 0
    assert "signoz 0.128.0-fixture is older than the installed 0.129.0-fixture" in _refusal(r.stdout)
    assert _health(host) == 200
