"""Property tests (hypothesis) for the address arithmetic of the lab plan and the verify table."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forge_monitoring import lab
from forge_monitoring.report import forge_verify_table

NETS = {"vms": ipaddress.ip_network("10.213.10.0/24"), "wan": ipaddress.ip_network("10.213.0.0/24")}
last_octet = st.integers(min_value=0, max_value=255)


def _inventory(host_octets):
    hostvars = {}
    for i, (vms, wan) in enumerate(host_octets):
        addrs = {"vms": f"10.213.10.{vms}", "wan": f"10.213.0.{wan}"}
        hostvars[f"h{i}"] = {
            "lab_name": "t",
            "lab_networks": {k: {"name": f"n-{k}", "subnet": str(n)} for k, n in NETS.items()},
            "lab_addresses": addrs,
            "ansible_host": addrs["vms"],
        }
    return {"_meta": {"hostvars": hostvars}}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(last_octet, last_octet), min_size=1, max_size=6))
def test_plan_accepts_exactly_the_valid_address_sets(host_octets):
    flat = [("vms", v) for v, _ in host_octets] + [("wan", w) for _, w in host_octets]
    valid = all(2 <= octet <= 254 for _, octet in flat) and len(set(flat)) == len(flat)
    if valid:
        plan = lab.plan_from_inventory(_inventory(host_octets))
        seen = set()
        for host in plan.hosts:
            for key, addr in host.addresses:
                ip = ipaddress.ip_address(addr)
                assert ip in NETS[key] and ip not in seen
                assert ip != next(NETS[key].hosts())  # never the bridge gateway
                seen.add(ip)
    else:
        with pytest.raises(lab.LabError):
            lab.plan_from_inventory(_inventory(host_octets))


row = st.fixed_dictionaries(
    {
        "component": st.text(min_size=1, max_size=20).filter(lambda s: "\n" not in s),
        "ok": st.booleans(),
        "endpoint": st.text(max_size=25).filter(lambda s: "\n" not in s),
        "detail": st.text(max_size=60).filter(lambda s: "\n" not in s and "\r" not in s),
    }
)


@settings(max_examples=200, deadline=None)
@given(st.lists(row, max_size=8))
def test_verify_table_is_rectangular_and_counts_every_row(rows):
    lines = forge_verify_table(rows, "host").split("\n")
    body = lines[1:-1]
    assert len({len(line) for line in body}) == 1
    ok = sum(1 for r in rows if r["ok"])
    assert lines[-1] == f"{ok} ok, {len(rows) - ok} failed"
