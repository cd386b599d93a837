"""forge_monitoring/checks: the cross-host invariants on plain-dict inventories (hostvars as dicts, groups as
lists), each class refusing its mistakes and passing a good inventory; hypothesis where there is arithmetic."""

import copy
import ipaddress
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.checks import Inventory, addresses, invariant_problems, names, retention, secrets, topology
from forge_monitoring.checks import roles as role_checks

ROOT = Path(__file__).resolve().parents[2]
PLACEMENT = yaml.safe_load((ROOT / "playbooks/vars/placement.yml").read_text())["forge_placement"]
ROLES = {
    r: {"specs": {}, "defaults": (ROOT / "roles" / r / "defaults/main.yml").read_text()}
    for r in PLACEMENT
    if (ROOT / "roles" / r).is_dir()
}
VAULT = {
    "vault_clickhouse_signoz_password": "signoz-Password-1",
    "vault_clickhouse_admin_password": "admin-Password-1",
    "vault_signoz_jwt_secret": "j" * 40,
    "vault_signoz_root_password": "Root-Passw0rd-ok",
    "vault_frontend_oauth_client_id": "client-id",
    "vault_frontend_oauth_client_secret": "client-secret",
    "vault_frontend_oauth_cookie_secret": "c" * 32,
    "vault_pki_ca_passphrase": "p" * 20,
}
COMMON = {
    "forge_env": "production",
    "forge_networks": {"vms_site": "10.10.0.0/16", "dev_sites": "10.20.0.0/16"},
    "wireguard_cidr": "10.250.0.0/24",
    "firewall_admin_networks": ["10.0.0.0/24"],
    "forge_authorized_users": [{"github": "ops", "email": "ops@example.com", "role": "admin"}],
    **VAULT,
}
GROUPS = {
    "all": ["vms-1", "dev-1", "dev-2"],
    "ungrouped": [],
    "vms_site": ["vms-1"],
    "dev_sites": ["dev-1", "dev-2"],
    **{g: ["vms-1"] for g in ("clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub")},
    "agents": ["dev-1", "dev-2"],
    "vpn_spokes": ["dev-1", "dev-2"],
}
ADDR = {"vms-1": "10.10.0.11", "dev-1": "10.20.0.21", "dev-2": "10.20.0.22"}


def inventory(**per_host):
    hv = {h: {**COMMON, "forge_private_address": a, **per_host.get(h.replace("-", "_"), {})} for h, a in ADDR.items()}
    return hv, copy.deepcopy(GROUPS)


def run(module, hv, groups):
    return module.problems(Inventory(hv, groups, PLACEMENT, ROLES))


def test_a_good_inventory_has_no_problems():
    assert invariant_problems(*inventory(), PLACEMENT, ROLES) == []


# addresses
def test_an_address_outside_its_site_is_refused():
    out = run(addresses, *inventory(dev_1={"forge_private_address": "10.10.0.21"}))
    assert out == [
        "dev-1: forge_private_address is 10.10.0.21; expected an address inside its site's network "
        "forge_networks.dev_sites (10.20.0.0/16)"
    ]


def test_one_address_on_two_hosts_is_refused():
    out = run(addresses, *inventory(dev_2={"forge_private_address": "10.20.0.21"}))
    assert out == ["forge_private_address 10.20.0.21 is set on dev-1, dev-2; expected a different address per host"]


def test_an_address_inside_the_tunnel_is_refused():
    hv, groups = inventory(dev_1={"forge_private_address": "10.250.0.9"})
    hv["dev-1"]["forge_networks"] = {"vms_site": "10.10.0.0/16", "dev_sites": ["10.20.0.0/16", "10.250.0.0/24"]}
    assert any("inside the tunnel network wireguard_cidr" in p for p in run(addresses, hv, groups))


def test_the_default_tunnel_network_counts_too():
    hv, groups = inventory()
    for h in hv.values():
        h.pop("wireguard_cidr")
        h["forge_networks"] = {"vms_site": "10.99.0.0/16", "dev_sites": "10.20.0.0/16"}
        h["forge_private_address"] = "10.99.0.11" if h is hv["vms-1"] else h["forge_private_address"]
    assert any("the default wireguard_cidr (10.99.0.0/24" in p for p in run(addresses, hv, groups))


@given(st.ip_addresses(v=4), st.integers(min_value=8, max_value=30), st.ip_addresses(v=4))
def test_an_address_is_refused_exactly_when_its_site_network_lacks_it(base, prefix, address):
    net = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
    hv, groups = inventory(dev_1={"forge_private_address": str(address)})
    for h in hv.values():
        h["forge_networks"] = {"dev_sites": str(net)}
    flagged = [p for p in run(addresses, hv, groups) if p.startswith("dev-1:") and "its site's network" in p]
    assert bool(flagged) == (address not in net)


# topology
def test_no_coordinator_host_is_refused():
    hv, groups = inventory()
    groups["zookeeper"] = []
    assert run(topology, hv, groups) == [
        "group zookeeper: has no hosts; expected at least one in a production inventory "
        "(roles/zookeeper is part of the monitoring site)"
    ]


def test_a_lab_may_deploy_part_of_the_site_but_what_it_deploys_has_what_it_needs():
    """The ClickHouse test scenario: the data tier alone, a dev host on the WAN without a tunnel. Allowed outside
    production; ClickHouse without a coordinator is not, anywhere."""
    hv, groups = inventory()
    for values in hv.values():
        values["forge_env"] = "lab"
    for group in ("signoz", "ingest", "frontend", "vpn_hub", "vpn_spokes"):
        groups[group] = []
    assert run(topology, hv, groups) == []
    groups["zookeeper"] = []
    assert run(topology, hv, groups) == [
        "group zookeeper: has no hosts; expected at least one, as group clickhouse has hosts "
        "(roles/clickhouse needs roles/zookeeper)"
    ]
    groups["zookeeper"], groups["signoz"], groups["clickhouse"] = ["vms-1"], ["vms-1"], []
    assert run(topology, hv, groups) == [
        "group clickhouse: has no hosts; expected at least one, as group signoz has hosts "
        "(roles/signoz needs roles/clickhouse)"
    ]


@given(st.integers(min_value=1, max_value=7))
def test_the_ensemble_needs_an_odd_size(size):
    hv, groups = inventory()
    extra = [f"zk-{i}" for i in range(size - 1)]
    for i, h in enumerate(extra):
        hv[h] = {**COMMON, "forge_private_address": f"10.10.1.{i + 1}"}
    groups["zookeeper"] = ["vms-1", *extra]
    out = [p for p in run(topology, hv, groups) if p.startswith("group zookeeper")]
    assert bool(out) == (size % 2 == 0)


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=6))
def test_shards_are_numbered_without_gaps(shards):
    hv, groups = inventory()
    hosts = [f"ch-{i}" for i in range(len(shards))]
    for i, (h, shard) in enumerate(zip(hosts, shards, strict=True)):
        hv[h] = {**COMMON, "forge_private_address": f"10.10.2.{i + 1}", "clickhouse_shard": shard}
    groups["clickhouse"] = hosts
    out = [p for p in run(topology, hv, groups) if p.startswith("group clickhouse")]
    numbers = sorted(set(shards))
    counts = {shards.count(n) for n in numbers}
    assert bool(out) == (numbers != list(range(1, len(numbers) + 1)) or len(counts) > 1)


def test_vpn_hub_spokes_and_unknown_groups():
    hv, groups = inventory()
    groups["vpn_hub"] = ["vms-1", "dev-1"]
    groups["vpn_spokes"] = ["dev-1"]
    groups["agent"] = ["dev-2"]
    out = run(topology, hv, groups)
    assert "group agent: unknown group name (did you mean agents?)" in out[0]
    assert any(p.startswith("group vpn_hub: has 2 host(s)") for p in out)
    assert "dev-1: is in both vpn_hub and vpn_spokes; expected one of them" in out
    assert any(p.startswith("dev-2: is in agents but not in vpn_spokes") for p in out)


# secrets
@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("vault_signoz_jwt_secret", "x" * 31, "it is 31 characters long; expected at least 32"),
        ("vault_signoz_root_password", "alllowercase-1", "it lacks an upper-case letter"),
        ("vault_frontend_oauth_cookie_secret", "x" * 20, "expected 16, 24 or 32 bytes"),
        ("vault_pki_ca_passphrase", "short", "expected at least 16"),
        ("vault_clickhouse_admin_password", "Admin-1", "expected at least 12"),
        ("vault_frontend_oauth_client_id", "", "is empty"),
    ],
)
def test_a_secret_of_the_wrong_form_is_refused_without_showing_it(name, value, expected):
    hv, groups = inventory()
    for h in hv.values():
        h[name] = value
    out = run(secrets, hv, groups)
    assert any(name in p and expected in p for p in out), out
    assert all(value not in p for p in out if value)


def test_a_default_empty_reference_is_checked_too():
    """frontend_oauth_client_secret reads `vault_frontend_oauth_client_secret | default('')`: it is still needed."""
    hv, groups = inventory()
    for h in hv.values():
        h.pop("vault_frontend_oauth_client_secret")
    assert run(secrets, hv, groups) == [
        "vms-1: vault_frontend_oauth_client_secret (read by roles/frontend as frontend_oauth_client_secret) is not "
        "defined; expected a vault-encrypted string in inventories/<env>/group_vars/all/vault.yml "
        "(ansible-vault encrypt_string)"
    ]


def test_secrets_needed_only_when_their_feature_is_on():
    hv, groups = inventory(vms_1={"frontend_oauth_enabled": False, "pki_ca_source": "files"})
    for name in ("vault_frontend_oauth_cookie_secret", "vault_pki_ca_passphrase"):
        hv["vms-1"].pop(name)
    assert [p for p in run(secrets, hv, groups) if p.startswith("vms-1")] == []
    hv["vms-1"]["signoz_sqlstore_provider"] = "postgres"
    assert any("vault_signoz_postgres_dsn" in p for p in run(secrets, hv, groups))


def test_a_role_variable_set_in_the_inventory_is_checked_in_place_of_its_vault_variable():
    hv, groups = inventory(vms_1={"signoz_jwt_secret": "short"})
    assert any(p.startswith("vms-1: signoz_jwt_secret (roles/signoz): it is 5") for p in run(secrets, hv, groups))


def test_the_two_clickhouse_passwords_differ():
    hv, groups = inventory()
    hv["vms-1"]["vault_clickhouse_admin_password"] = hv["vms-1"]["vault_clickhouse_signoz_password"]
    assert any("are the same" in p for p in run(secrets, hv, groups))


# names
def test_a_misspelled_variable_is_named_with_its_likely_meaning():
    hv, groups = inventory(vms_1={"clickhouse_cold_disk_pth": "/srv/cold"})
    assert run(names, hv, groups) == [
        "vms-1: clickhouse_cold_disk_pth is not a variable any role or play reads; did you mean "
        "clickhouse_cold_disk_path? (expected a documented variable: roles/*/meta/argument_specs.yml, "
        "docs/preflight.md)"
    ]


# retention
@given(st.integers(min_value=1, max_value=4000), st.integers(min_value=1, max_value=4000))
def test_compliance_is_never_kept_shorter_than_trading(trading, compliance):
    policy = {"classes": {"trading": trading, "compliance": compliance}}
    hv, groups = inventory(vms_1={"forge_retention_policy": policy})
    out = run(retention, hv, groups)
    assert bool(out) == (compliance < trading)


def test_logs_stay_in_the_compliance_class():
    hv, groups = inventory(vms_1={"forge_retention_policy": {"signals": {"logs": "trading"}}})
    assert run(retention, hv, groups) == [
        "vms-1: forge_retention_policy.signals.logs is 'trading'; expected compliance (logs are the compliance "
        "record, kept 365 days)"
    ]


@given(st.integers(min_value=0, max_value=5000), st.booleans())
def test_a_cold_size_and_a_cold_mount_point_go_together(cold_gb, with_path):
    res = {"ram_mb": 8192, "cores": 4, "disk_gb": 500, "cold_disk_gb": cold_gb}
    extra = {"clickhouse_cold_disk_path": "/srv/cold/"} if with_path else {}
    hv, groups = inventory(vms_1={"forge_host_resources": res, **extra})
    assert bool(run(retention, hv, groups)) == ((cold_gb > 0) != with_path)


# the roles' inventory-only checks, moved from roles/*/tasks/preflight.yml
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"firewall_rollback_timeout": 35}, "firewall_rollback_timeout is 35; expected more than"),
        ({"firewall_admin_networks": []}, "firewall_admin_networks is []; expected the controller's networks"),
        ({"pki_renew_days": 400}, "pki_renew_days is 400, pki_cert_valid_days 365"),
        ({"zookeeper_4lw_whitelist": ["mntr"]}, "zookeeper_4lw_whitelist is ['mntr']; expected it to keep ruok"),
        ({"clickhouse_admin_user": "signoz"}, "clickhouse_signoz_user and clickhouse_admin_user are both 'signoz'"),
        ({"signoz_ingest_http_port": 4317}, "signoz_ingest_grpc_port=4317, signoz_ingest_http_port=4317"),
        ({"frontend_alt_https_port": 443}, "frontend_https_port=443, frontend_alt_https_port=443"),
        ({"frontend_tls_cert_src": "files/x.pem"}, "frontend_tls_cert_src is 'files/x.pem' and frontend_tls_key_src"),
        ({"base_chrony_pools": [], "base_chrony_servers": []}, "expected a time source"),
    ],
)
def test_role_rules_on_the_controller(values, expected):
    hv, groups = inventory(vms_1=values)
    out = run(role_checks, hv, groups)
    assert any(p.startswith("vms-1: ") and expected in p for p in out), out


def test_the_lab_and_production_inventories_hold_no_unknown_variables():
    for env in ("lab", "production"):
        for path in (ROOT / "inventories" / env).rglob("*.yml"):
            data = yaml.safe_load(path.read_text()) or {}
            if path.name == "hosts.yml" or not isinstance(data, dict):
                continue
            hv = {"h": data}
            assert run(names, hv, {"vms_site": ["h"]}) == [], path


def test_the_oauth_gate_needs_its_users():
    hv, groups = inventory(vms_1={"forge_authorized_users": []})
    assert any("forge_authorized_users is empty" in p for p in run(role_checks, hv, groups))
    hv["vms-1"]["frontend_oauth_enabled"] = False
    assert run(role_checks, hv, groups) == []
