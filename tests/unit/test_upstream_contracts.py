"""Upstream contracts (forge_monitoring/contracts.py): every contract file is valid, everything roles/ uses is in
the contract of the pinned version, and a planted use that a contract lacks is reported where it is used."""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from forge_monitoring import cli, contracts
from forge_monitoring.contracts import Use, Violation

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "tests" / "contracts"
CITE = {"cite": "synthetic/test.go:1"}


# ------------------------------------------------------------------------------------------------ real files


@pytest.mark.parametrize("path", sorted(CONTRACTS.glob("*.yml")), ids=lambda p: p.name)
def test_contract_file_is_valid(path):
    contracts.load_contract(path)


def test_roles_keep_to_the_pinned_contracts():
    violations = contracts.check(ROOT)
    assert not violations, "roles/ uses what the pinned upstream versions' contracts lack:\n" + "\n".join(
        map(str, violations)
    )


# ------------------------------------------------------------------------------------------------ the schema

GOOD = {
    "component": "signoz",
    "version": "9.9.9",
    "repository": "SigNoz/signoz",
    "tag": "v9.9.9",
    "routes": [
        {
            "method": "POST",
            "path": "/api/v1/invite",
            "auth": "admin",
            "body": {"required": ["email"], "optional": ["name"], "unknown_fields": "reject"},
            "status": [201],
            "cite": "pkg/apiserver/signozapiserver/user.go:13",
        }
    ],
    "env": [{"name": "SIGNOZ_WEB_ENABLED", "cite": "pkg/web/config.go:10-12"}],
}


def test_schema_accepts_a_good_contract():
    assert contracts.validate_contract(GOOD) == []


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda c: c["env"][0].pop("cite"), "'cite' is a required property"),
        (lambda c: c["env"][0].update(cite="pkg/web/config.go"), "does not match"),
        (lambda c: c["routes"][0].update(cite="user.go:13 and more"), "does not match"),
        (lambda c: c.update(flags=[]), "Additional properties are not allowed ('flags'"),
        (lambda c: c.pop("tag"), "'tag' is a required property"),
        (lambda c: c.pop("repository"), "'repository' is a required property"),
        (lambda c: c["routes"][0].update(method="FETCH"), "'FETCH' is not one of"),
        (lambda c: c["routes"][0]["body"].update(optinal=["x"]), "Additional properties are not allowed"),
        (lambda c: c["routes"][0].update(query={"requird": ["x"]}), "Additional properties are not allowed"),
        (lambda c: c["routes"][0].update(status=[]), "should be non-empty"),
        (lambda c: c.update(component="grafana"), "'grafana' is not one of"),
    ],
)
def test_schema_refuses(breakage, message):
    contract = copy.deepcopy(GOOD)
    breakage(contract)
    errors = contracts.validate_contract(contract, "x.yml")
    assert any(message in e for e in errors), errors


def test_plain_validator_without_jsonschema_checks_the_core():
    """The fallback for a controller without jsonschema: the same verdict on the cite rules and the sections."""
    assert contracts._validate_plain(GOOD, "x.yml") == []
    for breakage, message in [
        (lambda c: c["env"][0].pop("cite"), "env.0: 'cite' is a required property"),
        (lambda c: c["routes"][0].update(cite="user.go"), "routes.0.cite: 'user.go' does not match"),
        (lambda c: c.update(flags=[]), "unknown section 'flags'"),
        (lambda c: c.pop("tag"), "'tag' is a required property"),
        (lambda c: c.update(archive={"name": "a", "wrapper": None, "paths": [{"path": "bin/a"}]}), "archive.paths.0:"),
    ]:
        contract = copy.deepcopy(GOOD)
        breakage(contract)
        errors = contracts._validate_plain(contract, "x.yml")
        assert any(message in e for e in errors), (message, errors)


def test_schema_allows_informational_keys_in_entries():
    """A note on an entry (a policy, a condition) does not break the schema; its cite is still required."""
    contract = copy.deepcopy(GOOD)
    contract["env"][0]["required_when"] = "always"
    contract["commit"] = "a8f6b81"
    contract["routes"][0]["repository"], contract["routes"][0]["commit"] = "ClickHouse/ClickHouse", "0123abc"
    assert contracts.validate_contract(contract) == []


def test_file_name_must_match_component_and_version(tmp_path):
    path = tmp_path / "signoz-1.0.0.yml"
    path.write_text(yaml.safe_dump(GOOD))
    with pytest.raises(ValueError, match="file name must be signoz-9.9.9.yml"):
        contracts.load_contract(path)


# ------------------------------------------------------------------------------------------------ extraction


@pytest.fixture(scope="module")
def usage():
    return contracts.extract_usage(ROOT)


def _items(uses, kind):
    return {u.item for u in uses if u.kind == kind}


def test_extractor_finds_what_the_roles_call(usage):
    """Spot checks against the role files themselves: what a grep of roles/ shows must be found."""
    tasks = "\n".join(p.read_text() for p in (ROOT / "roles").glob("*/tasks/*.yml"))
    for path in re.findall(r"\{\{ __signoz_api \}\}(/api/[\w/]+)", tasks):
        assert any(item.endswith(" " + path) for item in _items(usage, "route")), path
    templates = "\n".join(p.read_text() for p in (ROOT / "roles").glob("*/templates/*.j2"))
    for name in re.findall(r"^(SIGNOZ_[A-Z0-9_]+)=", templates, re.M):
        assert name in _items(usage, "env"), name
    assert _items(usage, "component") >= {"receivers.otlp", "exporters.metadataexporter", "processors.batch"}
    assert "signoz-otel-collector migrate sync up" in _items(usage, "cli")
    assert "bin/signoz" in _items(usage, "archive_path")


# ------------------------------------------------------------------------------------------------ planted uses


def _synthetic_contracts(root: Path, uses: list[Use]) -> dict[str, dict[str, Any]]:
    """Contracts that cover exactly ``uses`` (what today's roles use), with synthetic citations.

    A version-gated use (``# upstream: <component> <op> <version>`` above its task) is covered by the pinned
    contracts inside its gate, else by a contract made for a version inside it; never by a pin outside it.
    """
    artifacts = yaml.safe_load((root / "versions.yml").read_text())["forge_versions"]["artifacts"]

    def new(component: str, version: str) -> dict[str, Any]:
        return {"component": component, "version": version, "repository": "synthetic/repo", "tag": f"v{version}"}

    pinned: dict[str, dict[str, Any]] = {}
    for component, version, _ in contracts.pinned_versions(root):
        # one contract per pinned version; the first pin of a component is also reachable by its name alone
        key = component if component not in pinned else f"{component}@{version}"
        pinned.setdefault(key, new(component, version))
    gated: dict[str, dict[str, Any]] = {}
    for use in uses:
        gate = use.details.get("versions")
        if gate:
            inside = [
                c for c in pinned.values() if c["component"] == use.component and contracts.in_gate(c["version"], gate)
            ]
            if not inside:
                version = _version_in(gate)
                inside = [gated.setdefault(f"{use.component}@{version}", new(use.component, version))]
            for contract in inside:
                _COVER[use.kind](contract, use, artifacts)
            continue
        for contract in pinned.values():
            if contract["component"] == use.component:
                _COVER[use.kind](contract, use, artifacts)
    return {**pinned, **gated}


def _version_in(gate: dict[str, str]) -> str:
    """A version inside a gate: the gate's own for <=, >=, ==; the one below or above for < and >."""
    major, minor, patch = (int(x) for x in gate["version"].split("."))
    if gate["op"] == "<":
        return f"{major}.{minor - 1}.0" if patch == 0 else f"{major}.{minor}.{patch - 1}"
    if gate["op"] == ">":
        return f"{major}.{minor}.{patch + 1}"
    return gate["version"]


def _cover_route(c: dict[str, Any], use: Use, _: Any) -> None:
    d = use.details
    routes = c.setdefault("routes", [])
    route = next((r for r in routes if (r["method"], r["path"]) == (d["method"], d["path"])), None)
    if route is None:
        route = {
            "method": d["method"],
            "path": d["path"],
            "auth": "admin" if d["authorized"] else "none",
            "query": {"required": [], "optional": []},
            "status": d["status"] or [200],
            **CITE,
        }
        if d["body"]:
            route["body"] = {"required": [], "optional": [], "unknown_fields": "reject"}
        routes.append(route)
    route["query"]["optional"] = sorted(set(route["query"]["optional"]) | set(d["query"]))
    if d["body"]:
        route["body"]["optional"] = sorted(set(route["body"]["optional"]) | set(d["body"]))


def _cover_cli(c: dict[str, Any], use: Use, _: Any) -> None:
    entries = c.setdefault("cli", [])
    entry = next((e for e in entries if e["command"] == use.details["command"]), None)
    if entry is None:
        entries.append({"command": use.details["command"], "flags": use.details["flags"], **CITE})
    else:
        entry["flags"] = sorted(set(entry["flags"]) | set(use.details["flags"]))


def _cover_component(c: dict[str, Any], use: Use, _: Any) -> None:
    kind, name = use.item.split(".", 1)
    c.setdefault("components", {}).setdefault(kind, []).append({"name": name, **CITE})


def _cover_archive_path(c: dict[str, Any], use: Use, artifacts: dict[str, Any]) -> None:
    wrapped = int(artifacts[use.component].get("strip_components", 0)) >= 1
    archive = c.setdefault(
        "archive", {"name": f"{use.component}.tar.gz", "wrapper": use.component if wrapped else None, "paths": []}
    )
    if use.item not in [p["path"] for p in archive["paths"]]:
        archive["paths"].append({"path": use.item, **CITE})


_COVER = {
    "route": _cover_route,
    "env": lambda c, use, _: c.setdefault("env", []).append({"name": use.item, **CITE}),
    "cli": _cover_cli,
    "component": _cover_component,
    "config_key": lambda c, use, _: c.setdefault("config_keys", []).append({"key": use.item, **CITE}),
    "archive_path": _cover_archive_path,
}


@pytest.fixture(scope="module")
def synthetic(usage):
    return _synthetic_contracts(ROOT, usage)


@pytest.fixture
def tree(tmp_path, synthetic):
    """A copy of roles/, versions.yml and filter_plugins/ with synthetic contracts covering today's roles."""
    for name in ("roles", "filter_plugins"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "versions.yml", tmp_path / "versions.yml")
    write_contracts(tmp_path, synthetic)
    return tmp_path


def write_contracts(root: Path, synthetic: dict[str, dict[str, Any]]) -> None:
    target = root / "tests" / "contracts"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for contract in synthetic.values():
        assert contracts.validate_contract(contract) == []
        (target / f"{contract['component']}-{contract['version']}.yml").write_text(yaml.safe_dump(contract))


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) in ``path``; return the 1-based line where ``new`` begins."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    text = text.replace(old, new)
    path.write_text(text)
    return text[: text.index(new)].count("\n") + 1 + (1 if new.startswith("\n") else 0)


def _append(path: Path, text: str) -> int:
    before = path.read_text()
    if not before.endswith("\n"):
        before += "\n"
    path.write_text(before + text)
    return before.count("\n") + 1


def test_synthetic_contracts_pass_on_todays_roles(tree):
    """The baseline for every planted test: contracts that cover today's roles leave no violation."""
    assert contracts.check(tree) == []


def _only(violations: list[Violation], kind: str) -> list[Violation]:
    assert violations, "nothing reported"
    assert {v.kind for v in violations} == {kind}, "\n".join(map(str, violations))
    return violations


def test_planted_route_is_reported(tree):
    line = _append(
        tree / "roles" / "signoz" / "tasks" / "users.yml",
        (
            "- name: Planted invite\n"
            "  ansible.builtin.uri:\n"
            '    url: "{{ __signoz_api }}/api/v1/invite?planted=1"\n'
            "    method: POST\n"
            "    body_format: json\n"
            "    body: {email: a@b.c, role: ADMIN}\n"
        ),
    )
    (violation,) = _only(contracts.check(tree), "route")
    assert violation.item == "POST /api/v1/invite"
    assert violation.where == f"roles/signoz/tasks/users.yml:{line}"
    assert "has no such route" in violation.reason


def test_signoz_url_that_is_not_literal_is_reported(tree):
    """A loop over a variable hides the route from the extractor: reported, not passed over."""
    line = _append(
        tree / "roles" / "signoz" / "tasks" / "users.yml",
        (
            "- name: Planted read of routes from a variable\n"
            "  ansible.builtin.uri:\n"
            '    url: "{{ __signoz_api }}{{ item }}"\n'
            '  loop: "{{ __signoz_planted_routes }}"\n'
        ),
    )
    (violation,) = _only(contracts.check(tree), "route")
    assert violation.item == "GET {id}"
    assert violation.where == f"roles/signoz/tasks/users.yml:{line}"


def test_planted_method_is_reported(tree, synthetic):
    """Issue 15 item 1: POST /api/v2/users against a version whose /api/v2/users answers GET only."""
    narrowed = copy.deepcopy(synthetic)
    narrowed["signoz"]["routes"] = [
        r for r in narrowed["signoz"]["routes"] if (r["method"], r["path"]) != ("POST", "/api/v2/users")
    ]
    write_contracts(tree, narrowed)
    (violation,) = _only(contracts.check(tree), "route")
    assert violation.item == "POST /api/v2/users"
    assert violation.where.startswith("roles/signoz/tasks/users.yml:")
    assert "answers only GET" in violation.reason


def test_planted_body_field_and_query_are_reported(tree):
    users = tree / "roles" / "signoz" / "tasks" / "users.yml"
    _edit(users, "      displayName:", "      plantedField: x\n      displayName:")
    _edit(
        tree / "roles" / "signoz" / "tasks" / "api.yml",
        "/api/v2/sessions/email_password",
        "/api/v2/sessions/email_password?planted=1",
    )
    reasons = sorted(v.reason for v in _only(contracts.check(tree), "route"))
    assert len(reasons) == 2, reasons
    assert "body field 'plantedField' is not in signoz" in reasons[0]
    assert "query parameter 'planted' is not in signoz" in reasons[1]


def test_planted_env_var_is_reported(tree):
    env = tree / "roles" / "signoz" / "templates" / "signoz.env.j2"
    line = _append(env, "SIGNOZ_PLANTED_SETTING=true\n")
    (violation,) = _only(contracts.check(tree), "env")
    assert (violation.item, violation.where) == (
        "SIGNOZ_PLANTED_SETTING",
        f"roles/signoz/templates/signoz.env.j2:{line}",
    )


def test_env_var_from_a_defaults_dict_is_reported(tree):
    """SIGNOZ_{{ key }} over signoz_extra_env: literal keys in the role's defaults are uses too."""
    _edit(
        tree / "roles" / "signoz" / "defaults" / "main.yml",
        "signoz_extra_env: {}",
        "signoz_extra_env: {PLANTED_FROM_DICT: x}",
    )
    (violation,) = _only(contracts.check(tree), "env")
    assert violation.item == "SIGNOZ_PLANTED_FROM_DICT"
    assert violation.where.startswith("roles/signoz/templates/signoz.env.j2:")


def test_planted_collector_flag_is_reported(tree):
    unit = tree / "roles" / "signoz_ingest" / "templates" / "signoz-ingest.service.j2"
    line = _edit(unit, "migrate sync check --timeout=", "migrate sync check --planted-flag=1 --timeout=")
    (violation,) = _only(contracts.check(tree), "cli")
    assert violation.item == "signoz-otel-collector migrate sync check --planted-flag"
    assert violation.where == f"roles/signoz_ingest/templates/signoz-ingest.service.j2:{line}"


def test_planted_subcommand_is_reported(tree):
    unit = tree / "roles" / "signoz" / "templates" / "signoz-migrate.service.j2"
    _edit(unit, "migrate bootstrap", "migrate planted")
    (violation,) = _only(contracts.check(tree), "cli")
    assert violation.item == "signoz-otel-collector migrate planted"
    assert "no such subcommand" in violation.reason


def test_planted_collector_key_and_component_are_reported(tree):
    """A key and a component type the contract does not list are reported."""
    ingest_vars = tree / "roles" / "signoz_ingest" / "vars" / "main.yml"
    _edit(
        ingest_vars,
        "      enabled: true\n      timeout: 45s\n",
        "      enabled: true\n      planted_key: 1\n      timeout: 45s\n",
    )
    _edit(
        ingest_vars,
        '    batch: "{{ signoz_ingest_batch }}"\n',
        '    batch: "{{ signoz_ingest_batch }}"\n    planted/x: {}\n',
    )
    violations = contracts.check(tree)
    assert sorted((v.kind, v.item) for v in violations) == [
        ("component", "processors.planted"),
        ("config_key", "exporters.metadataexporter.planted_key"),
    ]


def test_planted_archive_path_is_reported(tree):
    unit = tree / "roles" / "signoz" / "templates" / "signoz.service.j2"
    line = _edit(unit, "{{ __signoz_home }}/templates/email", "{{ __signoz_home }}/planted/email")
    (violation,) = _only(contracts.check(tree), "archive_path")
    assert (violation.item, violation.where) == ("planted/email", f"roles/signoz/templates/signoz.service.j2:{line}")


def test_archive_path_from_a_default_is_reported(tree):
    """Issue 15 item 3 in reverse: the UDF path comes from clickhouse_udf_binary in the role's defaults."""
    _edit(
        tree / "roles" / "clickhouse" / "defaults" / "main.yml",
        "clickhouse_udf_binary: histogram-quantile",
        "clickhouse_udf_binary: planted/histogram-quantile",
    )
    violations = _only(contracts.check(tree), "archive_path")
    assert {v.item for v in violations} == {"planted/histogram-quantile"}
    assert all(v.where.startswith("roles/clickhouse/tasks/udf_link.yml:") for v in violations), violations


def test_unknown_release_directory_is_reported(tree):
    line = _append(
        tree / "roles" / "signoz" / "templates" / "signoz.service.j2",
        "ExecStartPost={{ __signoz_planted_home }}/bin/x\n",
    )
    (violation,) = _only(contracts.check(tree), "archive_path")
    assert violation.where == f"roles/signoz/templates/signoz.service.j2:{line}"
    assert "__signoz_planted_home is not a known release directory" in violation.reason


def test_wrapper_and_strip_components_must_agree(tree, synthetic):
    wrapped = copy.deepcopy(synthetic)
    wrapped["histogram-quantile"]["archive"]["wrapper"] = "histogram-quantile_linux_amd64"
    write_contracts(tree, wrapped)
    (violation,) = _only(contracts.check(tree), "archive_layout")
    assert violation.item == "histogram-quantile"
    assert "strip_components 0" in violation.reason


def test_required_env_var_never_set_is_reported(tree, synthetic):
    """Issue 15 item 2 as a contract would state it: a setting upstream needs that the roles never set."""
    required = copy.deepcopy(synthetic)
    name = "SIGNOZ_PROMETHEUS_ACTIVE__QUERY__TRACKER_PATH"
    entry = next(e for e in required["signoz"]["env"] if e["name"] == name)  # today's roles set it
    entry.update(required=True, cite="pkg/prometheus/config.go:40")
    write_contracts(tree, required)
    assert contracts.check(tree) == []
    env = tree / "roles" / "signoz" / "templates" / "signoz.env.j2"
    env.write_text("".join(line for line in env.read_text().splitlines(True) if not line.startswith(f"{name}=")))
    (violation,) = _only(contracts.check(tree), "env")
    assert violation.item == name
    pinned = next(v for c, v, _ in contracts.pinned_versions(tree) if c == "signoz")
    assert f"required by signoz {pinned} (pkg/prometheus/config.go:40), never set" in violation.reason


def test_required_collector_key_is_reported_only_for_a_configured_component(tree, synthetic):
    """Issue 15 item 6 as a contract would state it: metadataexporter without enabled."""
    required = copy.deepcopy(synthetic)
    required["signoz-otel-collector"]["config_keys"] += [
        {
            "key": "exporters.metadataexporter.enabled",
            "required": True,
            "cite": "exporter/metadataexporter/config.go:9",
        },
        {"key": "processors.signozspanmetrics.metrics_exporter", "required": True, "cite": "processor/x/config.go:1"},
    ]
    write_contracts(tree, required)
    assert contracts.check(tree) == []  # today's roles set it
    ingest_vars = tree / "roles" / "signoz_ingest" / "vars" / "main.yml"
    _edit(
        ingest_vars,
        "      enabled: true\n      timeout: 45s\n",
        "      timeout: 45s\n",
    )
    (violation,) = _only(contracts.check(tree), "config_key")
    assert violation.item == "exporters.metadataexporter.enabled"
    assert violation.where.startswith("roles/signoz_ingest/vars/main.yml:")


def test_four_part_clickhouse_build_finds_its_three_part_contract(tmp_path):
    contract = {
        "component": "clickhouse",
        "version": "25.12.5.44",
        "repository": "ClickHouse/ClickHouse",
        "tag": "v25.12.5.44-stable",
    }
    path = tmp_path / "clickhouse-25.12.5.yml"
    path.write_text(yaml.safe_dump(contract))
    assert contracts.contract_path(tmp_path, "clickhouse", "25.12.5.44") == path
    assert contracts.load_contract(path)["version"] == "25.12.5.44"


def test_pin_without_contract_is_reported(tree):
    pinned = next(v for c, v, _ in contracts.pinned_versions(tree) if c == "signoz")
    _edit(tree / "versions.yml", f'version: "{pinned}"', 'version: "0.999.0"')
    violations = contracts.check(tree)
    assert ("pin", "signoz 0.999.0") in {(v.kind, v.item) for v in violations}
    assert any("no contract signoz-0.999.0.yml" in v.reason for v in violations)
    # every use of the uncovered component is still listed, with where it is used
    unchecked = {(v.kind, v.item): v.where for v in violations if "no contract loaded for signoz" in v.reason}
    assert unchecked[("route", "GET /api/v2/users")].startswith("roles/signoz/tasks/users.yml:")
    assert ("env", "SIGNOZ_WEB_ENABLED") in unchecked
    assert not any("signoz-otel-collector" in v.reason for v in violations)


def test_invalid_contract_is_reported(tree, synthetic):
    broken = copy.deepcopy(synthetic)
    broken["signoz"]["env"][0].pop("cite")
    write_contracts_unchecked(tree, broken)
    violations = contracts.check(tree)
    assert any(v.kind == "contract" and "'cite' is a required property" in v.reason for v in violations)


def write_contracts_unchecked(root: Path, synthetic: dict[str, dict[str, Any]]) -> None:
    for contract in synthetic.values():
        path = root / "tests" / "contracts" / f"{contract['component']}-{contract['version']}.yml"
        path.write_text(yaml.safe_dump(contract))


# ------------------------------------------------------------------------------------------------ route rules


def _route_use(**details: Any) -> Use:
    base = {
        "method": "POST",
        "path": "/api/v1/invite",
        "query": ["type"],
        "query_values": {"type": "{{ t }}"},
        "body": {"email": "x"},
        "status": [],
        "authorized": True,
    }
    base.update(details)
    return Use("signoz", "route", f"{base['method']} {base['path']}", "roles/x.yml:1", base)


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        ({"body": {"name": "x"}}, "required body field 'email' is missing"),
        ({"body": {"email": "x", "role": "OWNER"}}, "body field 'role' = 'OWNER' is not one of"),
        ({"body": {"email": "x", "extra": 1}}, "body field 'extra' is not in signoz 9.9.9 (upstream rejects it)"),
        ({"status": [200]}, "expects status 200; signoz 9.9.9 answers [201]"),
        ({"query": ["type"], "query_values": {"type": "spans"}}, "query parameter 'type' = 'spans' is not one of"),
        ({"query": ["kind"], "query_values": {"kind": "x"}}, "query parameter 'kind' is not in signoz 9.9.9"),
        ({"authorized": False}, "needs auth 'admin'"),
        ({"path": "/api/v1/invite/{id}"}, "has no such route"),
    ],
)
def test_route_rules(details, reason):
    contract = copy.deepcopy(GOOD)
    contract["routes"][0]["body"]["optional"] = ["name", "role"]
    contract["routes"][0]["body"]["enums"] = {"role": ["ADMIN", "EDITOR", "VIEWER"]}
    contract["routes"][0]["query"] = {"optional": ["type"], "enums": {"type": ["traces", "metrics", "logs"]}}
    assert contracts.compare([_route_use()], {"signoz": contract}) == []
    violations = contracts.compare([_route_use(**details)], {"signoz": contract})
    assert any(reason in v.reason for v in violations), violations


def test_jinja_in_a_route_path_is_a_parameter():
    assert contracts._normalise_path("/api/v2/users/{{ item.id }}/roles") == "/api/v2/users/{id}/roles"
    assert contracts._normalise_path("/api/v2/users/{userId}") == "/api/v2/users/{id}"


# ------------------------------------------------------------------------------------------------ command line


def test_cli_check_exit_status(tree, capsys):
    assert cli.main(["contracts", "--check", "--root", str(tree)]) == 0
    _append(tree / "roles" / "signoz" / "templates" / "signoz.env.j2", "SIGNOZ_PLANTED_SETTING=true\n")
    assert cli.main(["contracts", "--check", "--root", str(tree)]) == 1
    out = capsys.readouterr().out
    assert "env: SIGNOZ_PLANTED_SETTING (roles/signoz/templates/signoz.env.j2:" in out
    assert "1 contract violation(s)" in out


def test_version_gated_route_is_checked_against_the_contracts_in_its_gate(tree, synthetic):
    """``# upstream: signoz < X`` above a task: its route is checked against the contracts of versions below X."""
    line = _append(
        tree / "roles" / "signoz" / "tasks" / "users.yml",
        (
            "# upstream: signoz < 0.1.0\n"
            "- name: Planted route of an old release\n"
            "  ansible.builtin.uri:\n"
            '    url: "{{ __signoz_api }}/api/v1/planted"\n'
        ),
    )
    (violation,) = _only(contracts.check(tree), "route")
    assert violation.where == f"roles/signoz/tasks/users.yml:{line + 1}"
    assert "no contract of signoz < 0.1.0" in violation.reason
    # an old release: the gated invite route of today's roles (below 0.130.0) plus the planted one
    old = copy.deepcopy(next(c for k, c in synthetic.items() if k.startswith("signoz@")))
    old.update(version="0.0.9", tag="v0.0.9")
    old["routes"].append(
        {"method": "GET", "path": "/api/v1/planted", "auth": "none", "status": [200], "cite": "planted.go:1"}
    )
    (tree / "tests" / "contracts" / "signoz-0.0.9.yml").write_text(yaml.safe_dump(old))
    assert contracts.check(tree) == []


def test_the_invite_tasks_gates_agree_with_the_role_filter():
    """The version gates on users.yml's two invite tasks and signoz_invite_api's switch are one fact."""
    from forge_monitoring.signoz_compat import INVITE_V2_FROM  # noqa: PLC0415

    switch = ".".join(map(str, INVITE_V2_FROM))
    gates = {
        (u.details["versions"]["op"], u.details["versions"]["version"], u.item)
        for u in contracts.extract_routes(ROOT)
        if "versions" in u.details
    }
    assert gates == {("<", switch, "POST /api/v1/invite"), (">=", switch, "POST /api/v2/users")}


def test_planted_agent_subcommand_and_flag_are_reported():
    """The agent's collector runs from the top of its release directory, its name from the role's defaults:
    checked against the otelcol-contrib contract like the SigNoz binaries."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        for part in ("roles", "versions.yml", "tests/contracts"):
            src = ROOT / part
            (shutil.copytree if src.is_dir() else shutil.copy)(src, tree / part)
        assert contracts.check(tree) == []
        configure = tree / "roles" / "otel_agent" / "tasks" / "configure.yml"
        line = _edit(configure, "{{ otel_agent_binary }} components", "{{ otel_agent_binary }} components --planted")
        _edit(configure, "validate --config=%s", "verify --config=%s")
        found = _only(contracts.check(tree), "cli")
        assert {(v.item, v.where.rsplit(":", 1)[0]) for v in found} == {
            ("otelcol-contrib components --planted", "roles/otel_agent/tasks/configure.yml"),
            ("otelcol-contrib verify", "roles/otel_agent/tasks/configure.yml"),
        }
        assert any(v.where.endswith(f":{line}") for v in found)
