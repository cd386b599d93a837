"""Ansible filters over forge_monitoring/db_exporters.py: thin wrappers, the logic and its docs live there."""

from __future__ import annotations

from forge_monitoring import db_exporters
from forge_monitoring.plugin_utils import wrap


class FilterModule:
    def filters(self):
        return {
            name: wrap(name, getattr(db_exporters, name))
            for name in ("forge_db_exporter_instances", "forge_db_exporter_dsn", "forge_db_exporter_scrape_jobs")
        }
