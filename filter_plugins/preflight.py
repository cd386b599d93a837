"""Ansible filters for playbooks/preflight.yml over forge_monitoring (checks/options.py, checks/networks.py,
checks/vault.py, capacity.py): thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import capacity
from forge_monitoring.checks import networks, options, vault
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_spec_problems": wrap("forge_spec_problems", options.forge_spec_problems),
            "forge_port_problems": wrap("forge_port_problems", options.forge_port_problems),
            "forge_network_problems": wrap("forge_network_problems", networks.forge_network_problems),
            "forge_secret_problems": wrap("forge_secret_problems", vault.forge_secret_problems),
            "forge_capacity_problems": wrap("forge_capacity_problems", capacity.forge_capacity_problems),
        }
