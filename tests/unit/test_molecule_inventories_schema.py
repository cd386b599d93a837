"""Every molecule scenario's inventory passes the inventory schema: the effective variables of each host
(.config/molecule/config.yml's provisioner.inventory deep-merged with the scenario's, then all < group < host),
as molecule writes them, checked with forge_monitoring/schema.py like preflight checks a real inventory."""

import re
from pathlib import Path

import jinja2
import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from forge_monitoring import schema

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in ROOT.glob("molecule/*/molecule.yml"))
ENV = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        return {k: _merge(base[k], v) if k in base else v for k, v in over.items()} | {
            k: v for k, v in base.items() if k not in over
        }
    return over


def _groups(hosts_tree, parents=()):
    """{host: [groups]} from an inventory `hosts` tree (all: {hosts, children})."""
    out = {}
    for group, given in (hosts_tree or {}).items():
        body = given or {}
        for host in body.get("hosts") or {}:
            out.setdefault(host, set()).update({group, *parents})
        for host, groups in _groups(body.get("children") or {}, (*parents, group)).items():
            out.setdefault(host, set()).update(groups)
    return out


def _untemplated(value, context):
    """Values as Ansible would see them: ${ENV} substitutions (molecule's) read as empty, templates rendered from
    the host's own plain variables; a variable holding a template that needs more (facts) is left out (_SKIP)."""
    if isinstance(value, dict):
        items = {k: _untemplated(v, context) for k, v in value.items()}
        return _SKIP if _SKIP in items.values() else items
    if isinstance(value, list):
        items = [_untemplated(v, context) for v in value]
        return _SKIP if _SKIP in items else items
    if isinstance(value, str):
        value = ENV.sub("", value)
        if "{{" in value:
            try:
                rendered = JINJA.from_string(value).render(context)
                return _SKIP if isinstance(rendered, jinja2.Undefined) else rendered
            except jinja2.TemplateError:
                return _SKIP
        return value
    return value


_SKIP = object()
JINJA = NativeEnvironment(undefined=jinja2.StrictUndefined)  # native types, as Ansible renders


def effective_vars(scenario):
    base = yaml.safe_load((ROOT / ".config/molecule/config.yml").read_text())["provisioner"].get("inventory") or {}
    data = yaml.safe_load((ROOT / "molecule" / scenario / "molecule.yml").read_text())
    inventory = _merge(base, (data.get("provisioner") or {}).get("inventory") or {})
    membership = _groups(inventory.get("hosts") or {})
    for platform in data.get("platforms") or []:
        membership.setdefault(platform["name"], set()).update(platform.get("groups") or [])
    group_vars, host_vars = inventory.get("group_vars") or {}, inventory.get("host_vars") or {}
    out = {}
    for platform in data.get("platforms") or []:
        host = platform["name"]
        values = dict(group_vars.get("all") or {})
        for group in sorted(membership.get(host, ())):
            if group != "all":
                values.update(group_vars.get(group) or {})
        values.update(host_vars.get(host) or {})
        context = {"inventory_hostname": host, **{k: v for k, v in values.items() if "{{" not in str(v)}}
        out[host] = {k: v for k, v in ((k, _untemplated(v, context)) for k, v in values.items()) if v is not _SKIP}
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_inventory_passes_the_schema(scenario):
    check = schema.validator()
    loaded = schema.load()
    problems = []
    for host, values in effective_vars(scenario).items():
        known = {k: v for k, v in values.items() if k in loaded["properties"]}
        problems += schema.host_problems(host, known, check)
    assert problems == []


def test_the_effective_vars_are_built_from_both_files():
    hosts = effective_vars("default")
    assert hosts, "molecule/default has platforms"
    some = next(iter(hosts.values()))
    assert some["forge_env"] == "lab"  # .config/molecule/config.yml group_vars.all
    assert some["base_apt_mirror"] == ""  # ${FORGE_TEST_APT_MIRROR} unset
