"""The SigNoz TEST FIXTURE obeys the upstream contract of the version it pretends to be (tests/contracts/signoz-*.yml):
it is run as a process on loopback (tests/signoz_fixture_runner.py), as nobody when the tests run as root."""

import subprocess

import pytest
import signoz_fixture_runner as fx


@pytest.fixture
def run(ch_port):
    started = []

    def _run(version, contract_edit=None, cwd=None, **env):
        base, home, data = fx.unpack_release(version, contract_edit)
        port = fx.free_port()
        full = fx.base_env(home, data, port, ch_port)
        full.update(env)
        full = {k: v for k, v in full.items() if v is not None}
        proc, rc = fx.start(home, full, str(cwd(base, home, data) if cwd else data))
        started.append((proc, base))
        return port, proc, rc

    yield _run
    for proc, base in started:
        fx.stop(proc)
        fx.cleanup(base)


def test_a_route_the_version_lacks_gets_upstreams_answer(run):
    port, _, rc = run("0.129.0-fixture")
    assert rc is None
    tok = fx.login(port)
    # v0.129.0: /api/v2/users is GET only; the web UI's catch-all answers the POST with index.html
    status, ctype, body = fx.call(port, "/api/v2/users", "POST", {"email": "a@x.org"}, tok)
    assert (status, ctype.split(";")[0]) == (200, "text/html") and "<html" in body.lower()
    assert fx.call(port, "/api/v1/invite", "POST", {"email": "a@x.org", "role": "VIEWER"}, tok)[0] == 201
    port, _, rc = run("0.138.0-fixture")
    tok = fx.login(port)
    # v0.138.0: /api/v1/invite is gone (SPA HTML, as upgrade-0-138 says), POST /api/v2/users invites
    status, ctype, _ = fx.call(port, "/api/v1/invite", "POST", {"email": "a@x.org", "role": "VIEWER"}, tok)
    assert (status, ctype.split(";")[0]) == (200, "text/html")
    assert fx.call(port, "/api/v2/users", "POST", {"email": "a@x.org"}, tok)[0] == 201


def test_without_the_web_ui_unknown_paths_are_404_and_wrong_methods_405(run):
    port, _, rc = run("0.129.0-fixture", SIGNOZ_WEB_ENABLED="false")
    assert rc is None
    tok = fx.login(port)
    assert fx.call(port, "/api/v2/users", "POST", {"email": "a@x.org"}, tok)[0] == 405
    assert fx.call(port, "/api/v1/no-such-route", token=tok)[0] == 404


def test_fields_enums_query_and_auth_follow_the_contract(run):
    port, _, _ = run("0.129.0-fixture")
    tok = fx.login(port)
    assert fx.call(port, "/api/v1/invite", "POST", {"email": "a@x.org", "role": "OWNER"}, tok)[0] == 400
    assert fx.call(port, "/api/v1/invite", "POST", {"role": "VIEWER"}, tok)[0] == 400
    assert fx.call(port, "/api/v1/invite", "POST", {"email": "a@x.org", "role": "VIEWER"})[0] == 401
    # unknown_fields: ignore in v0.129.0 (json.NewDecoder): an extra field is accepted
    assert fx.call(port, "/api/v1/invite", "POST", {"email": "b@x.org", "role": "VIEWER", "x": 1}, tok)[0] == 201
    assert fx.call(port, "/api/v1/settings/ttl?type=spans", token=tok)[0] == 400
    assert fx.call(port, "/api/v1/settings/ttl?type=logs", "POST", token=tok)[0] == 400  # duration missing


def test_an_unknown_field_is_refused_where_the_contract_says_reject(run):
    def reject(contract):
        for r in contract["routes"]:
            if r["path"] == "/api/v1/invite":
                r["body"]["unknown_fields"] = "reject"

    port, _, _ = run("0.129.0-fixture", contract_edit=reject)
    tok = fx.login(port)
    status, _, body = fx.call(port, "/api/v1/invite", "POST", {"email": "b@x.org", "role": "VIEWER", "x": 1}, tok)
    assert status == 400 and "unknown field" in body["error"]["message"]


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"SIGNOZ_USER_ROOT_EMAIL": None}, "SIGNOZ_USER_ROOT_EMAIL is required"),
        ({"SIGNOZ_USER_ROOT_PASSWORD": "alllowercase-1234"}, "does not meet password requirements"),
        ({"SIGNOZ_SQLSTORE_PROVIDER": "mysql"}, "SIGNOZ_SQLSTORE_PROVIDER='mysql' is not one of"),
    ],
)
def test_a_missing_or_invalid_setting_fails_the_start(run, env, why):
    _, proc, rc = run("0.138.0-fixture", **env)
    assert rc == 1
    assert why in proc.stdout.read()


def test_an_unwritable_active_query_tracker_path_panics_like_upstream(run):
    # no tracker path: queries.active goes to the working directory, here the read-only release directory
    _, proc, rc = run(
        "0.129.0-fixture", cwd=lambda base, home, data: home, SIGNOZ_PROMETHEUS_ACTIVE__QUERY__TRACKER_PATH=None
    )
    assert rc == 2
    assert "panic: Unable to create mmap-ed active query log" in proc.stdout.read()
    # the same with the tracker path in the data directory starts
    _, _, rc = run("0.129.0-fixture", cwd=lambda base, home, data: home)
    assert rc is None


def test_ttl_is_pending_then_applied_and_a_second_change_meanwhile_is_409(run):
    port, _, _ = run("0.138.0-fixture", SIGNOZ_FIXTURE_TTL_PENDING_SECONDS="30")
    tok = fx.login(port)
    assert fx.call(port, "/api/v1/settings/ttl?type=metrics", token=tok)[2]["metrics_ttl_duration_hrs"] == 720
    q = "/api/v1/settings/ttl?type=metrics&duration=4392h&coldStorage=cold&toColdDuration=720h"
    assert fx.call(port, q, "POST", token=tok)[0] == 200
    got = fx.call(port, "/api/v1/settings/ttl?type=metrics", token=tok)[2]
    assert got["status"] == "pending" and got["expected_metrics_ttl_duration_hrs"] == 4392
    status, _, body = fx.call(port, q, "POST", token=tok)
    assert status == 409 and body["error"] == "TTL is already running"
    bad = "/api/v1/settings/ttl?type=traces&duration=720h&coldStorage=cold&toColdDuration=720h"
    assert fx.call(port, bad, "POST", token=tok)[0] == 400  # move age must be below the delete age


def test_the_cli_takes_only_the_contracts_flags(tmp_path):
    base, home, _ = fx.unpack_release("0.138.0-fixture")
    try:
        out = subprocess.run(
            [fx.PYTHON, str(home / "bin" / "signoz"), "server", "--no-such-flag"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 1 and "unknown flag" in out.stderr
        out = subprocess.run(
            [fx.PYTHON, str(home / "bin" / "signoz"), "migrate"], capture_output=True, text=True, check=False
        )
        assert out.returncode == 1 and 'unknown command "migrate"' in out.stderr
    finally:
        fx.cleanup(base)
