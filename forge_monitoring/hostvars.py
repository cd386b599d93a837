"""The one way the controller's preflight reads a host's variables (forge_monitoring/schema.py, checks/).

Ansible's ``hostvars[host]`` templates a value when it is read; a value that needs facts or an undefined vault
variable cannot be evaluated on the controller and reads as UNSET here (the role checks it on the host).
Lazy containers come back as plain dicts and lists, so messages and the schema see plain types.
"""

from __future__ import annotations

from collections.abc import Mapping

UNSET = object()


def plain(value):
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _undefined(value):
    return type(value).__name__.endswith("Undefined") or type(value).__name__.endswith("Marker")


def read(hv, name, default=UNSET):
    """hv[name] as a plain value; default when it is missing or cannot be evaluated on the controller."""
    try:
        if name not in hv:
            return default
        value = hv[name]
        if _undefined(value):
            return default
        value = plain(value)
        str(value)  # a marker nested in a container raises here
        return value
    except Exception:  # noqa: BLE001 (a template needing facts, an undefined vault variable: checked elsewhere)
        return default


def hosts_of(groups, *names):
    """The hosts of the groups, sorted and once each."""
    return sorted({h for g in names for h in (groups.get(g) or [])})


def managed_hosts(groups):
    return hosts_of(groups, "vms_site", "dev_sites")


def hostvar(hv, key, default=None):
    """``hv[key]`` as it is, or ``default`` when it is missing, None, undefined, or cannot be evaluated on the
    controller (the filters' form of :func:`read`: no conversion to plain types)."""
    try:
        value = hv.get(key, default) if hasattr(hv, "get") else default
    except Exception:  # noqa: BLE001 (any template that cannot be evaluated on the controller)
        return default
    return default if value is None or _undefined(value) else value
