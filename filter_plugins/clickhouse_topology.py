"""Ansible filters over forge_monitoring/clickhouse_topology.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import clickhouse_topology
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "clickhouse_topology": wrap("clickhouse_topology", clickhouse_topology.clickhouse_topology),
            "coordinator_ensemble": wrap("coordinator_ensemble", clickhouse_topology.coordinator_ensemble),
        }
