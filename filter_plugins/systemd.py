"""Ansible filter over forge_monitoring/systemd.py: a thin wrapper, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import systemd
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_systemd_hardening": wrap("forge_systemd_hardening", systemd.forge_systemd_hardening),
            "forge_systemd_verify_command": wrap("forge_systemd_verify_command", systemd.forge_systemd_verify_command),
        }
