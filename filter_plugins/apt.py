"""Ansible filter over forge_monitoring/apt.py: a thin wrapper, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import apt
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {"forge_apt_pin": wrap("forge_apt_pin", apt.forge_apt_pin)}
