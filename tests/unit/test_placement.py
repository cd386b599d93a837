"""playbooks/vars/placement.yml agrees with the plays, and every role's port declaration is data preflight reads."""

import re

import pytest
import yaml
from conftest import ROOT

from forge_monitoring.sizing import COMPONENTS

PLACEMENT = yaml.safe_load((ROOT / "playbooks/vars/placement.yml").read_text())
PLAYBOOKS = ("playbooks/vms_site.yml", "playbooks/dev_sites.yml")
ROLES = sorted(p.parent.parent.name for p in ROOT.glob("roles/*/meta/argument_specs.yml"))
TEMPLATE_REF = re.compile(r"^\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}$")


def _applied():
    """role -> groups, read from the plays: a role-level `'<group>' in group_names` or the play's hosts."""
    out = {}
    for book in PLAYBOOKS:
        for play in yaml.safe_load((ROOT / book).read_text()):
            for entry in play.get("roles", []):
                role = entry if isinstance(entry, str) else entry["role"]
                when = entry.get("when", "") if isinstance(entry, dict) else ""
                when = " ".join(when) if isinstance(when, list) else when
                groups = re.findall(r"'([a-z_]+)' in group_names", when) or [play["hosts"]]
                out.setdefault(role, set()).update(groups)
    return out


def test_every_role_the_plays_apply_is_placed_on_the_same_groups():
    applied = _applied()
    assert applied, "no roles found in the plays"
    for role, groups in applied.items():
        assert role in PLACEMENT["forge_placement"], f"{role} is applied by a play but missing from placement.yml"
        assert set(PLACEMENT["forge_placement"][role]) == groups, role


def test_every_placed_role_that_exists_is_applied_by_a_play():
    applied = _applied()
    for role in PLACEMENT["forge_placement"]:
        if (ROOT / "roles" / role / "tasks" / "main.yml").exists():
            assert role in applied, f"{role} is in placement.yml but no play applies it"


def test_sized_components_are_known_to_the_sizing_filter():
    for group, comps in PLACEMENT["forge_sized_components"].items():
        assert set(comps) <= set(COMPONENTS), group


@pytest.mark.parametrize("role", ROLES)
def test_port_declarations_are_plain_data(role):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    decl = defaults.get(f"{role}_ports")
    if decl is None:
        pytest.skip(f"{role} opens no port")
    assert isinstance(decl, list), f"{role}_ports must be a YAML list (preflight reads it without templating)"
    for entry in decl:
        assert {"name", "port", "proto", "sources"} <= set(entry), entry
        assert entry["proto"] in ("tcp", "udp"), entry
        port = entry["port"]
        if isinstance(port, str):
            match = TEMPLATE_REF.match(port)
            assert match and match.group(1) in defaults, f"{role}: port {port!r} must be an int or '{{{{ <var> }}}}'"
        else:
            assert isinstance(port, int) and 1 <= port <= 65535, entry
