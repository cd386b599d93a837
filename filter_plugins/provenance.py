"""Ansible filters over forge_monitoring/provenance.py (production refuses fixtures and substitutes; verify detects
them on the host): thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import provenance as p
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_production_problems": wrap("forge_production_problems", p.production_problems),
            "forge_fixture_sha256s": wrap("forge_fixture_sha256s", p.fixture_sha256s),
            "forge_cache_problems": wrap("forge_cache_problems", p.cache_problems),
            "forge_clickhouse_minimum": wrap("forge_clickhouse_minimum", p.clickhouse_minimum),
            "forge_detect_clickhouse": wrap("forge_detect_clickhouse", p.detect_clickhouse),
            "forge_detect_artifact": wrap("forge_detect_artifact", p.detect_artifact),
            "forge_detect_otel_agent": wrap("forge_detect_otel_agent", p.detect_otel_agent),
            "forge_detect_wireguard": wrap("forge_detect_wireguard", p.detect_wireguard),
            "forge_detected_row": wrap("forge_detected_row", p.detected_row),
        }
