"""Ansible filters over forge_monitoring/firewall.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import firewall
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_firewall_rules": wrap("forge_firewall_rules", firewall.forge_firewall_rules),
        }
