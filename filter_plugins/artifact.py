"""Ansible filters over forge_monitoring/artifact.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import artifact
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "artifact_host_arch": wrap("artifact_host_arch", artifact.artifact_host_arch),
            "artifact_play_targets": wrap("artifact_play_targets", artifact.artifact_play_targets),
            "artifact_inventory_targets": wrap("artifact_inventory_targets", artifact.artifact_inventory_targets),
            "artifact_manifest_errors": wrap("artifact_manifest_errors", artifact.artifact_manifest_errors),
            "artifact_plan": wrap("artifact_plan", artifact.artifact_plan),
            "artifact_lock": wrap("artifact_lock", artifact.artifact_lock),
        }
