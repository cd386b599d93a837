"""Ansible filters over forge_monitoring/sizing.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import sizing
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_sizing": wrap("forge_sizing", sizing.forge_sizing),
            "forge_host_resources": wrap("forge_host_resources", sizing.forge_host_resources),
            "forge_components_for": wrap("forge_components_for", sizing.forge_components_for),
        }
