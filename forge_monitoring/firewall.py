"""Filter for the firewall role: the ports contract (`<role>_ports`) -> nftables accept rules."""

from __future__ import annotations

import ipaddress
import re

from forge_monitoring.errors import FilterError

_IFACE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_PROTOS = ("tcp", "udp")


def _err(msg):
    return FilterError(f"forge_firewall_rules: {msg}")


def _port(value, where):
    if isinstance(value, bool):
        raise _err(f"{where}: port must be an integer 1-65535, got {value!r}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value < 65536:
        raise _err(f"{where}: port must be an integer 1-65535, got {value!r}")
    return value


def _networks(sources, where):
    if isinstance(sources, str) or not isinstance(sources, (list, tuple)):
        raise _err(f"{where}: sources must be a list of CIDR strings, got {sources!r}")
    nets = []
    for src in sources:
        try:
            nets.append(ipaddress.ip_network(str(src).strip(), strict=False))
        except ValueError as exc:
            raise _err(f"{where}: source {src!r} is not an IP network in CIDR form ({exc})") from exc
    return nets


def _collapse(nets, version):
    return [str(n) for n in ipaddress.collapse_addresses(n for n in nets if n.version == version)]


def forge_firewall_rules(ports, admin_networks=(), ssh_port=22):
    """Validate the ports contract and merge it into sorted accept rules.

    ports: list of {name, port, proto: tcp|udp, sources: [CIDR], interface: optional iface}.
    sources [] means host-local only: no rule. SSH (ssh_port/tcp) from admin_networks is added.
    Returns [{name, proto, port, interface, v4: [CIDR], v6: [CIDR]}] with overlapping sources
    collapsed (nftables refuses overlapping intervals in one set), sorted by proto, port, interface.
    """
    if not isinstance(ports, (list, tuple)):
        raise _err(f"expected a list of port declarations, got {type(ports).__name__}")
    entries = list(ports)
    if admin_networks:
        entries.append({"name": "ssh-admin", "port": ssh_port, "proto": "tcp", "sources": list(admin_networks)})
    merged = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _err(f"entry {i} must be a mapping {{name, port, proto, sources}}, got {entry!r}")
        name = entry.get("name")
        where = f"entry {i} ({name!r})"
        if not isinstance(name, str) or not name.strip():
            raise _err(f"{where}: name must be a non-empty string")
        port = _port(entry.get("port"), where)
        proto = entry.get("proto")
        if proto not in _PROTOS:
            raise _err(f"{where}: proto must be tcp or udp, got {proto!r}")
        iface = entry.get("interface") or ""
        if iface and (not isinstance(iface, str) or not _IFACE.match(iface)):
            raise _err(f"{where}: interface must be an interface name (up to 15 characters), got {iface!r}")
        nets = _networks(entry.get("sources", None), where)
        if not nets:
            continue  # host-local only
        key = (proto, port, iface)
        rule = merged.setdefault(key, {"names": [], "nets": []})
        if name not in rule["names"]:
            rule["names"].append(name)
        rule["nets"].extend(nets)
    out = []
    for (proto, port, iface), rule in sorted(merged.items()):
        out.append(
            {
                "name": ",".join(sorted(rule["names"])),
                "proto": proto,
                "port": port,
                "interface": iface,
                "v4": _collapse(rule["nets"], 4),
                "v6": _collapse(rule["nets"], 6),
            }
        )
    return out
