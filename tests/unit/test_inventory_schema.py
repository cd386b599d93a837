"""forge_monitoring/schema.py and its file: in agreement with the roles' argument specs, and each format and
shape refusing the operator mistakes of its class."""

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring import schema

SCHEMA = schema.load()
PROPS = SCHEMA["properties"]


def problems(**values):
    return schema.host_problems("h", values)


def test_the_committed_schema_is_the_generated_one():
    """Regenerate with `python -m forge_monitoring.schema` after changing an argument spec or OVERLAY."""
    assert json.loads(json.dumps(schema.build())) == SCHEMA


OPTIONS = schema.role_options()


@pytest.mark.parametrize("var", sorted(OPTIONS))
def test_every_role_option_is_in_the_schema_with_its_type_and_choices(var):
    role, option = OPTIONS[var]
    prop = PROPS[var]
    kind = option.get("type", "str")
    if option.get("choices"):
        assert set(prop["enum"]) == set(option["choices"]), f"roles/{role}: {var} choices differ"
    elif "type" in prop and kind in schema.SPEC_TYPES:
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        assert schema.SPEC_TYPES[kind] in types, f"roles/{role}: {var} is {kind} in its argument spec"
    if kind == "list" and option.get("elements") in schema.SPEC_TYPES and "items" in prop:
        assert prop["items"].get("type", schema.SPEC_TYPES[option["elements"]]) == schema.SPEC_TYPES[option["elements"]]


def test_the_schema_is_valid_json_schema():
    schema.validator().check_schema(SCHEMA)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"forge_domain": "https://example.com"}, "h: forge_domain is 'https://example.com'; expected a DNS name"),
        ({"forge_domain": "example.com/x"}, "expected a DNS name without scheme or path"),
        ({"frontend_server_aliases": "vms-1"}, "h: frontend_server_aliases is 'vms-1'; expected a list"),
        ({"base_apt_mirror": "deb.debian.org/debian"}, "expected an http(s):// URL or an empty string"),
        ({"signoz_external_url": "monitoring.example.com"}, "expected a URL with its scheme"),
        ({"base_timezone": "Europe/Londn"}, "h: base_timezone is 'Europe/Londn'; expected a time zone name"),
        ({"base_timezone": "utc"}, "expected a time zone name"),
        ({"forge_authorized_users": [{"github": "a", "role": "owner"}]}, "forge_authorized_users[0].role is 'owner'"),
        (
            {"signoz_users": [{"email": "a@b.example", "role": "root"}]},
            "signoz_users[0].role is 'root'; expected one of",
        ),
        ({"forge_authorized_users": [{"github": "a", "role": "admin", "rol": "x"}]}, "has unknown key(s) rol"),
        ({"forge_retention_headroom": 20}, "forge_retention_headroom is 20; expected a fraction"),
        ({"forge_retention_policy": {"classes": {"compliance": "1y"}}}, "classes.compliance is '1y'"),
        ({"forge_ingest_estimates": {"log": {"monthly_gb": 1}}}, "has the key 'log'; expected keys one of traces"),
        ({"forge_host_resources": {"ram_mb": 8192, "cores": 4}}, "forge_host_resources lacks 'disk_gb'"),
        (
            {"firewall_admin_networks": ["10.0.0.1/24"]},
            "firewall_admin_networks[0] is '10.0.0.1/24'; expected a network",
        ),
        ({"wireguard_cidr": "10.250.0.0"}, "wireguard_cidr is '10.250.0.0'; expected a network in CIDR form"),
        ({"clickhouse_listen_address": "0.0.0.0"}, "never a wildcard"),
        ({"forge_coordinator": "zk"}, "forge_coordinator is 'zk'; expected one of zookeeper, keeper"),
        ({"pki_key_type": "DSA"}, "pki_key_type is 'DSA'; expected one of ECC, RSA"),
        ({"node_exporter_port": 70000}, "node_exporter_port is 70000; expected a TCP/UDP port 1-65535"),
        ({"base_directories": [{"path": "etc/forge", "mode": "0755"}]}, "base_directories[0].path is 'etc/forge'"),
        ({"pki_certificates": [{"name": "a", "usage": "both", "common_name": "x"}]}, "pki_certificates[0].usage"),
        ({"wireguard_endpoint": "udp://hub.example.com"}, "expected a DNS name or an IP address"),
    ],
)
def test_a_mistake_is_refused_with_its_expected_form(values, expected):
    found = " | ".join(problems(**values))
    assert expected in found, found


def test_every_problem_is_reported_at_once():
    assert len(problems(forge_env="prod", forge_domain="https://x", base_timezone="Mars/Olympus")) == 3


@pytest.mark.parametrize(
    "values",
    [
        {"forge_domain": "example.com", "base_timezone": "Europe/London", "base_apt_mirror": ""},
        {"frontend_server_aliases": ["vms-1", "monitoring.example.com"], "wireguard_endpoint": "10.0.0.1"},
        {"forge_retention_headroom": 0.2, "forge_retention_policy": {"classes": {"trading": 183}}},
        {"forge_ingest_estimates": {"logs": {"rate": 150, "bytes": 500, "compression": 10}}},
    ],
)
def test_good_values_pass(values):
    assert problems(**values) == []


@given(st.ip_addresses(v=4), st.integers(min_value=8, max_value=30))
def test_cidr_format_accepts_a_network_and_refuses_host_bits(address, prefix):
    net = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    assert problems(wireguard_cidr=str(net)) == []
    if str(address) != str(net.network_address):
        assert problems(wireguard_cidr=f"{address}/{prefix}")


@given(st.floats(min_value=0, max_value=0.999, allow_nan=False), st.integers(min_value=1, max_value=500))
def test_headroom_is_a_fraction(fraction, percent):
    assert problems(forge_retention_headroom=fraction) == []
    assert problems(forge_retention_headroom=percent)
