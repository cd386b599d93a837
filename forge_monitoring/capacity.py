"""Per-host capacity from the inventory alone: sizing against RAM and retention against disk (filter
forge_capacity_problems, and ``forge-monitoring plan``, forge_monitoring/plan.py)."""

from __future__ import annotations

import re

from forge_monitoring import sizing as _sizing
from forge_monitoring.errors import FilterError, need
from forge_monitoring.hostvars import hostvar, managed_hosts
from forge_monitoring.retention import retention_plan


def host_components(host, groups, sized_components):
    """The sized components placed on host, from its group membership."""
    return _sizing.forge_components_for([g for g, hosts in groups.items() if host in hosts], sized_components)


def shard_count(hostvars, groups):
    shards = {str(hostvar(hostvars[h], "clickhouse_shard", 1)) for h in groups.get("clickhouse", [])}
    return max(1, len(shards))


def capacity(hostvars, groups, sized_components):
    """Per host: {components, resources, sizing | sizing_error, retention} from the inventory alone.

    Hosts without forge_host_resources are listed with resources None (sized at run time from facts).
    """
    shards = shard_count(hostvars, groups)
    out = {}
    for host in managed_hosts(groups):
        hv = hostvars[host]
        comps = host_components(host, groups, sized_components)
        res = hostvar(hv, "forge_host_resources")
        entry = {"components": comps, "resources": res}
        out[host] = entry
        if res is None or not comps:
            continue
        if not isinstance(res, dict):
            entry["error"] = f"forge_host_resources is {res!r}; expected {{ram_mb, cores, disk_gb[, cold_disk_gb]}}"
            continue
        try:
            entry["sizing"] = _sizing.forge_sizing(
                _sizing.forge_host_resources(host, res), comps, hostvar(hv, "forge_sizing_budgets")
            )
        except FilterError as exc:
            entry["sizing_error"] = str(exc)
        if "clickhouse" in comps:
            try:
                entry["retention"] = retention_plan(
                    hostvar(hv, "forge_ingest_estimates"),
                    hostvar(hv, "forge_retention_policy"),
                    res.get("disk_gb"),
                    cold_disk_gb=res.get("cold_disk_gb", 0),
                    headroom=hostvar(hv, "forge_retention_headroom", 0.2),
                    start=hostvar(hv, "forge_ingest_start"),
                    shards=shards,
                )
            except FilterError as exc:
                entry["retention_error"] = _inventory_names(str(exc))
    return out


INPUT_NAMES = {
    "estimates": "forge_ingest_estimates",
    "retention": "forge_retention_policy",
    "headroom": "forge_retention_headroom",
    "start": "forge_ingest_start",
    "disk_gb": "forge_host_resources.disk_gb",
    "cold_disk_gb": "forge_host_resources.cold_disk_gb",
}


def _inventory_names(message):
    """retention.py's argument names replaced by the inventory variables they come from."""
    head, sep, tail = message.partition(": ")
    tail = re.sub(r"^(estimates|retention|headroom|start|cold_disk_gb|disk_gb)\b", lambda m: INPUT_NAMES[m[1]], tail)
    return head + sep + tail


def forge_capacity_problems(hostvars, groups, sized_components):
    """Sizing that does not fit a host's RAM, and retention that does not fit a ClickHouse host's disk."""
    need("forge_capacity_problems", groups, dict, "groups as a dict")
    need("forge_capacity_problems", sized_components, dict, "sized_components as {group: [component]}")
    problems = []
    for host, entry in capacity(hostvars, groups, sized_components).items():
        hv = hostvars[host]
        if "error" in entry:
            problems.append(f"{host}: {entry['error']}")
        if "sizing_error" in entry:
            problems.append(
                f"{host}: {entry['sizing_error']}; expected forge_host_resources.ram_mb to hold the budgets, "
                f"or smaller forge_sizing_budgets, or fewer components on this host"
            )
        if "retention_error" in entry:
            problems.append(f"{host}: {entry['retention_error']}")
        plan = entry.get("retention")
        if plan and not plan["fits"] and not hostvar(hv, "forge_retention_allow_overflow", False):
            parts = ", ".join(
                f"{sig} {v['monthly_gb']:.1f} GB/month x {v['ttl_days']} d" for sig, v in plan["signals"].items()
            )
            problems.append(
                f"{host}: retention does not fit: needs {plan['needed_gb']:.1f} GB ({parts}, "
                f"+{plan['headroom']:.0%} headroom) on {plan['disk_gb']:g} GB"
                + (f" + {plan['cold_disk_gb']:g} GB cold" if plan["cold_disk_gb"] else "")
                + f"; the headroom is used up on {plan['fill_date']} (day {int(plan['fill_day'])}); expected "
                f"forge_ingest_estimates / forge_retention_policy that fit forge_host_resources.disk_gb, a "
                f"cold volume (forge_host_resources.cold_disk_gb), or forge_retention_allow_overflow: true"
            )
    return problems
