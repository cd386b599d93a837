"""signoz_compat_problems: upgrade stops and minimum versions (forge_monitoring/signoz_compat.py)."""

import pytest
import yaml
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.signoz_compat import (
    signoz_compat_inventory_problems,
    signoz_compat_problems,
    signoz_invite_api,
    signoz_password_problems,
    signoz_ttl_requests,
    signoz_ttl_todo,
    signoz_version_tuple,
)

COMPAT = {
    "signoz_upgrade_stops": ["0.94.0", "0.131.0", "0.135.0"],
    "signoz_min_clickhouse": [{"from": "0.94.0", "clickhouse": "25.5.6"}, {"from": "0.131.0", "clickhouse": "25.12.5"}],
    "collector_min_clickhouse": [{"from": "0.144.6", "clickhouse": "25.12.5"}],
    "signoz_min_collector": [{"from": "0.143.0", "collector": "0.144.11"}],
}


def v(signoz="0.129.0", collector="0.144.5", clickhouse="25.5.6"):
    return {"signoz": signoz, "collector": collector, "clickhouse": clickhouse}


def fv(signoz="0.129.0", collector="0.144.5", clickhouse="25.5.6"):
    return {
        "artifacts": {"signoz": {"version": signoz}, "signoz-otel-collector": {"version": collector}},
        "apt": {"clickhouse-server": clickhouse},
        "compatibility": COMPAT,
    }


def test_inventory_pins_compatible_on_every_signoz_host():
    groups = {"signoz": ["a", "b"], "ingest": ["c"]}
    assert signoz_compat_inventory_problems({"a": {}, "b": {}, "c": {}}, groups, fv()) == []


def test_inventory_refuses_a_host_whose_clickhouse_is_too_old():
    hv = {"a": {}, "b": {"clickhouse_version": "24.8.1"}}
    out = signoz_compat_inventory_problems(hv, {"signoz": ["a", "b"], "clickhouse": ["a", "b"]}, fv())
    assert out == [
        "b: signoz 0.129.0 needs clickhouse >= 25.5.6 (from signoz 0.94.0 on); the manifest has clickhouse 24.8.1"
    ]


def test_inventory_refuses_incompatible_pins():
    out = signoz_compat_inventory_problems({"a": {}}, {"signoz": ["a"]}, fv(signoz="0.143.0", clickhouse="25.12.5"))
    assert out == [
        "a: signoz 0.143.0 needs collector >= 0.144.11 (from signoz 0.143.0 on); the manifest has collector 0.144.5"
    ]


def test_inventory_substituted_clickhouse_skips_its_minimums_only():
    sub = {"clickhouse": {"kind": "substitute"}}
    hv = {"a": {"forge_env": "lab", "clickhouse_version": "18.16.1", "forge_substitutes": sub}}
    groups = {"signoz": ["a"], "clickhouse": ["a"]}
    assert signoz_compat_inventory_problems(hv, groups, fv()) == []
    out = signoz_compat_inventory_problems(hv, groups, fv(signoz="0.143.0"))
    assert [p.split(" needs ")[1].split(" ")[0] for p in out] == ["collector"]


@pytest.mark.parametrize("env", ["production", None, "staging"])
def test_a_declared_substitute_skips_nothing_outside_the_lab(env):
    hv = {
        "a": {
            "forge_env": env,
            "clickhouse_version": "18.16.1",
            "forge_substitutes": {"clickhouse": {"kind": "substitute"}},
        }
    }
    out = signoz_compat_inventory_problems(hv, {"signoz": ["a"], "clickhouse": ["a"]}, fv())
    assert out == [
        "a: signoz 0.129.0 needs clickhouse >= 25.5.6 (from signoz 0.94.0 on); the manifest has clickhouse 18.16.1"
    ]


def test_inventory_without_signoz_hosts_has_nothing_to_check():
    assert signoz_compat_inventory_problems({}, {"all": []}, fv(clickhouse="1.0.0")) == []


@pytest.mark.parametrize("bad", [None, {}, {"artifacts": []}])
def test_inventory_invalid_manifest(bad):
    with pytest.raises(FilterError, match="signoz_compat_inventory_problems"):
        signoz_compat_inventory_problems({}, {"signoz": []}, bad)


def test_inventory_without_signoz_pins_leaves_it_to_the_role():
    pins = {
        "artifacts": {"signoz": {"version": "0.129.0"}},
        "apt": {"clickhouse-server": "1.0.0"},
        "compatibility": COMPAT,
    }
    assert signoz_compat_inventory_problems({"a": {}}, {"signoz": ["a"]}, pins) == []


def test_inventory_without_a_clickhouse_version():
    pins = fv()
    del pins["apt"]
    assert signoz_compat_inventory_problems({"a": {}}, {"signoz": ["a"]}, pins) == [
        "a: no ClickHouse version (forge_versions.apt['clickhouse-server'] or clickhouse_version)"
    ]


def test_the_pinned_manifest_is_compatible():
    with open(ROOT / "versions.yml") as f:
        fv = yaml.safe_load(f)["forge_versions"]
    versions = {
        "signoz": fv["artifacts"]["signoz"]["version"],
        "collector": fv["artifacts"]["signoz-otel-collector"]["version"],
        "clickhouse": fv["apt"]["clickhouse-server"],
    }
    assert signoz_compat_problems(versions, fv["compatibility"]) == []


def test_the_pinned_collector_has_a_contract_and_its_clickhouse_minimum_is_met():
    """The collector pin (v0.144.7) is >= 0.144.6, so collector_min_clickhouse applies and the one ClickHouse pin
    must meet it; the pin has its upstream contract (tests/contracts)."""
    with open(ROOT / "versions.yml") as f:
        fv = yaml.safe_load(f)["forge_versions"]
    collector = fv["artifacts"]["signoz-otel-collector"]["version"]
    assert (ROOT / "tests" / "contracts" / f"signoz-otel-collector-{collector}.yml").is_file()
    rules = [r for r in fv["compatibility"]["collector_min_clickhouse"] if r["from"] == "0.144.6"]
    assert rules and signoz_version_tuple(collector) >= signoz_version_tuple(rules[0]["from"])
    low = {"signoz": "0.129.0", "collector": collector, "clickhouse": "25.5.6.14"}
    assert any(f"collector {collector} needs clickhouse >= 25.12.5" in p for p in signoz_compat_problems(low, COMPAT))


def test_versions_yml_pins_clickhouse_once():
    """One fact, one place: the installed package's version (apt clickhouse-server) is the one checked."""
    with open(ROOT / "versions.yml") as f:
        fv = yaml.safe_load(f)["forge_versions"]
    assert "clickhouse" not in fv, "forge_versions.clickhouse duplicates forge_versions.apt['clickhouse-server']"
    ch = fv["apt"]["clickhouse-server"]
    hosts = {"a": {}}
    assert signoz_compat_inventory_problems(hosts, {"signoz": ["a"]}, fv) == []
    # the inventory check reads the apt pin: an older package is refused, by its major.minor.patch
    old = {**fv, "apt": {**fv["apt"], "clickhouse-server": "24.8.1.5"}}
    assert any(
        "the manifest has clickhouse 24.8.1.5" in p
        for p in signoz_compat_inventory_problems(hosts, {"signoz": ["a"]}, old)
    )
    # and SigNoz's own view is the ClickHouse host's package pin, never a second variable (issue 16)
    signoz_vars = yaml.safe_load((ROOT / "roles" / "signoz" / "vars" / "main.yml").read_text())
    assert "clickhouse_version" in signoz_vars["__signoz_clickhouse_version"], ch
    assert "forge_versions.apt['clickhouse-server']" in signoz_vars["__signoz_clickhouse_version"], ch
    defaults = yaml.safe_load((ROOT / "roles" / "signoz" / "defaults" / "main.yml").read_text())
    assert "signoz_clickhouse_version" not in defaults
    # a ClickHouse host's pin is what the check reads
    pinned = {"a": {}, "c": {"clickhouse_version": "24.8.1.5"}}
    assert signoz_compat_inventory_problems(pinned, {"signoz": ["a"], "clickhouse": ["c"]}, fv)


def test_compatible_set_and_fixture_suffix():
    assert signoz_compat_problems(v(), COMPAT) == []
    assert signoz_compat_problems(v("0.129.0-fixture", "0.144.5-fixture"), COMPAT) == []
    assert signoz_compat_problems(v(clickhouse="25.5.6.14"), COMPAT) == []


def test_clickhouse_too_old_for_signoz_and_collector():
    p = signoz_compat_problems(v("0.131.0", "0.144.6", "25.5.6"), COMPAT)
    assert any("signoz 0.131.0 needs clickhouse >= 25.12.5" in x for x in p)
    assert any("collector 0.144.6 needs clickhouse >= 25.12.5" in x for x in p)


def test_collector_too_old_for_signoz():
    p = signoz_compat_problems(v("0.143.0", "0.144.7", "25.12.5"), COMPAT)
    assert p == [
        "signoz 0.143.0 needs collector >= 0.144.11 (from signoz 0.143.0 on); the manifest has collector 0.144.7"
    ]


def test_skip_substituted_clickhouse():
    assert signoz_compat_problems(v("0.129.0", "0.144.5", "18.16.1"), COMPAT, skip=["clickhouse"]) == []
    assert signoz_compat_problems(v("0.129.0", "0.144.5", "18.16.1"), COMPAT) != []


def test_upgrade_stops():
    assert signoz_compat_problems(v("0.131.0", clickhouse="25.12.5"), COMPAT, installed="0.129.0") == []
    p = signoz_compat_problems(v("0.136.0", "0.144.7", "25.12.5"), COMPAT, installed="0.129.0")
    assert p == [
        "signoz 0.129.0 -> 0.136.0 jumps over the required upgrade stop(s) 0.131.0, 0.135.0: upgrade to 0.131.0 first"
    ]
    # landing on a stop is allowed; same version is allowed
    assert signoz_compat_problems(v("0.129.0"), COMPAT, installed="0.129.0") == []


def test_downgrade_refused():
    p = signoz_compat_problems(v("0.128.0"), COMPAT, installed="0.129.0-fixture")
    assert len(p) == 1 and "older than the installed 0.129.0-fixture" in p[0]


@pytest.mark.parametrize(
    ("versions", "compat", "kw", "msg"),
    [
        ("x", COMPAT, {}, "must be dicts"),
        ({"signoz": "0.1.0"}, COMPAT, {}, "lacks collector, clickhouse"),
        (v(signoz="latest"), COMPAT, {}, "versions.signoz is 'latest'"),
        (v(), {"bogus": []}, {}, "unknown compatibility keys bogus"),
        (v(), {"signoz_min_clickhouse": [{"from": "0.1.0"}]}, {}, "signoz_min_clickhouse[0] must be"),
        (v(), COMPAT, {"skip": ["nginx"]}, "skip must be"),
        (v(), COMPAT, {"installed": "abc"}, "installed is 'abc'"),
    ],
)
def test_invalid_input(versions, compat, kw, msg):
    with pytest.raises(FilterError, match="signoz_compat") as e:
        signoz_compat_problems(versions, compat, **kw)
    assert msg in str(e.value)


ver = st.tuples(st.integers(0, 3), st.integers(0, 200), st.integers(0, 20))


@given(old=ver, new=ver, stops=st.lists(ver, max_size=6))
def test_property_stops(old, new, stops):
    """A problem about stops exists exactly when a stop lies strictly between installed and target."""
    s = ".".join(map(str, new))
    p = signoz_compat_problems(
        {"signoz": s, "collector": "0.0.0", "clickhouse": "0.0.0"},
        {"signoz_upgrade_stops": [".".join(map(str, x)) for x in stops]},
        installed=".".join(map(str, old)),
    )
    jumps = any(old < x < new for x in stops)
    assert any("upgrade stop" in x for x in p) == jumps
    assert any("older than" in x for x in p) == (new < old)


@given(ver)
def test_property_version_roundtrip(t):
    assert signoz_version_tuple("v" + ".".join(map(str, t)) + "-fixture") == t


# ---- the API per version, against the upstream contracts (tests/contracts/signoz-<version>.yml) --------------
def _contract(version):
    return yaml.safe_load((ROOT / "tests" / "contracts" / f"signoz-{version}.yml").read_text())


def _routes(version):
    return {(r["method"], r["path"]): r for r in _contract(version)["routes"]}


@pytest.mark.parametrize(
    ("version", "api"),
    [
        ("0.129.0", "v1_invite"),
        ("0.129.1-fixture-broken", "v1_invite"),
        ("0.130.0", "v2_users"),
        ("0.138.0", "v2_users"),
    ],
)
def test_invite_api_by_version(version, api):
    assert signoz_invite_api(version) == api


@pytest.mark.parametrize(
    ("version", "route", "body"),
    [
        ("0.129.0", ("POST", "/api/v1/invite"), {"email", "name", "role", "frontendBaseUrl"}),
        ("0.138.0", ("POST", "/api/v2/users"), {"email", "displayName", "frontendBaseUrl", "userRoles"}),
    ],
)
def test_the_chosen_invite_route_is_the_one_the_contract_has(version, route, body):
    routes = _routes(version)
    chosen = {"v1_invite": ("POST", "/api/v1/invite"), "v2_users": ("POST", "/api/v2/users")}[
        signoz_invite_api(version)
    ]
    assert chosen == route and chosen in routes
    other = ({("POST", "/api/v1/invite"), ("POST", "/api/v2/users")} - {chosen}).pop()
    assert other not in routes  # the version lacks the other one
    spec = routes[chosen]["body"]
    assert set(spec["required"]) <= body <= set(spec["required"]) | set(spec["optional"])
    # the role's users.yml sends role: ADMIN|EDITOR|VIEWER (item.role | upper), the contract's enum
    if "enums" in spec:
        assert {r.upper() for r in ("admin", "editor", "viewer")} == set(spec["enums"]["role"])


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Root-Passw0rd!x", []),
        ("Ünïcödé-Pass1", []),  # Go's unicode.IsUpper / IsLower accept non-ASCII letters
        ("abcdefghijkl", ["it lacks an upper-case letter", "it lacks a number", "it lacks a symbol"]),
        ("ABCDEFGHIJ!1", ["it lacks a lower-case letter"]),
        ("Abcdefghij 1!", ["neither letters, numbers nor upstream's symbols"]),
        ("Abcdefgh;ij1", ["it lacks a symbol", "neither letters"]),
        ("Abc!1", ["shorter than 12 bytes"]),
        ("Ääbc!1defg", []),  # 10 characters, 12 bytes: Go counts bytes
    ],
)
def test_password_problems_follow_upstream_is_password_valid(password, problems):
    got = signoz_password_problems(password)
    assert len(got) == len(problems), got
    for want, have in zip(problems, got, strict=True):
        assert want in have
    assert all(password not in p for p in got)


PLAN = {
    "signals": {
        "traces": {"ttl_days": 183, "move_to_cold_days": 30},
        "metrics": {"ttl_days": 183},
        "logs": {"ttl_days": 365, "move_to_cold_days": None},
    }
}


def test_ttl_requests_from_the_plan_fit_the_contract():
    reqs = signoz_ttl_requests(PLAN, "cold")
    assert [r["type"] for r in reqs] == ["traces", "metrics", "logs"]
    assert reqs[0] == {
        "type": "traces",
        "duration": "4392h",
        "coldStorage": "cold",
        "toColdDuration": "720h",
        "hours": 4392,
        "move_hours": 720,
    }
    assert reqs[2] == {"type": "logs", "duration": "8760h", "hours": 8760, "move_hours": 0}
    for version in ("0.129.0", "0.138.0"):
        q = _routes(version)[("POST", "/api/v1/settings/ttl")]["query"]
        for r in reqs:
            keys = set(r) & {"type", "duration", "coldStorage", "toColdDuration"}
            assert set(q["required"]) <= keys <= set(q["required"]) | set(q["optional"])
            assert r["type"] in q["enums"]["type"]
    assert signoz_ttl_requests({}, "cold") == []
    with pytest.raises(FilterError, match="signoz_ttl_requests"):
        signoz_ttl_requests({"signals": {"traces": {}}}, "cold")
    with pytest.raises(FilterError, match="no cold volume"):
        signoz_ttl_requests(PLAN, "")


def test_ttl_todo_skips_equal_and_pending_signals():
    reqs = signoz_ttl_requests(PLAN, "cold")
    results = [
        {
            "item": reqs[0],
            "json": {"traces_ttl_duration_hrs": 4392, "traces_move_ttl_duration_hrs": 720, "status": "success"},
        },
        {"item": reqs[1], "json": {"metrics_ttl_duration_hrs": 720, "status": "pending"}},
        {"item": reqs[2], "json": {"logs_ttl_duration_hrs": 360, "status": ""}},
    ]
    assert signoz_ttl_todo(results) == [reqs[2]]
    results[0]["json"]["traces_move_ttl_duration_hrs"] = 0
    assert signoz_ttl_todo(results) == [reqs[0], reqs[2]]


def test_the_cold_volume_is_the_clickhouse_roles_cold_volume_of_the_tiered_policy():
    """SigNoz sets storage_policy='tiered' and moves to the coldStorage volume (contract runtime ttl_cold_storage)."""
    ch = yaml.safe_load((ROOT / "roles" / "clickhouse" / "defaults" / "main.yml").read_text())
    sz = yaml.safe_load((ROOT / "roles" / "signoz" / "defaults" / "main.yml").read_text())
    assert ch["clickhouse_storage_policy"] == "tiered"
    tpl = (ROOT / "roles" / "clickhouse" / "templates" / "forge-server.xml.j2").read_text()
    assert f"<{sz['signoz_cold_volume']}>\n                        <disk>" in tpl
    facts = {r["key"]: r["fact"] for r in _contract("0.138.0")["runtime"]}
    assert "storage_policy='tiered'" in facts["ttl_cold_storage"]


def test_the_upgrade_from_the_old_pin_to_the_new_goes_through_the_recorded_stops():
    """0.129.0 -> 0.138.0 (tests/contracts/signoz-0.129.0.yml -> signoz-0.138.0.yml) only by 0.131.0 and 0.135.0."""
    with open(ROOT / "versions.yml") as f:
        fv = yaml.safe_load(f)["forge_versions"]
    compat = fv["compatibility"]
    assert fv["artifacts"]["signoz"]["version"] == "0.138.0"
    assert (ROOT / "tests" / "contracts" / "signoz-0.138.0.yml").exists()
    new = {"collector": "0.144.7", "clickhouse": "25.12.5.44"}
    jump = signoz_compat_problems({"signoz": "0.138.0", **new}, compat, installed="0.129.0")
    assert jump == [
        "signoz 0.129.0 -> 0.138.0 jumps over the required upgrade stop(s) 0.131.0, 0.135.0: upgrade to 0.131.0 first"
    ]
    path = ["0.129.0", "0.131.0", "0.135.0", "0.138.0"]
    for old, target in zip(path, path[1:], strict=False):
        assert signoz_compat_problems({"signoz": target, **new}, compat, installed=old) == []
