"""roles/signoz against the SigNoz TEST FIXTURE of each pinned version, through the real ansible-playbook.

The fixture obeys tests/contracts/signoz-<version>.yml (what upstream serves and refuses at that tag), so these
prove the role's API calls and its rendered env/unit against upstream's contract, not against a real SigNoz.
"""

import json
import re
import sys

import pytest
import signoz_fixture_runner as fx
from runner import ROOT, production_with_cold_volume, run_ansible

PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "signoz_api.yml"
TRACKER = "SIGNOZ_PROMETHEUS_ACTIVE__QUERY__TRACKER_PATH"
USERS = [
    {"email": "alice@example.org", "name": "Alice", "role": "admin"},
    {"email": "bob@example.org", "name": "Bob", "role": "viewer"},
]
# a forge_retention plan: compliance logs, trading traces/metrics, a cold volume after 30 days
PLAN = {
    "signals": {
        "traces": {"ttl_days": 183, "move_to_cold_days": 30},
        "metrics": {"ttl_days": 183, "move_to_cold_days": 30},
        "logs": {"ttl_days": 365, "move_to_cold_days": 30},
    }
}


@pytest.fixture
def signoz(ch_port):
    started = []

    def _start(version, data_dir=None, **env):
        base, home, data = fx.unpack_release(version)
        data = data_dir or data  # an upgrade starts the next release on the same metastore
        port = fx.free_port()
        proc, rc = fx.start(home, {**fx.base_env(home, data, port, ch_port), **env}, str(data))
        started.append((proc, base))
        assert rc is None, proc.stdout.read()
        proc.forge_data_dir = data
        return port, proc

    yield _start
    for proc, base in started:
        fx.stop(proc)
        fx.cleanup(base)


def _play(port, version, **extra):
    variables = {
        "ansible_python_interpreter": sys.executable,
        "forge_domain": "example.org",
        "__signoz_api": f"http://127.0.0.1:{port}",
        "signoz_manifest": {"signoz": {"version": version}},
        "signoz_root_email": fx.ROOT_EMAIL,
        "signoz_root_password": fx.ROOT_PASSWORD,
        "signoz_users": USERS,
        "signoz_retention_plan": {},
        **extra,
    }
    rc, out = run_ansible("ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(variables))
    m = re.search(r"localhost\s*: ok=\d+\s+changed=(\d+)", out)
    return rc, out, int(m.group(1)) if m else None


@pytest.mark.parametrize("version", ["0.129.0-fixture", "0.138.0-fixture"])
def test_invites_use_the_route_of_the_deployed_version_once(signoz, version):
    port, _ = signoz(version)
    rc, out, changed = _play(port, version)
    assert rc == 0, out
    assert changed == 1, out  # one invite task ran (two users)
    tok = fx.login(port)
    users = {u["email"]: u for u in fx.call(port, "/api/v2/users", token=tok)[2]["data"]}
    for u in USERS:
        assert users[u["email"]]["status"] == "pending_invite"
        roles = fx.call(port, f"/api/v2/users/{users[u['email']]['id']}/roles", token=tok)[2]["data"]
        assert [r["name"] for r in roles] == [f"signoz-{u['role']}"]
    assert fx.ROOT_PASSWORD not in out and "accessToken" not in out
    rc, out, changed = _play(port, version)  # the pending invites count as users: nothing to do
    assert rc == 0 and changed == 0, out


@pytest.mark.parametrize("version", ["0.129.0-fixture", "0.138.0-fixture"])
def test_the_retention_plan_is_applied_once_per_signal(signoz, version):
    port, _ = signoz(version, SIGNOZ_FIXTURE_TTL_PENDING_SECONDS="0")
    rc, out, changed = _play(port, version, signoz_users=[], signoz_retention_plan=PLAN)
    assert rc == 0, out
    assert changed == 1, out
    tok = fx.login(port)
    for sig, want in (("traces", 183), ("metrics", 183), ("logs", 365)):
        got = fx.call(port, f"/api/v1/settings/ttl?type={sig}", token=tok)[2]
        assert got[f"{sig}_ttl_duration_hrs"] == want * 24, got
        assert got[f"{sig}_move_ttl_duration_hrs"] == 30 * 24, got
    rc, out, changed = _play(port, version, signoz_users=[], signoz_retention_plan=PLAN)
    assert rc == 0 and changed == 0, out


def test_a_pending_retention_change_is_left_for_the_next_run(signoz):
    port, _ = signoz("0.138.0-fixture", SIGNOZ_FIXTURE_TTL_PENDING_SECONDS="60")
    tok = fx.login(port)
    assert fx.call(port, "/api/v1/settings/ttl?type=logs&duration=48h", "POST", token=tok)[0] == 200
    rc, out, _ = _play(port, "0.138.0-fixture", signoz_users=[], signoz_retention_plan=PLAN)
    assert rc == 0, out
    assert "still applying an earlier retention change to logs" in out
    assert fx.call(port, "/api/v1/settings/ttl?type=logs", token=tok)[2]["expected_logs_ttl_duration_hrs"] == 48


def test_the_rendered_unit_starts_the_fixture_in_a_read_only_release(ch_port, tmp_path):
    """The unit's working directory and the env's tracker path, as rendered, with the release read-only."""
    base, home, data = fx.unpack_release("0.129.0-fixture")
    try:
        out = tmp_path / "units"
        out.mkdir()
        variables = {
            "ansible_python_interpreter": sys.executable,
            "forge_domain": "example.org",
            "forge_test_units_out": str(out),
            "forge_test_home": str(home),
            "signoz_data_dir": str(data),
            "signoz_sqlite_path": str(data / "signoz.db"),
        }
        rc, output = run_ansible("ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(variables))
        assert rc == 0, output
        unit = (out / "signoz.service").read_text()
        env = dict(ln.split("=", 1) for ln in (out / "signoz.env").read_text().splitlines() if "=" in ln)
        cwd = re.search(r"^WorkingDirectory=(.*)$", unit, re.M).group(1)
        port = fx.free_port()
        # the fixture's test settings, less the tracker path, then the rendered env (its secrets are test values)
        run_env = {k: v for k, v in fx.base_env(home, data, port, ch_port).items() if k != TRACKER}
        run_env.update(env, SIGNOZ_USER_ROOT_PASSWORD=fx.ROOT_PASSWORD, SIGNOZ_FIXTURE_HTTP_PORT=str(port))
        run_env["SIGNOZ_TELEMETRYSTORE_CLICKHOUSE_DSN"] = "tcp://127.0.0.1:9000"
        proc, rc = fx.start(home, run_env, cwd)
        try:
            assert rc is None, proc.stdout.read()
        finally:
            fx.stop(proc)
    finally:
        fx.cleanup(base)


PREFLIGHT = ROOT / "playbooks" / "preflight.yml"


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Root-Passw0rd!x", True),
        ("abcdefghijkl", False),  # 12 characters, the old check's only rule
        ("Abcdefghijk1", False),  # no symbol
        ("Abcdefghij!1 ", False),  # a space is neither letter, number nor upstream's symbol
        ("Abcdefgh;ij1", False),  # ';' is not in upstream's symbol set
        ("Abc!1", False),  # too short
    ],
)
def test_preflight_applies_upstreams_root_password_policy(password, ok, tmp_path):
    """The controller's preflight (forge_monitoring/checks/secrets.py), on the production example with its vault's
    root password replaced, before any host is touched."""
    inv = production_with_cold_volume(tmp_path)
    (inv / "group_vars" / "all" / "zz-root.yml").write_text(json.dumps({"vault_signoz_root_password": password}))
    rc, out = run_ansible("ansible-playbook", "-i", inv, PREFLIGHT)
    assert (rc == 0) == ok, out
    if not ok:
        assert "vault_signoz_root_password (read by roles/signoz as signoz_root_password): it " in out
        assert "(SigNoz's password policy)" in " ".join(out.split()).replace("''", "'")
        assert password not in out


def test_upgrade_from_the_old_pin_to_the_new_keeps_users_and_retention(signoz):
    """The old pin (0.129.0) then the new one (0.138.0) on the same metastore, each fixture obeying its own
    contract: the role invites through v1 on the old release, and after the upgrade its calls (v2 users, the same
    TTL routes) find everything in place, so the rerun changes nothing. The stops between them (0.131.0, 0.135.0)
    are refused by the compatibility check (tests/unit/test_filter_signoz_compat.py); no fixture stands in for them.
    """
    port, proc = signoz("0.129.0-fixture", SIGNOZ_FIXTURE_TTL_PENDING_SECONDS="0")
    rc, out, changed = _play(port, "0.129.0-fixture", signoz_retention_plan=PLAN)
    assert rc == 0 and changed == 2, out  # the v1 invites and the retention plan
    fx.stop(proc)
    port, _ = signoz("0.138.0-fixture", data_dir=proc.forge_data_dir, SIGNOZ_FIXTURE_TTL_PENDING_SECONDS="0")
    tok = fx.login(port)
    users = {u["email"]: u for u in fx.call(port, "/api/v2/users", token=tok)[2]["data"]}
    assert {u["email"] for u in USERS} <= set(users), users
    for u in USERS:
        roles = fx.call(port, f"/api/v2/users/{users[u['email']]['id']}/roles", token=tok)[2]["data"]
        assert [r["name"] for r in roles] == [f"signoz-{u['role']}"]
    rc, out, changed = _play(port, "0.138.0-fixture", signoz_retention_plan=PLAN)
    assert rc == 0 and changed == 0, out
