"""Ansible filters over forge_monitoring/monitoring.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import monitoring
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_metric_problems": wrap("forge_metric_problems", monitoring.forge_metric_problems),
        }
