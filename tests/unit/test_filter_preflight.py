"""The preflight filters' logic (forge_monitoring checks/options.py, networks.py, vault.py, capacity.py): types,
ports, networks, secrets and capacity, on plain-dict inventories."""

import copy

import pytest
import yaml
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.capacity import capacity, forge_capacity_problems, host_components
from forge_monitoring.checks.networks import forge_network_problems
from forge_monitoring.checks.options import forge_port_problems, forge_spec_problems
from forge_monitoring.checks.vault import forge_secret_problems
from forge_monitoring.errors import FilterError

PLACEMENT = yaml.safe_load((ROOT / "playbooks/vars/placement.yml").read_text())
ROLES = {
    role: {
        "specs": yaml.safe_load((ROOT / f"roles/{role}/meta/argument_specs.yml").read_text()),
        "defaults": (ROOT / f"roles/{role}/defaults/main.yml").read_text(),
    }
    for role in ("base", "node_exporter")
}
GROUPS = {
    "vms_site": ["vms-1"],
    "dev_sites": ["dev-1"],
    **{g: ["vms-1"] for g in ("clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub")},
    "agents": ["dev-1"],
    "vpn_spokes": ["dev-1"],
}
VMS = {"ram_mb": 8192, "cores": 4, "disk_gb": 500}
HOSTVARS = {
    "vms-1": {"forge_host_resources": VMS, "forge_networks": {"vms": "10.10.0.0/16", "dev": "10.20.0.0/16"}},
    "dev-1": {"forge_host_resources": {"ram_mb": 4096, "cores": 2, "disk_gb": 50}},
}
SIZED = PLACEMENT["forge_sized_components"]


def _hv(**changes):
    hv = copy.deepcopy(HOSTVARS)
    for host, values in changes.items():
        hv[host.replace("_", "-")].update(values)
    return hv


def test_clean_inventory_has_no_problems():
    hv = _hv()
    assert forge_spec_problems(hv, GROUPS, PLACEMENT["forge_placement"], ROLES) == []
    assert forge_port_problems(hv, GROUPS, PLACEMENT["forge_placement"], ROLES) == []
    assert forge_network_problems(hv, GROUPS) == []
    assert forge_secret_problems(hv, GROUPS, PLACEMENT["forge_placement"], ROLES) == []
    assert forge_capacity_problems(hv, GROUPS, SIZED) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"node_exporter_port": "abc"}, "vms-1: node_exporter_port: argument 'node_exporter_port' is of type str"),
        ({"node_exporter_port": 0}, "vms-1: node_exporter_port is 0; expected a TCP/UDP port 1-65535"),
        ({"base_sysctl_apply": "maybe"}, "vms-1: base_sysctl_apply: argument 'base_sysctl_apply' is of type str"),
        ({"base_sysctl": ["a"]}, "expected dict (roles/base/meta/argument_specs.yml)"),
    ],
)
def test_spec_problems_name_host_variable_and_form(values, expected):
    problems = forge_spec_problems(_hv(vms_1=values), GROUPS, PLACEMENT["forge_placement"], ROLES)
    assert any(expected in p for p in problems), problems


def test_spec_check_ignores_roles_not_placed_and_values_not_in_the_inventory():
    hv = _hv(dev_1={"node_exporter_port": "abc"})
    placement = {"base": ["vms_site", "dev_sites"], "node_exporter": ["vms_site"]}
    assert forge_spec_problems(hv, GROUPS, placement, ROLES) == []


def test_port_collision_names_both_claims():
    extra = [{"name": "debug", "port": 9100, "proto": "tcp", "sources": []}]
    problems = forge_port_problems(_hv(vms_1={"base_ports": extra}), GROUPS, PLACEMENT["forge_placement"], ROLES)
    assert problems == [
        "vms-1: port 9100/tcp is claimed 2 times: base debug, node_exporter node-exporter (node_exporter_port); "
        "expected each port once per host (change one of the port variables)"
    ]


def test_port_collision_follows_the_inventory_value_of_the_port_variable():
    extra = [{"name": "extra", "port": 9200, "proto": "tcp", "sources": []}]
    hv = _hv(vms_1={"base_ports": extra, "node_exporter_port": 9200})
    assert "port 9200/tcp is claimed 2 times" in forge_port_problems(hv, GROUPS, PLACEMENT["forge_placement"], ROLES)[0]


def test_same_port_on_two_protocols_is_no_collision():
    extra = [{"name": "dns", "port": 9100, "proto": "udp", "sources": []}]
    hv = _hv(vms_1={"base_ports": extra})
    assert forge_port_problems(hv, GROUPS, PLACEMENT["forge_placement"], ROLES) == []


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ([{"name": "x", "port": 0, "proto": "tcp"}], "base x: port is 0; expected a port 1-65535"),
        ([{"name": "x", "port": "http", "proto": "tcp"}], "base x: port is 'http'"),
        (["9100"], "base_ports has '9100'; expected {name, port, proto, sources}"),
    ],
)
def test_bad_port_declarations(ports, expected):
    problems = forge_port_problems(_hv(vms_1={"base_ports": ports}), GROUPS, PLACEMENT["forge_placement"], ROLES)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("nets", "expected"),
    [
        (
            {"a": "10.0.0.0/16", "b": "10.0.5.0/24"},
            "networks overlap: forge_networks.a (10.0.0.0/16) and forge_networks.b",
        ),
        ({"a": "10.0.0.1/16"}, "forge_networks.a is '10.0.0.1/16' (on vms-1); expected a network in CIDR form"),
        ({"a": "dev-lan"}, "forge_networks.a is 'dev-lan'"),
        ({"a": ["10.1.0.0/24", "10.1.0.128/25"]}, "networks overlap"),
    ],
)
def test_network_problems(nets, expected):
    problems = forge_network_problems(_hv(vms_1={"forge_networks": nets}), GROUPS)
    assert any(expected in p for p in problems), problems


def test_role_network_variables_and_lab_networks_are_checked_too():
    hv = _hv(vms_1={"wireguard_network": "10.20.1.0/24", "lab_networks": {"wan": {"subnet": "10.30.0.0/24"}}})
    problems = forge_network_problems(hv, GROUPS)
    assert problems == [
        "networks overlap: forge_networks.dev (10.20.0.0/16) and wireguard_network (10.20.1.0/24); "
        "expected disjoint subnets"
    ]


def test_the_same_network_under_two_names_is_one_network():
    hv = _hv(vms_1={"lab_networks": {"vms": {"subnet": "10.10.0.0/16"}}})
    assert forge_network_problems(hv, GROUPS) == []


def test_secret_problems_leave_the_role_defaults_to_the_secret_checks():
    """The vault variables the roles' defaults read are forge_monitoring/checks/secrets.py's (with their forms,
    `| default('')` or not: tests/unit/test_preflight_checks.py); this filter keeps the inventory's references."""
    roles = {"base": {"specs": {}, "defaults": "x: '{{ vault_db_password }}'\n"}}
    hv = _hv(vms_1={"vault_db_password": "  "})
    assert forge_secret_problems(hv, GROUPS, {"base": ["vms_site", "dev_sites"]}, roles) == []


def test_capacity_seed_host_fits_and_clickhouse_gets_the_rest():
    result = capacity(_hv(), GROUPS, SIZED)
    vms = result["vms-1"]
    assert vms["components"] == ["clickhouse", "zookeeper", "signoz", "alertmanager", "ingest", "frontend"]
    assert vms["sizing"]["components"]["clickhouse"]["memory_max_mb"] == 1536
    assert vms["retention"]["fits"] is True
    assert result["dev-1"]["sizing"]["agent_limits"]["disk_mb_per_day"] == 100
    assert "retention" not in result["dev-1"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"forge_host_resources": {**VMS, "ram_mb": 4096}}, "vms-1: forge_sizing: host vms-1 has 4096 MB RAM"),
        ({"forge_host_resources": "8GB"}, "vms-1: forge_host_resources is '8GB'; expected {ram_mb, cores, disk_gb"),
        ({"forge_host_resources": {**VMS, "cores": 0}}, "cores must be a positive number, got 0"),
        ({"forge_sizing_budgets": {"gpu": 1}}, "unknown budget 'gpu'"),
        ({"forge_host_resources": {**VMS, "disk_gb": 100}}, "vms-1: retention does not fit: needs 492.2 GB"),
        ({"forge_ingest_estimates": {"logs": {"rate": -1}}}, "vms-1: forge_retention:"),
        ({"forge_retention_policy": {"signals": {"logs": "forever"}}}, "vms-1: forge_retention:"),
    ],
)
def test_capacity_problems(values, expected):
    problems = forge_capacity_problems(_hv(vms_1=values), GROUPS, SIZED)
    assert any(expected in p for p in problems), problems


def test_overflow_can_be_accepted_explicitly():
    hv = _hv(vms_1={"forge_host_resources": {**VMS, "disk_gb": 100}, "forge_retention_allow_overflow": True})
    assert forge_capacity_problems(hv, GROUPS, SIZED) == []


def test_hosts_without_resources_are_left_to_run_time_sizing():
    hv = _hv()
    del hv["dev-1"]["forge_host_resources"]
    assert capacity(hv, GROUPS, SIZED)["dev-1"] == {"components": ["agent"], "resources": None}


def test_shards_divide_each_hosts_share():
    groups = {**GROUPS, "clickhouse": ["vms-1", "vms-2"]}
    hv = _hv()
    hv["vms-1"]["clickhouse_shard"] = 1
    hv["vms-2"] = {"forge_host_resources": VMS, "clickhouse_shard": 2}
    groups["vms_site"] = ["vms-1", "vms-2"]
    one = capacity(_hv(), GROUPS, SIZED)["vms-1"]["retention"]
    two = capacity(hv, groups, SIZED)["vms-2"]["retention"]
    assert two["shards"] == 2
    assert two["steady_state_gb"] == pytest.approx(one["steady_state_gb"] / 2)


@pytest.mark.parametrize(
    "fn",
    [forge_spec_problems, forge_port_problems, forge_secret_problems],
)
def test_malformed_arguments_raise_naming_the_filter(fn):
    with pytest.raises(FilterError, match=fn.__name__):
        fn(HOSTVARS, ["not", "a", "dict"], {}, {})
    with pytest.raises(FilterError, match=fn.__name__):
        fn(HOSTVARS, GROUPS, {}, "roles")


def test_malformed_capacity_arguments_raise_naming_the_filter():
    with pytest.raises(FilterError, match="forge_capacity_problems"):
        forge_capacity_problems(HOSTVARS, GROUPS, ["clickhouse"])
    with pytest.raises(FilterError, match="forge_network_problems"):
        forge_network_problems(HOSTVARS, None)


def test_components_follow_group_membership():
    assert host_components("dev-1", GROUPS, SIZED) == ["agent"]
    assert host_components("nowhere", GROUPS, SIZED) == []


@given(st.lists(st.integers(min_value=1, max_value=65535), min_size=1, max_size=8))
def test_exactly_the_repeated_ports_are_reported(ports):
    decl = [{"name": f"p{i}", "port": p, "proto": "tcp", "sources": []} for i, p in enumerate(ports)]
    hv = {"vms-1": {"base_ports": decl, "node_exporter_ports": []}, "dev-1": {}}
    problems = forge_port_problems(hv, GROUPS, PLACEMENT["forge_placement"], ROLES)
    repeated = {p for p in ports if ports.count(p) > 1}
    assert len(problems) == len(repeated)
    for port in repeated:
        assert any(f"port {port}/tcp is claimed {ports.count(port)} times" in p for p in problems)


@given(st.integers(min_value=8, max_value=24), st.integers(min_value=8, max_value=24))
def test_nested_networks_overlap_unless_they_are_the_same_network(a, b):
    hv = {"vms-1": {"forge_networks": {"a": f"10.0.0.0/{a}", "b": f"10.0.0.0/{b}"}}, "dev-1": {}}
    problems = forge_network_problems(hv, GROUPS)
    if a == b:
        assert problems == []  # one network under two names
    else:
        wide, narrow = sorted((a, b))
        assert problems == [
            f"networks overlap: forge_networks.{'a' if a == wide else 'b'} (10.0.0.0/{wide}) and "
            f"forge_networks.{'b' if a == wide else 'a'} (10.0.0.0/{narrow}); expected disjoint subnets"
        ]
