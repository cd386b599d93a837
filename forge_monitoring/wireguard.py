"""Filter for the wireguard role: deterministic tunnel addresses from a CIDR."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re

from forge_monitoring.errors import FilterError


def _err(msg):
    return FilterError(f"forge_wg_addresses: {msg}")


def _check_names(spokes, hubs):
    for label, value in (("spokes", spokes), ("hubs", hubs)):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise _err(f"{label} must be a list of host names, got {value!r}")
    names = list(hubs) + list(spokes)
    if any(not isinstance(n, str) or not n for n in names):
        raise _err(f"host names must be non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise _err(f"a host appears twice among hubs and spokes: {sorted(names)}")
    return names


def _pin(pinned, names, first, last, cidr):
    out, used = {}, set()
    for name, addr in sorted(dict(pinned or {}).items()):
        if name not in names:
            continue
        try:
            ip = int(ipaddress.ip_address(str(addr)))
        except ValueError as exc:
            raise _err(f"pinned address of {name} is not an IP address: {addr!r}") from exc
        if not first <= ip <= last:
            raise _err(f"pinned address {addr} of {name} is not a usable host address of {cidr}")
        if ip in used:
            raise _err(f"pinned address {addr} of {name} is already pinned to another host")
        out[name] = ip
        used.add(ip)
    return out, used


def forge_wg_addresses(spokes, cidr, hubs=(), pinned=None):
    """Tunnel address of every hub and spoke, as {name: "a.b.c.d"}.

    hubs take the first host addresses of the CIDR in the order given (the hub is .1);
    each spoke starts at an offset derived from sha256 of its name and takes the next
    free address, spokes handled in name order. The result depends only on the set of
    spoke names, never on their order, so every host computes the same map. A spoke keeps
    its address when others are added unless a new name collides with it; pin addresses
    (pinned: {name: address}) to freeze them.
    """
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as exc:
        raise _err(f"cidr {cidr!r} is not a network in CIDR form ({exc})") from exc
    names = _check_names(spokes, hubs)
    # usable host addresses: IPv4 without network and broadcast address
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    size = last - first + 1
    if size < len(names):
        raise _err(f"{cidr} has {max(size, 0)} usable addresses for {len(names)} hosts")
    out, used = _pin(pinned, names, first, last, cidr)
    nxt = first
    for hub in (h for h in hubs if h not in out):
        while nxt in used:
            nxt += 1
        out[hub] = nxt
        used.add(nxt)
    for spoke in sorted(set(spokes) - set(out)):
        offset = int.from_bytes(hashlib.sha256(spoke.encode()).digest()[:8], "big") % size
        cand = next(
            first + (offset + step) % size for step in range(size) if first + (offset + step) % size not in used
        )
        out[spoke] = cand
        used.add(cand)
    return {name: str(ipaddress.ip_address(ip)) for name, ip in out.items()}


_KEY = re.compile(r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$")


def forge_wg_peer_keys(hosts, slurped, registry=""):
    """Public key of each peer host, as {host: key}, for the hosts whose key is known.

    slurped: the results of slurping each host's <iface>.pub (a failed or skipped read has
    no content); registry: this host's "<key> <host>" lines from earlier runs, used for a
    peer that could not be read now (unreachable), so it is not dropped from the tunnel.
    A fresh read wins over the registry. Malformed keys are an error, naming the host.
    """
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise FilterError(f"forge_wg_peer_keys: hosts must be a list of host names, got {hosts!r}")
    if not isinstance(slurped, (list, tuple)):
        raise FilterError("forge_wg_peer_keys: slurped must be the list of slurp results")
    known = {}
    for line in str(registry or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            known[parts[1]] = parts[0]
    fresh = {}
    for res in slurped:
        if isinstance(res, dict) and res.get("content") and res.get("item") is not None:
            try:
                fresh[res["item"]] = base64.b64decode(res["content"]).decode().strip()
            except (ValueError, UnicodeDecodeError) as exc:
                raise FilterError(f"forge_wg_peer_keys: the key read from {res['item']} is not text") from exc
    out = {}
    for host in hosts:
        key = fresh.get(host) or known.get(host)
        if key is None:
            continue
        if not _KEY.match(key):
            raise FilterError(f"forge_wg_peer_keys: the public key of {host} is not a WireGuard key: {key!r}")
        out[host] = key
    return out
