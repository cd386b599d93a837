"""Ansible filters over forge_monitoring/signoz_compat.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import signoz_compat
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "signoz_compat_problems": wrap("signoz_compat_problems", signoz_compat.signoz_compat_problems),
            "signoz_compat_inventory_problems": wrap(
                "signoz_compat_inventory_problems", signoz_compat.signoz_compat_inventory_problems
            ),
            "signoz_invite_api": wrap("signoz_invite_api", signoz_compat.signoz_invite_api),
            "signoz_password_problems": wrap("signoz_password_problems", signoz_compat.signoz_password_problems),
            "signoz_ttl_requests": wrap("signoz_ttl_requests", signoz_compat.signoz_ttl_requests),
            "signoz_ttl_todo": wrap("signoz_ttl_todo", signoz_compat.signoz_ttl_todo),
        }
