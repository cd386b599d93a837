"""Addresses: each host's private address inside its site's network and outside the tunnel, unique across hosts;
the tunnel network disjoint from the site networks even when it is the role's default (the declared networks'
overlaps, and the lab's container networks, are checks/networks.py forge_network_problems)."""

from __future__ import annotations

import ipaddress

from forge_monitoring.hostvars import UNSET

SITES = ("vms_site", "dev_sites")
LAB_SITE_NETWORK = {"vms_site": "vms", "dev_sites": "dev"}


def _ip(value):
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


def _nets(value):
    nets = []
    for one in value if isinstance(value, list) else [value]:
        try:
            nets.append(ipaddress.ip_network(str(one), strict=True))
        except ValueError:
            return []  # the schema reports it
    return nets


def _site_networks(inv, host, site):
    """(variable name, [networks]) of the host's site: forge_networks.<site>, else the lab's container network."""
    nets = inv.var(host, "forge_networks")
    if isinstance(nets, dict) and site in nets:
        return f"forge_networks.{site}", _nets(nets[site])
    lab = inv.var(host, "lab_networks")
    key = LAB_SITE_NETWORK[site]
    if isinstance(lab, dict) and isinstance(lab.get(key), dict) and "subnet" in lab[key]:
        return f"lab_networks.{key}.subnet", _nets(lab[key]["subnet"])
    return None, []


def problems(inv):
    out = []
    seen = {}
    for host in inv.managed:
        raw = inv.var(host, "forge_private_address")
        addr = _ip(raw) if raw is not UNSET else None
        if addr is None:
            continue  # missing or malformed: forge_inventory_problems and the schema say so
        seen.setdefault(addr, []).append(host)
        for site in SITES:
            if host not in inv.groups.get(site, []):
                continue
            name, nets = _site_networks(inv, host, site)
            if nets and not any(addr in net for net in nets):
                out.append(
                    f"{host}: forge_private_address is {addr}; expected an address inside its site's network "
                    f"{name} ({', '.join(map(str, nets))})"
                )
        tunnel = inv.value(host, "wireguard", "wireguard_cidr")
        tunnel_nets = _nets(tunnel) if isinstance(tunnel, str) else []
        if tunnel_nets and addr in tunnel_nets[0]:
            out.append(
                f"{host}: forge_private_address is {addr}, inside the tunnel network wireguard_cidr ({tunnel}); "
                "expected the host's address on its site's network"
            )
    for addr, hosts in sorted(seen.items()):
        if len(hosts) > 1:
            out.append(
                f"forge_private_address {addr} is set on {', '.join(hosts)}; expected a different address per host"
            )
    out += _default_tunnel_overlap(inv)
    return out


def _default_tunnel_overlap(inv):
    """The role's default wireguard_cidr (not in the inventory: not a declared network) against the sites."""
    out = []
    hubs = inv.hosts("vpn_hub", "vpn_spokes")
    if not hubs or inv.var(hubs[0], "wireguard_cidr") is not UNSET:
        return out
    default = inv.defaults("wireguard").get("wireguard_cidr")
    tunnel = _nets(default) if isinstance(default, str) else []
    if not tunnel:
        return out
    nets = inv.var(hubs[0], "forge_networks")
    for site, value in nets.items() if isinstance(nets, dict) else []:
        for net in _nets(value):
            if net.version == tunnel[0].version and net.overlaps(tunnel[0]):
                out.append(
                    f"networks overlap: forge_networks.{site} ({net}) and the default wireguard_cidr ({default}, "
                    "roles/wireguard); expected disjoint subnets (set wireguard_cidr)"
                )
    return out
