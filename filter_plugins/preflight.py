"""Inventory-wide checks for playbooks/preflight.yml: types, ports, networks, secrets, capacity.

Each filter returns a list of problems (strings naming the host, the variable and the expected form) and
raises only for malformed arguments. They run on the controller with what the inventory says: no host is
contacted. ``host_inputs`` and ``capacity`` are shared with ``forge-monitoring plan`` (forge_monitoring/plan.py).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import sys
from pathlib import Path

import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from jinja2 import Undefined

from forge_monitoring.hostvars import plain as _plain


def sibling(name):
    """A filter module next to this one (Ansible does not put filter_plugins/ on sys.path); the CLI loads
    modules through this too (forge_monitoring/filters.py), so each exists once."""
    key = f"forge_filter_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


_sizing = sibling("sizing")
retention_plan = sibling("retention").retention_plan

TEMPLATE_REF = re.compile(r"^\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}$")
UNDEFINED_VAULT = re.compile(r"'(vault_[a-z0-9_]+)' is undefined")
NETWORK_VAR = re.compile(r"^[a-z][a-z0-9_]*_(network|cidr)$")
SPEC_KEYS = ("type", "elements", "choices", "options")


def _need(name, value, kind, what):
    if not isinstance(value, kind):
        raise AnsibleFilterError(f"{name}: expected {what}, got {type(value).__name__}")


def _get(hv, key, default=None):
    """A host variable, or default when it is missing or cannot be evaluated on the controller."""
    try:
        value = hv.get(key, default)
        return default if isinstance(value, Undefined) else value
    except Exception:  # noqa: BLE001 (any template that cannot be evaluated on the controller: facts, markers)
        return default


def managed_hosts(groups):
    return sorted(set(groups.get("vms_site", [])) | set(groups.get("dev_sites", [])))


def host_roles(host, groups, placement, available):
    """Roles that apply to host, in placement order, limited to roles that exist (available)."""
    return [
        role
        for role, role_groups in placement.items()
        if role in available and any(host in groups.get(g, []) for g in role_groups)
    ]


def forge_spec_problems(hostvars, groups, placement, roles):
    """Inventory values of role options checked against the roles' meta/argument_specs.yml (types, choices).

    roles: {role: {specs: <argument_specs.yml content>, defaults: <defaults/main.yml text>}}.
    """
    _need("forge_spec_problems", groups, dict, "groups as a dict")
    _need("forge_spec_problems", roles, dict, "roles as a dict of {specs, defaults}")
    problems = []
    for host in managed_hosts(groups):
        hv = hostvars[host]
        for role in host_roles(host, groups, placement, roles):
            for var, option in _options(roles[role]).items():
                if var not in hv:
                    continue
                value = _get(hv, var, _UNSET)
                if value is _UNSET:
                    continue  # a template needing facts: checked when the role runs
                problems += _check_option(host, role, var, option, value)
    return problems


_UNSET = object()


def _options(role_data):
    specs = (role_data.get("specs") or {}).get("argument_specs") or {}
    options = {}
    for entry in specs.values():
        options.update((entry or {}).get("options") or {})
    return options


def _clean(option):
    spec = {k: option[k] for k in SPEC_KEYS if k in option}
    if "options" in spec:
        spec["options"] = {k: _clean(v) | {"required": bool(v.get("required"))} for k, v in spec["options"].items()}
    return spec


def _form(option):
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements"):
        kind = f"list of {option['elements']}"
    if option.get("choices"):
        kind += " (one of " + ", ".join(map(str, option["choices"])) + ")"
    return kind


def _check_option(host, role, var, option, value):
    where = f"roles/{role}/meta/argument_specs.yml"
    result = ArgumentSpecValidator({var: _clean(option)}).validate({var: _plain(value)})
    if result.error_messages:
        detail = "; ".join(result.error_messages)
        return [f"{host}: {var}: {detail}; expected {_form(option)} ({where})"]
    checked = result.validated_parameters[var]
    if var.endswith("_port") and option.get("type") == "int" and not 1 <= checked <= 65535:
        return [f"{host}: {var} is {checked}; expected a TCP/UDP port 1-65535 ({where})"]
    return []


def _defaults(role_data):
    text = role_data.get("defaults") or ""
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise AnsibleFilterError(f"forge_port_problems: defaults are not YAML: {exc}") from exc


def _resolve(value, hv, defaults, depth=0):
    """An int port from an int, a digit string or a '{{ var }}' reference (inventory first, then role defaults)."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return value, None
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value), None
        match = TEMPLATE_REF.match(value.strip())
        if match and depth < 4:
            var = match.group(1)
            inner = _get(hv, var, defaults.get(var))
            port, _ = _resolve(inner, hv, defaults, depth + 1)
            return port, f"{var}={inner!r}"
    return None, None


def forge_port_problems(hostvars, groups, placement, roles):
    """Every (port, proto) that two declarations claim on one host, from the roles' <role>_ports data."""
    _need("forge_port_problems", groups, dict, "groups as a dict")
    _need("forge_port_problems", roles, dict, "roles as a dict of {specs, defaults}")
    problems = []
    for host in managed_hosts(groups):
        hv = hostvars[host]
        claims = {}
        for role in host_roles(host, groups, placement, roles):
            defaults = _defaults(roles[role])
            decl = _get(hv, f"{role}_ports", defaults.get(f"{role}_ports"))
            if not isinstance(decl, list):
                continue  # the role contract test requires a list; a template is checked at run time
            for entry in decl:
                if not isinstance(entry, dict):
                    problems.append(f"{host}: {role}_ports has {entry!r}; expected {{name, port, proto, sources}}")
                    continue
                port, var = _resolve(entry.get("port"), hv, defaults)
                label = f"{role} {entry.get('name', '?')}"
                if port is None or not 1 <= port <= 65535:
                    shown = var or repr(entry.get("port"))
                    problems.append(f"{host}: {label}: port is {shown}; expected a port 1-65535 ({role}_ports)")
                    continue
                label += f" ({var.split('=')[0]})" if var else ""
                claims.setdefault((port, entry.get("proto", "tcp")), []).append(label)
        for (port, proto), who in sorted(claims.items()):
            if len(who) > 1:
                problems.append(
                    f"{host}: port {port}/{proto} is claimed {len(who)} times: {', '.join(who)}; "
                    f"expected each port once per host (change one of the port variables)"
                )
    return problems


def forge_network_problems(hostvars, groups):
    """Declared networks that are not valid CIDRs, or that overlap a different declared network.

    Read from every managed host: forge_networks ({name: CIDR | [CIDR]}), lab_networks ({name: {subnet}})
    and variables named *_network or *_cidr holding one CIDR. The same CIDR under two names is one network.
    """
    _need("forge_network_problems", groups, dict, "groups as a dict")
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
    nets = _get(hv, "forge_networks", {}) or {}
    if isinstance(nets, dict):
        for name, value in nets.items():
            for one in value if isinstance(value, list) else [value]:
                yield f"forge_networks.{name}", one
    else:
        yield "forge_networks", nets
    lab = _get(hv, "lab_networks", {}) or {}
    if isinstance(lab, dict):
        for name, value in lab.items():
            if isinstance(value, dict) and "subnet" in value:
                yield f"lab_networks.{name}", value["subnet"]
    for key in hv:
        if isinstance(key, str) and NETWORK_VAR.match(key) and not key.startswith("__"):
            value = _get(hv, key)
            if isinstance(value, str):
                yield key, value


def forge_secret_problems(hostvars, groups, placement, roles):
    """Every vault_* variable that an inventory variable references and the inventory does not define. (Those the
    applied roles' defaults read, `| default('')` or not, with their forms: forge_monitoring/checks/secrets.py.)"""
    _need("forge_secret_problems", groups, dict, "groups as a dict")
    _need("forge_secret_problems", roles, dict, "roles as a dict of {specs, defaults}")
    problems = []
    for host in managed_hosts(groups):
        hv = hostvars[host]
        for key in list(hv):
            try:
                str(hv[key])  # 2.19 returns a marker for an undefined variable; using it raises
            except Exception as exc:  # noqa: BLE001 (MarkerError, AnsibleUndefinedVariable)
                for ref in sorted(set(UNDEFINED_VAULT.findall(str(exc)))):
                    problems.append(
                        f"{host}: {ref} is not defined (needed by the inventory variable {key}); expected a "
                        f"vault-encrypted string, e.g. in inventories/<env>/group_vars/all/vault.yml"
                    )
    return problems


def host_components(host, groups, sized_components):
    """The sized components placed on host, from its group membership."""
    return _sizing.forge_components_for([g for g, hosts in groups.items() if host in hosts], sized_components)


def shard_count(hostvars, groups):
    shards = {str(_get(hostvars[h], "clickhouse_shard", 1)) for h in groups.get("clickhouse", [])}
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
        res = _get(hv, "forge_host_resources")
        entry = {"components": comps, "resources": res}
        out[host] = entry
        if res is None or not comps:
            continue
        if not isinstance(res, dict):
            entry["error"] = f"forge_host_resources is {res!r}; expected {{ram_mb, cores, disk_gb[, cold_disk_gb]}}"
            continue
        try:
            entry["sizing"] = _sizing.forge_sizing(
                _sizing.forge_host_resources(host, res), comps, _get(hv, "forge_sizing_budgets")
            )
        except AnsibleFilterError as exc:
            entry["sizing_error"] = str(exc)
        if "clickhouse" in comps:
            try:
                entry["retention"] = retention_plan(
                    _get(hv, "forge_ingest_estimates"),
                    _get(hv, "forge_retention_policy"),
                    res.get("disk_gb"),
                    cold_disk_gb=res.get("cold_disk_gb", 0),
                    headroom=_get(hv, "forge_retention_headroom", 0.2),
                    start=_get(hv, "forge_ingest_start"),
                    shards=shards,
                )
            except AnsibleFilterError as exc:
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
    _need("forge_capacity_problems", groups, dict, "groups as a dict")
    _need("forge_capacity_problems", sized_components, dict, "sized_components as {group: [component]}")
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
        if plan and not plan["fits"] and not _get(hv, "forge_retention_allow_overflow", False):
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


class FilterModule:
    def filters(self):
        return {
            "forge_spec_problems": forge_spec_problems,
            "forge_port_problems": forge_port_problems,
            "forge_network_problems": forge_network_problems,
            "forge_secret_problems": forge_secret_problems,
            "forge_capacity_problems": forge_capacity_problems,
        }
