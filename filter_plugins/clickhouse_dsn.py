"""Ansible filters over forge_monitoring/clickhouse_dsn.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import clickhouse_dsn
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "clickhouse_dsn": wrap("clickhouse_dsn", clickhouse_dsn.clickhouse_dsn),
            "clickhouse_dsn_quote": wrap("clickhouse_dsn_quote", clickhouse_dsn.clickhouse_dsn_quote),
        }
