"""Ansible filters over forge_monitoring/retention.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import retention
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_retention": wrap("forge_retention", retention.forge_retention),
            "forge_retention_plan": wrap("forge_retention_plan", retention.retention_plan),
        }
