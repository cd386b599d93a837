"""Ansible filters over forge_monitoring/checks/inventory.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring.checks import inventory
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_inventory_problems": wrap("forge_inventory_problems", inventory.forge_inventory_problems),
            "forge_substitute_notice": wrap("forge_substitute_notice", inventory.forge_substitute_notice),
        }
