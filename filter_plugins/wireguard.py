"""Ansible filters over forge_monitoring/wireguard.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import wireguard
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_wg_addresses": wrap("forge_wg_addresses", wireguard.forge_wg_addresses),
            "forge_wg_peer_keys": wrap("forge_wg_peer_keys", wireguard.forge_wg_peer_keys),
        }
