"""Ansible filters over forge_monitoring/otel_agent.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import otel_agent
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_otel_components": wrap("forge_otel_components", otel_agent.forge_otel_components),
            "forge_otel_queue": wrap("forge_otel_queue", otel_agent.forge_otel_queue),
            "forge_otel_agent_config": wrap("forge_otel_agent_config", otel_agent.forge_otel_agent_config),
        }
