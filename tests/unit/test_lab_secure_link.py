"""The lab inventory's firewall and WireGuard values agree with the lab's own networks, so
`scripts/lab up` (site.yml over SSH from this machine) neither locks the controller out nor
points the spokes at an address the hub does not have."""

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hostvars():
    exe = Path(sys.executable).parent / "ansible-inventory"
    out = subprocess.run(
        [str(exe), "-i", str(ROOT / "inventories" / "lab"), "--list"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)["_meta"]["hostvars"]


def _gateway(subnet):
    # lab.py creates the bridges with --subnet only: Docker gives the bridge (the
    # controller's side) the first address, and SSH from the controller comes from it
    return next(ipaddress.ip_network(subnet).hosts())


def test_ssh_from_the_controller_is_in_the_admin_networks(hostvars):
    for name, hv in hostvars.items():
        admin = [ipaddress.ip_network(n) for n in hv["firewall_admin_networks"]]
        site = next(k for k in hv["lab_addresses"] if k != "wan")
        subnet = ipaddress.ip_network(hv["lab_networks"][site]["subnet"])
        assert ipaddress.ip_address(hv["ansible_host"]) in subnet, name
        gateway = _gateway(subnet)
        assert any(gateway in net for net in admin), f"{name}: SSH from {gateway} would be dropped"
        # nothing else on the site LAN, nor the WAN, gets SSH
        assert all(net.num_addresses == 1 for net in admin), admin


def test_spokes_dial_the_hub_on_its_wan_address(hostvars):
    hub = hostvars["vms-1"]
    wan = ipaddress.ip_network(hub["lab_networks"]["wan"]["subnet"])
    assert hub["wireguard_endpoint"] == hub["lab_addresses"]["wan"]
    for name in ("dev-1", "dev-2"):
        spoke_wan = ipaddress.ip_address(hostvars[name]["lab_addresses"]["wan"])
        assert spoke_wan in wan
        assert any(spoke_wan in ipaddress.ip_network(n) for n in hub["wireguard_listen_sources"]), name


def test_tunnel_network_overlaps_no_lab_network(hostvars):
    hv = hostvars["vms-1"]
    tunnel = ipaddress.ip_network(hv["wireguard_cidr"])
    for net in hv["lab_networks"].values():
        assert not tunnel.overlaps(ipaddress.ip_network(net["subnet"])), net
