"""Ansible filters over forge_monitoring/report.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import report
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_verify_table": wrap("forge_verify_table", report.forge_verify_table),
        }
