"""vault_* variables the inventory references and does not define (filter forge_secret_problems); the secrets the
applied roles read, with their forms, are checks/secrets.py's."""

from __future__ import annotations

import re

from forge_monitoring.errors import need
from forge_monitoring.hostvars import managed_hosts

UNDEFINED_VAULT = re.compile(r"'(vault_[a-z0-9_]+)' is undefined")


def forge_secret_problems(hostvars, groups, placement, roles):
    """Every vault_* variable that an inventory variable references and the inventory does not define. (Those the
    applied roles' defaults read, `| default('')` or not, with their forms: forge_monitoring/checks/secrets.py.)"""
    need("forge_secret_problems", groups, dict, "groups as a dict")
    need("forge_secret_problems", roles, dict, "roles as a dict of {specs, defaults}")
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
