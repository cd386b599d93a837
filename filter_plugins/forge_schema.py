"""Ansible filters over forge_monitoring/schema.py (the inventory's JSON Schema) and forge_monitoring/checks/ (the
cross-host invariants), for playbooks/preflight.yml: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import checks, schema
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_schema_problems": wrap("forge_schema_problems", schema.schema_problems),
            "forge_invariant_problems": wrap("forge_invariant_problems", checks.invariant_problems),
        }
