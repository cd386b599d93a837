"""Cross-host invariants of an inventory, checked on the controller before any host is touched.

One module per kind of check (addresses, topology, secrets, names, retention, roles); each has
``problems(inv)`` returning lines that name the host (or group), the variable, its value and the expected form.
``invariant_problems`` runs them all, so every problem is reported in one run. Values are read through
forge_monitoring/hostvars.py only. The shapes and values of single variables are the schema's
(forge_monitoring/schema.py); these are the rules that need more than one variable or more than one host.
"""

from __future__ import annotations

import yaml

from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import UNSET, hosts_of, managed_hosts, read


class Inventory:
    """hostvars and groups, the role placement and the roles' defaults, with the readers the checks share."""

    def __init__(self, hostvars, groups, placement=None, roles=None):
        self.hostvars = hostvars
        self.groups = {k: list(v) for k, v in dict(groups).items()}
        self.placement = dict(placement or {})
        self.roles = dict(roles or {})
        self._defaults = {}

    @property
    def managed(self):
        return managed_hosts(self.groups)

    def hosts(self, *groups):
        return hosts_of(self.groups, *groups)

    def var(self, host, name, default=UNSET):
        return read(self.hostvars[host], name, default)

    def defaults(self, role):
        if role not in self._defaults:
            text = (self.roles.get(role) or {}).get("defaults") or ""
            try:
                self._defaults[role] = yaml.safe_load(text) or {}
            except yaml.YAMLError:
                self._defaults[role] = {}
        return self._defaults[role]

    def value(self, host, role, name):
        """The inventory's value, else the role's default when it is a literal (UNSET when it is a template)."""
        value = self.var(host, name)
        if value is not UNSET:
            return value
        default = self.defaults(role).get(name, UNSET)
        if isinstance(default, str) and "{{" in default:
            return UNSET
        return default

    def roles_of(self, host):
        return [
            role
            for role, role_groups in self.placement.items()
            if any(host in self.groups.get(g, []) for g in role_groups)
        ]


def invariant_problems(hostvars, groups, placement=None, roles=None):
    """Cross-host invariants: addresses, topology, secrets, names, retention, the roles' inventory checks."""
    if not isinstance(groups, dict):
        raise FilterError("expected hostvars | forge_invariant_problems(groups, placement, roles)")
    from forge_monitoring.checks import addresses, names, retention, secrets, topology  # noqa: PLC0415 (they import this module)
    from forge_monitoring.checks import roles as role_checks  # noqa: PLC0415

    inv = Inventory(hostvars, groups, placement, roles)
    problems = []
    for module in (topology, addresses, names, secrets, retention, role_checks):
        problems += module.problems(inv)
    return problems
