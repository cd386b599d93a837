import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.firewall import forge_firewall_rules

BASE = [{"name": "ntp", "port": 123, "proto": "udp", "sources": ["10.213.0.0/24"]}]


def test_rules_from_ports_and_admin_networks():
    ports = BASE + [
        {"name": "node-exporter", "port": 9100, "proto": "tcp", "sources": []},
        {"name": "otlp-grpc", "port": 4317, "proto": "tcp", "sources": ["10.213.200.0/24"], "interface": "wg0"},
    ]
    rules = forge_firewall_rules(ports, ["10.213.10.1/32", "2001:db8::/64"], 22)
    assert rules == [
        {"name": "ssh-admin", "proto": "tcp", "port": 22, "interface": "", "v4": ["10.213.10.1/32"],
         "v6": ["2001:db8::/64"]},
        {"name": "otlp-grpc", "proto": "tcp", "port": 4317, "interface": "wg0", "v4": ["10.213.200.0/24"], "v6": []},
        {"name": "ntp", "proto": "udp", "port": 123, "interface": "", "v4": ["10.213.0.0/24"], "v6": []},
    ]  # fmt: skip


def test_host_local_ports_get_no_rule_and_no_admin_means_no_ssh():
    assert forge_firewall_rules([{"name": "ch", "port": 9000, "proto": "tcp", "sources": []}]) == []


def test_same_port_merges_and_overlaps_collapse():
    ports = [
        {"name": "a", "port": "443", "proto": "tcp", "sources": ["10.0.0.0/24", "10.0.0.7"]},
        {"name": "b", "port": 443, "proto": "tcp", "sources": ["10.0.1.0/24"]},
    ]
    (rule,) = forge_firewall_rules(ports)
    assert rule["name"] == "a,b" and rule["port"] == 443
    assert rule["v4"] == ["10.0.0.0/23"]  # nft refuses overlapping intervals in one set


@pytest.mark.parametrize(
    "entry,msg",
    [
        ("x", "must be a mapping"),
        ({"port": 1, "proto": "tcp", "sources": []}, "name must be"),
        ({"name": "x", "port": 0, "proto": "tcp", "sources": []}, "1-65535"),
        ({"name": "x", "port": 70000, "proto": "tcp", "sources": []}, "1-65535"),
        ({"name": "x", "port": True, "proto": "tcp", "sources": []}, "1-65535"),
        ({"name": "x", "port": 1, "proto": "sctp", "sources": []}, "tcp or udp"),
        ({"name": "x", "port": 1, "proto": "tcp", "sources": "10.0.0.0/8"}, "list of CIDR"),
        ({"name": "x", "port": 1, "proto": "tcp", "sources": ["10.0.0.300/8"]}, "not an IP network"),
        ({"name": "x", "port": 1, "proto": "tcp", "sources": ["10.0.0.0/8"], "interface": "wg0 ; drop"}, "interface"),
    ],
)
def test_invalid_declarations_are_named(entry, msg):
    with pytest.raises(FilterError, match=f"forge_firewall_rules: .*{msg}"):
        forge_firewall_rules([entry])


def test_not_a_list():
    with pytest.raises(FilterError, match="forge_firewall_rules: expected a list"):
        forge_firewall_rules({"name": "x"})


_nets = st.builds(
    lambda a, p: str(ipaddress.ip_network(f"{ipaddress.IPv4Address(a)}/{p}", strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
)
_ports = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["a", "b", "c"]),
            "port": st.integers(1, 65535),
            "proto": st.sampled_from(["tcp", "udp"]),
            "sources": st.lists(_nets, max_size=5),
        }
    ),
    max_size=8,
)


@given(_ports, st.randoms())
def test_properties_order_free_exact_cover_no_overlap(ports, rnd):
    rules = forge_firewall_rules(ports)
    shuffled = list(ports)
    rnd.shuffle(shuffled)
    assert forge_firewall_rules(shuffled) == rules
    for rule in rules:
        nets = [ipaddress.ip_network(n) for n in rule["v4"]]
        # no two networks of one set overlap
        assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
        declared = [
            ipaddress.ip_network(s, strict=False)
            for p in ports
            if (p["proto"], p["port"]) == (rule["proto"], rule["port"])
            for s in p["sources"]
        ]
        # every declared source is covered, and the rule covers nothing that was not declared
        assert all(any(d.subnet_of(n) for n in nets) for d in declared)
        assert sum(n.num_addresses for n in nets) == sum(
            d.num_addresses for d in ipaddress.collapse_addresses(declared)
        )
