import copy

import pytest

from forge_monitoring.checks.inventory import forge_inventory_problems, forge_substitute_notice
from forge_monitoring.errors import FilterError

GROUPS = {
    "all": ["vms-1", "dev-1"],
    "vms_site": ["vms-1"],
    "dev_sites": ["dev-1"],
    **{g: ["vms-1"] for g in ("clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub")},
    "agents": ["dev-1"],
    "vpn_spokes": ["dev-1"],
}
HOSTVARS = {
    "vms-1": {"forge_env": "lab", "forge_private_address": "10.213.10.11"},
    "dev-1": {"forge_env": "lab", "forge_private_address": "10.213.20.11"},
}


def test_good_inventory_has_no_problems():
    assert forge_inventory_problems(HOSTVARS, GROUPS) == []


def _problems(mutate):
    hv, groups = copy.deepcopy(HOSTVARS), copy.deepcopy(GROUPS)
    mutate(hv, groups)
    return forge_inventory_problems(hv, groups)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda hv, g: g.pop("vpn_hub"), "group vpn_hub: missing"),
        (lambda hv, g: g.update(dev_sites=[]), "group dev_sites: has no hosts"),
        (lambda hv, g: hv["vms-1"].update(forge_env="staging"), "vms-1: forge_env is 'staging'"),
        (lambda hv, g: hv["dev-1"].pop("forge_private_address"), "dev-1: forge_private_address is None"),
        (lambda hv, g: hv["dev-1"].update(forge_private_address="0.0.0.0"), "expected the host's private"),
        (lambda hv, g: hv["dev-1"].update(forge_private_address="dev-1"), "expected an IP address"),
        (
            lambda hv, g: (
                [h.update(forge_env="production") for h in hv.values()]
                and hv["vms-1"].update(forge_substitutes={"signoz": {"kind": "fixture", "what": "x"}})
            ),
            "production inventories never substitute",
        ),
        (lambda hv, g: hv["vms-1"].update(forge_substitutes={"signoz": {"kind": "fake"}}), "forge_substitutes.signoz"),
        (lambda hv, g: hv["vms-1"].update(forge_env="production"), "hosts disagree"),
    ],
)
def test_each_problem_is_named(mutate, expected):
    problems = _problems(mutate)
    assert any(expected in p for p in problems), problems


def test_all_problems_are_reported_at_once():
    def mutate(hv, g):
        hv["vms-1"]["forge_env"] = None
        hv["dev-1"]["forge_private_address"] = "x"
        g.pop("agents")

    assert len(_problems(mutate)) == 3


def test_notice_lists_substitutes_once_per_component():
    hv = copy.deepcopy(HOSTVARS)
    hv["vms-1"]["forge_substitutes"] = {"clickhouse": {"kind": "substitute", "what": "Debian 18.16"}}
    hv["dev-1"]["forge_substitutes"] = {"clickhouse": {"kind": "substitute", "what": "Debian 18.16"}}
    assert forge_substitute_notice(hv, ["vms-1", "dev-1"]) == ["SUBSTITUTE clickhouse: Debian 18.16 (on dev-1, vms-1)"]
    assert forge_substitute_notice(HOSTVARS, ["vms-1"]) == []


def test_bad_arguments_name_the_filter():
    with pytest.raises(FilterError, match="forge_inventory_problems"):
        forge_inventory_problems(HOSTVARS, ["not", "a", "dict"])
