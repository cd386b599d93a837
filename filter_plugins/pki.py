"""Ansible filters over forge_monitoring/pki.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import pki
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            "forge_pki_paths": wrap("forge_pki_paths", pki.forge_pki_paths),
            "forge_asn1_epoch": wrap("forge_asn1_epoch", pki.forge_asn1_epoch),
        }
