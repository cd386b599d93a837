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


# A role's internal variables (__<role>_*) are its own: another role that needs a fact gets it as a documented
# output (artifact_result, pki_result, clickhouse_repository_result) or as an input the play passes.
INTERNAL = re.compile(r"(?<![A-Za-z0-9_])__([a-z][a-z0-9_]*)")


def internal_reads(roles_dir):
    """[(role, file, variable)] for every __<other role>_* name in a role's tasks, handlers, defaults, vars and
    templates (the longest role name that prefixes the variable owns it)."""
    roles = sorted(p.name for p in roles_dir.iterdir() if (p / "tasks").is_dir())
    found = []
    for role in roles:
        for path in sorted((roles_dir / role).rglob("*")):
            if not path.is_file() or path.parent.name not in ("tasks", "handlers", "defaults", "vars", "templates"):
                continue
            for name in INTERNAL.findall(path.read_text()):
                owner = max((r for r in roles if name.startswith(f"{r}_")), key=len, default=None)
                if owner and owner != role:
                    found.append((role, str(path.relative_to(roles_dir)), f"__{name}"))
    return found


def test_no_role_reads_another_roles_internal_variables():
    assert internal_reads(ROOT / "roles") == []


def test_a_planted_internal_read_is_found(tmp_path):
    for role, text in (("pki", "pki_dir: /etc/x\n"), ("signoz_ingest", 'x: "{{ __pki_register_bundle }}"\n')):
        (tmp_path / role / "tasks").mkdir(parents=True)
        (tmp_path / role / "defaults").mkdir()
        (tmp_path / role / "defaults" / "main.yml").write_text(text)
    assert internal_reads(tmp_path) == [("signoz_ingest", "signoz_ingest/defaults/main.yml", "__pki_register_bundle")]
