"""Role options in the inventory against the roles' meta/argument_specs.yml (types, choices), and the ports the
roles' ``<role>_ports`` data claim on each host (filters forge_spec_problems and forge_port_problems)."""

from __future__ import annotations

import re

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from forge_monitoring.errors import FilterError, need
from forge_monitoring.hostvars import UNSET, hostvar, managed_hosts, plain

TEMPLATE_REF = re.compile(r"^\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}$")
SPEC_KEYS = ("type", "elements", "choices", "options")


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
    need("forge_spec_problems", groups, dict, "groups as a dict")
    need("forge_spec_problems", roles, dict, "roles as a dict of {specs, defaults}")
    problems = []
    for host in managed_hosts(groups):
        hv = hostvars[host]
        for role in host_roles(host, groups, placement, roles):
            for var, option in _options(roles[role]).items():
                if var not in hv:
                    continue
                value = hostvar(hv, var, UNSET)
                if value is UNSET:
                    continue  # a template needing facts: checked when the role runs
                problems += _check_option(host, role, var, option, value)
    return problems


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
    result = ArgumentSpecValidator({var: _clean(option)}).validate({var: plain(value)})
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
        raise FilterError(f"forge_port_problems: defaults are not YAML: {exc}") from exc


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
            inner = hostvar(hv, var, defaults.get(var))
            port, _ = _resolve(inner, hv, defaults, depth + 1)
            return port, f"{var}={inner!r}"
    return None, None


def forge_port_problems(hostvars, groups, placement, roles):
    """Every (port, proto) that two declarations claim on one host, from the roles' <role>_ports data."""
    need("forge_port_problems", groups, dict, "groups as a dict")
    need("forge_port_problems", roles, dict, "roles as a dict of {specs, defaults}")
    problems = []
    for host in managed_hosts(groups):
        hv = hostvars[host]
        claims = {}
        for role in host_roles(host, groups, placement, roles):
            defaults = _defaults(roles[role])
            decl = hostvar(hv, f"{role}_ports", defaults.get(f"{role}_ports"))
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
