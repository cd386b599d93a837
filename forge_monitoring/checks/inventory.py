"""The inventory's shape: the groups the site needs, one environment, each host's private address and its
declared substitutes (filters forge_inventory_problems and forge_substitute_notice)."""

from __future__ import annotations

import ipaddress

from forge_monitoring.errors import FilterError

ENVIRONMENTS = ("lab", "production")
REQUIRED_GROUPS = {
    "vms_site": ("clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub"),
    "dev_sites": ("agents", "vpn_spokes"),
}
SUBSTITUTE_KINDS = ("substitute", "fixture")


def forge_inventory_problems(hostvars, groups):
    """Every problem of the inventory's shape, each naming the host, the variable and the expected form.

    hostvars: the ``hostvars`` magic variable (or a plain dict of dicts);
    groups: the ``groups`` magic variable.
    """
    if not hasattr(hostvars, "__getitem__") or not isinstance(groups, dict):
        raise FilterError("forge_inventory_problems: expected hostvars and groups")
    problems = []
    for parent, children in REQUIRED_GROUPS.items():
        if not groups.get(parent):
            problems.append(f"group {parent}: has no hosts; expected children {', '.join(children)}")
        problems += [
            f"group {child}: missing; expected it as a child of {parent} (it may be empty)"
            for child in children
            if child not in groups
        ]
    managed = sorted(set(groups.get("vms_site", [])) | set(groups.get("dev_sites", [])))
    envs = {hostvars[h].get("forge_env") for h in managed} & set(ENVIRONMENTS)
    for host in managed:
        problems += _host_problems(host, hostvars[host])
    if len(envs) > 1:
        problems.append(f"forge_env: hosts disagree ({', '.join(sorted(envs))}); one inventory is one environment")
    return problems


def _host_problems(host, hv):
    problems = []
    env = hv.get("forge_env")
    if env not in ENVIRONMENTS:
        problems.append(f"{host}: forge_env is {env!r}; expected one of {', '.join(ENVIRONMENTS)}")
    addr = hv.get("forge_private_address")
    try:
        ip = ipaddress.ip_address(str(addr))
        if ip.is_unspecified or ip.is_loopback:
            problems.append(f"{host}: forge_private_address is {addr}; expected the host's private address")
    except ValueError:
        problems.append(f"{host}: forge_private_address is {addr!r}; expected an IP address like 10.0.1.10")
    subs = hv.get("forge_substitutes") or {}
    if not isinstance(subs, dict):
        return [*problems, f"{host}: forge_substitutes must be a dict of component -> {{kind, what}}"]
    if subs and env == "production":
        problems.append(
            f"{host}: forge_substitutes lists {', '.join(sorted(subs))}; production inventories never "
            "substitute: install the upstream artifacts (see docs/artifacts.md)"
        )
    problems += [
        f"{host}: forge_substitutes.{comp} is {spec!r}; expected {{kind: substitute|fixture, what: <text>}}"
        for comp, spec in subs.items()
        if not isinstance(spec, dict) or spec.get("kind") not in SUBSTITUTE_KINDS or not spec.get("what")
    ]
    return problems


def forge_substitute_notice(hostvars, hosts):
    """Lines announcing every substitute or fixture in use, per component (empty when none)."""
    seen = {}
    for host in hosts:
        for comp, spec in (hostvars[host].get("forge_substitutes") or {}).items():
            if isinstance(spec, dict):
                seen.setdefault((comp, spec.get("kind", "?"), spec.get("what", "")), []).append(host)
    return [
        f"{kind.upper():10} {comp}: {what} (on {', '.join(sorted(h))})"
        for (comp, kind, what), h in sorted(seen.items())
    ]
