"""Topology: the groups the roles need, no unknown group names, the coordinator ensemble, the ClickHouse shards
and replicas (filter_plugins/clickhouse_topology.py, the functions the roles build their config with), and one
WireGuard hub for the spokes."""

from __future__ import annotations

import difflib

from forge_monitoring import clickhouse_topology, wireguard
from forge_monitoring.hostvars import UNSET

# parent group -> the child groups the plays and roles use (forge_inventory.REQUIRED_GROUPS says the same)
SITE_GROUPS = {
    "vms_site": ("clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub"),
    "dev_sites": ("agents", "vpn_spokes"),
}
# a group with hosts -> the groups that must have hosts too (its role reads them to build its configuration)
NEEDS = {"clickhouse": ("zookeeper",), "signoz": ("clickhouse",), "ingest": ("clickhouse",), "frontend": ("signoz",)}
# a production inventory is the whole monitoring site: every one of these holds at least one host (the lab and the
# test scenarios may deploy a part of it, as long as what they deploy has what it needs)
COMPLETE_SITE = ("clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub")
BUILTIN = ("all", "ungrouped")


def known_groups(inv):
    known = set(BUILTIN) | set(SITE_GROUPS)
    for children in SITE_GROUPS.values():
        known |= set(children)
    for role_groups in inv.placement.values():
        known |= set(role_groups)
    return known


def _error(exc):
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith(("clickhouse_topology:", "coordinator_ensemble:")) else text


def problems(inv):
    out = []
    known = known_groups(inv)
    for group in sorted(inv.groups):
        if group not in known:
            near = difflib.get_close_matches(group, sorted(known - set(BUILTIN)), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            out.append(
                f"group {group}: unknown group name{hint}; expected the groups of inventories/production/hosts.yml: "
                + ", ".join(sorted(known - set(BUILTIN)))
            )
    out += _needed_groups(inv)
    topo = clickhouse_topology
    out += _coordinators(inv, topo)
    out += _clickhouse(inv, topo)
    out += _vpn(inv)
    return out


def _needed_groups(inv):
    out = []
    production = any(inv.var(h, "forge_env", None) == "production" for h in inv.hosts("vms_site", "dev_sites"))
    for group in COMPLETE_SITE if production else ():
        if group in inv.groups and not inv.groups[group]:
            out.append(
                f"group {group}: has no hosts; expected at least one in a production inventory "
                f"(roles/{_role_of(inv, group)} is part of the monitoring site)"
            )
    for group, needs in NEEDS.items():
        for needed in needs:
            if inv.groups.get(group) and not inv.groups.get(needed) and not (production and needed in inv.groups):
                out.append(
                    f"group {needed}: has no hosts; expected at least one, as group {group} has hosts "
                    f"(roles/{_role_of(inv, group)} needs roles/{_role_of(inv, needed)})"
                )
    return out


def _role_of(inv, group):
    return next((r for r, gs in inv.placement.items() if group in gs), group)


def _coordinators(inv, topo):
    hosts = inv.groups.get("zookeeper")
    if not hosts:
        return []  # a missing or empty group is reported above
    kinds = {inv.var(h, "forge_coordinator", "zookeeper") for h in inv.hosts("clickhouse") or hosts}
    id_var = "clickhouse_keeper_id" if kinds == {"keeper"} else "zookeeper_id"
    try:
        topo.coordinator_ensemble(list(hosts), inv.hostvars, id_var)
    except Exception as exc:  # noqa: BLE001 (AnsibleFilterError: its message names host, variable and form)
        return [f"group zookeeper: {_error(exc)}"]
    return []


def _clickhouse(inv, topo):
    hosts = inv.groups.get("clickhouse")
    if not hosts:
        return []
    try:
        shards = topo.clickhouse_topology(list(hosts), inv.hostvars)
    except Exception as exc:  # noqa: BLE001
        return [f"group clickhouse: {_error(exc)}"]
    counts = {s["name"]: len(s["replicas"]) for s in shards}
    if len(set(counts.values())) > 1:
        parts = ", ".join(f"shard {n} has {c}" for n, c in counts.items())
        return [
            f"group clickhouse: replicas per shard differ ({parts}; clickhouse_shard); expected the same "
            "number of replicas in every shard"
        ]
    return []


def _vpn(inv):
    out = []
    hubs, spokes = inv.groups.get("vpn_hub") or [], inv.groups.get("vpn_spokes") or []
    if spokes and len(hubs) != 1:
        out.append(
            f"group vpn_hub: has {len(hubs)} host(s) ({', '.join(hubs) or 'none'}); expected exactly one WireGuard "
            f"hub for the spokes ({', '.join(spokes)})"
        )
    for host in sorted(set(hubs) & set(spokes)):
        out.append(f"{host}: is in both vpn_hub and vpn_spokes; expected one of them")
    # with a tunnel (a hub), every agent sends through it; an inventory without a hub has no tunnel to join
    for host in inv.hosts("agents") if hubs else ():
        if host not in spokes and host not in hubs:
            out.append(
                f"{host}: is in agents but not in vpn_spokes; expected every agent host in vpn_spokes (its "
                "telemetry reaches the ingest gateway through the tunnel)"
            )
    if len(hubs) == 1 and spokes and hubs[0] not in spokes:
        out += _tunnel_addresses(inv, hubs, spokes)
    return out


def _tunnel_addresses(inv, hubs, spokes):
    hub = hubs[0]
    cidr = inv.value(hub, "wireguard", "wireguard_cidr")
    pinned = inv.value(hub, "wireguard", "wireguard_pinned_addresses")
    if cidr is UNSET or not isinstance(cidr, str):
        return []
    try:
        wireguard.forge_wg_addresses(list(spokes), cidr, list(hubs), pinned if isinstance(pinned, dict) else {})
    except Exception as exc:  # noqa: BLE001
        return [f"{hub}: wireguard_cidr is {cidr!r}: {exc}"]
    return []
