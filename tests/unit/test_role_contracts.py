"""House rules every role follows: argument specs that match the defaults, variable
naming, tasks split by phase, tags per role, and role README tables generated from the specs."""

import re
from pathlib import Path

import pytest
import yaml

from forge_monitoring import roledocs

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
PHASES = ("preflight", "install", "configure", "service", "verify")
# Roles that are libraries called with tasks_from by other roles, not services.
LIBRARY_ROLES = {"artifact"}


def _yaml(path):
    return yaml.safe_load(path.read_text()) or {}


def test_there_are_roles():
    assert {"base", "node_exporter", "artifact"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role):
    spec_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    assert spec_file.exists(), f"{role}: meta/argument_specs.yml is missing"
    # the union over entry points (main plus any tasks_from entry points)
    options = {}
    for entry in _yaml(spec_file)["argument_specs"].values():
        options.update(entry.get("options") or {})
    defaults = _yaml(ROOT / "roles" / role / "defaults" / "main.yml")
    assert sorted(defaults) == sorted(options), f"{role}: defaults and argument_specs name different variables"
    for name, value in defaults.items():
        assert "default" in options[name], f"{role}: {name} has no default in argument_specs"
        assert options[name]["default"] == value, f"{role}: {name} default differs between defaults and spec"
        assert options[name].get("description"), f"{role}: {name} has no description"


@pytest.mark.parametrize("role", ROLES)
def test_variable_naming(role):
    for name in _yaml(ROOT / "roles" / role / "defaults" / "main.yml"):
        assert name.startswith(f"{role}_"), f"{role}: public variable {name} must start with {role}_"
    vars_file = ROOT / "roles" / role / "vars" / "main.yml"
    if vars_file.exists():
        for name in _yaml(vars_file):
            assert name.startswith(f"__{role}_"), f"{role}: internal variable {name} must start with __{role}_"


@pytest.mark.parametrize("role", sorted(set(ROLES) - LIBRARY_ROLES))
def test_tasks_split_by_phase_with_tags(role):
    tasks = ROOT / "roles" / role / "tasks"
    for phase in PHASES:
        assert (tasks / f"{phase}.yml").exists(), f"{role}: tasks/{phase}.yml is missing"
    main = yaml.safe_load((tasks / "main.yml").read_text())
    imported = [t["ansible.builtin.import_tasks"] for t in main]
    assert imported == [f"{p}.yml" for p in PHASES]
    for task in main:
        assert role in task["tags"], f"{role}: {task['name']} lacks the role tag"


@pytest.mark.parametrize("role", sorted(set(ROLES) - LIBRARY_ROLES))
def test_handlers_are_check_mode_safe(role):
    handlers = ROOT / "roles" / role / "handlers" / "main.yml"
    for handler in _yaml(handlers) if handlers.exists() else []:
        assert "not ansible_check_mode" in str(handler.get("when", "")), f"{role}: {handler['name']}"


def test_role_readme_tables_are_generated_from_the_specs():
    assert roledocs.check(ROOT / "roles") == [], "run `.venv/bin/forge-monitoring docs`"
    for role in ROLES:
        assert "### Entry point `main`" in (ROOT / "roles" / role / "README.md").read_text(), role


# Wiring is data (docs/architecture.md "Cross-role wiring"): a role's tasks, handlers, defaults, vars and templates
# name only its own variables, documented inputs and facts. Another role's internal variables (__<role>_*) are
# never read; another role's public ones only where the role calls that role and hands it its inputs
# (include_role vars), or where an entry below says why (each one a value no play can pass).
CROSS_READS_ALLOWED = {
    # the coordinator roles' node ids are inventory host variables; ClickHouse reads them per coordinator host
    ("clickhouse", "zookeeper_id"): "hostvars of the coordinator hosts (roles/clickhouse/vars/main.yml)",
    ("clickhouse", "clickhouse_keeper_id"): "hostvars of the coordinator hosts (roles/clickhouse/vars/main.yml)",
    # the package pin of the ClickHouse host, the same rule as the controller's signoz_compat filter
    ("signoz", "clickhouse_version"): "hostvars of the ClickHouse host (roles/signoz/vars/main.yml)",
}
# what a role hands back to the roles that call it (documented in its argument_specs and docs)
OUTPUTS = {"artifact": {"artifact_result"}, "pki": {"pki_result"}, "clickhouse": {"clickhouse_repository_result"}}
# upstream names that look like variables: SigNoz's databases, ClickHouse's system tables
NOT_VARIABLES = {"signoz_traces", "signoz_metrics", "signoz_logs", "signoz_meter", "signoz_metadata",
                 "signoz_analytics", "zookeeper_connection"}  # fmt: skip
TOKEN = re.compile(r"(?<![A-Za-z0-9_])(__)?([a-z][a-z0-9_]*)")
CALLS = re.compile(r"^\s*name:\s*([a-z_]+)\s*$", re.M)


def _filter_names():
    return set(
        re.findall(r'"([a-z_]+)":\s*wrap\(', "".join(p.read_text() for p in (ROOT / "filter_plugins").glob("*.py")))
    )


def _options(roles_dir, role):
    spec = roles_dir / role / "meta" / "argument_specs.yml"
    if not spec.exists():
        return set()
    entries = (_yaml(spec).get("argument_specs") or {}).values()
    return {name for entry in entries for name in (entry or {}).get("options") or {}}


def cross_reads(roles_dir, filters=frozenset()):
    """[(role, file, variable)] for every variable of another role named in a role's files (comment lines without
    Jinja are skipped; the longest role name that prefixes the variable owns it)."""
    roles = sorted(p.name for p in roles_dir.iterdir() if (p / "tasks").is_dir())
    found = []
    for role in roles:
        files = [
            p
            for p in sorted((roles_dir / role).rglob("*"))
            if p.is_file() and p.parent.name in ("tasks", "handlers", "defaults", "vars", "templates")
        ]
        role_calls = {name for p in files if p.parent.name == "tasks" for name in CALLS.findall(p.read_text())}
        for path in files:
            text = path.read_text()
            lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#") or "{{" in ln or "{%" in ln]
            called = set(CALLS.findall(text))
            for internal, name in TOKEN.findall("\n".join(lines)):
                owner = max((r for r in roles if name == r or name.startswith(f"{r}_")), key=len, default=None)
                if not owner or owner == role:
                    continue
                if not internal and (name == owner or name in filters or name in NOT_VARIABLES):
                    continue
                if not internal and owner in called and name in _options(roles_dir, owner):
                    continue  # an input handed to the role this file calls
                if not internal and owner in role_calls and name in OUTPUTS.get(owner, ()):
                    continue  # what a role this role calls hands back
                if not internal and (role, name) in CROSS_READS_ALLOWED:
                    continue
                found.append((role, str(path.relative_to(roles_dir)), ("__" if internal else "") + name))
    return sorted(set(found))


def test_no_role_reads_another_roles_variables():
    assert cross_reads(ROOT / "roles", _filter_names()) == []


def test_a_planted_cross_read_is_found(tmp_path):
    planted = {
        "pki": {"defaults": "pki_dir: /etc/x\n"},
        "node_exporter": {"defaults": "node_exporter_textfile_dir: /var/lib/x\n"},
        "signoz_ingest": {
            "defaults": 'x: "{{ __pki_register_bundle }}"\n# comment naming node_exporter_textfile_dir\n',
            "templates": "{{ node_exporter_textfile_dir }}\n",
        },
    }
    for role, files in planted.items():
        (tmp_path / role / "tasks").mkdir(parents=True)
        for kind, text in files.items():
            (tmp_path / role / kind).mkdir()
            (tmp_path / role / kind / ("main.yml" if kind == "defaults" else "x.j2")).write_text(text)
    assert cross_reads(tmp_path) == [
        ("signoz_ingest", "signoz_ingest/defaults/main.yml", "__pki_register_bundle"),
        ("signoz_ingest", "signoz_ingest/templates/x.j2", "node_exporter_textfile_dir"),
    ]
