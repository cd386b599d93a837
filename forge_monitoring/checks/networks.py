"""Declared networks: valid CIDRs that do not overlap a different declared network (filter forge_network_problems)."""

from __future__ import annotations

import ipaddress
import re

from forge_monitoring.errors import need
from forge_monitoring.hostvars import hostvar, managed_hosts

NETWORK_VAR = re.compile(r"^[a-z][a-z0-9_]*_(network|cidr)$")


def forge_network_problems(hostvars, groups):
    """Declared networks that are not valid CIDRs, or that overlap a different declared network.

    Read from every managed host: forge_networks ({name: CIDR | [CIDR]}), lab_networks ({name: {subnet}})
    and variables named *_network or *_cidr holding one CIDR. The same CIDR under two names is one network.
    """
    need("forge_network_problems", groups, dict, "groups as a dict")
    problems, declared, invalid = [], {}, {}
    for host in managed_hosts(groups):
        hv = hostvars[host]
        for name, value in _network_decls(hv):
            try:
                net = ipaddress.ip_network(str(value), strict=True)
            except ValueError:
                invalid.setdefault((name, str(value)), []).append(host)
                continue
            declared.setdefault(net, set()).add(name)
    for (name, value), hosts in invalid.items():
        problems.append(
            f"{name} is {value!r} (on {', '.join(hosts)}); expected a network in CIDR form like 10.20.0.0/16"
        )
    nets = sorted(declared, key=lambda n: (n.version, n.network_address, n.prefixlen))
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            if a.version == b.version and a.overlaps(b):
                problems.append(
                    f"networks overlap: {' = '.join(sorted(declared[a]))} ({a}) and "
                    f"{' = '.join(sorted(declared[b]))} ({b}); expected disjoint subnets"
                )
    return problems


def _network_decls(hv):
    nets = hostvar(hv, "forge_networks", {}) or {}
    if isinstance(nets, dict):
        for name, value in nets.items():
            for one in value if isinstance(value, list) else [value]:
                yield f"forge_networks.{name}", one
    else:
        yield "forge_networks", nets
    lab = hostvar(hv, "lab_networks", {}) or {}
    if isinstance(lab, dict):
        for name, value in lab.items():
            if isinstance(value, dict) and "subnet" in value:
                yield f"lab_networks.{name}", value["subnet"]
    for key in hv:
        if isinstance(key, str) and NETWORK_VAR.match(key) and not key.startswith("__"):
            value = hostvar(hv, key)
            if isinstance(value, str):
                yield key, value
