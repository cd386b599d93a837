"""Thin filters over forge_monitoring/provenance.py: production refuses fixtures and substitutes (preflight),
verify detects them on the host (the verify table's source column)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ansible.errors import AnsibleFilterError

_FILE = Path(__file__).resolve().parent.parent / "forge_monitoring" / "provenance.py"


def _module():
    """forge_monitoring/provenance.py of this checkout (by path: the playbooks' Python need not have the
    package installed)."""
    key = "forge_monitoring_provenance"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, _FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def _wrap(name, func):
    def filter_(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ValueError, TypeError, AttributeError, OSError) as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from exc

    filter_.__name__ = name
    filter_.__doc__ = func.__doc__
    return filter_


def forge_detected_row(row, kind, evidence):
    """The verify row with what verify detected: row | forge_detected_row(source, evidence)."""
    if not isinstance(row, dict):
        raise AnsibleFilterError(f"forge_detected_row: expected a verify row (dict), got {type(row).__name__}")
    return {**row, "source": kind, "evidence": evidence}


class FilterModule:
    def filters(self):
        p = _module()
        return {
            "forge_production_problems": _wrap("forge_production_problems", p.production_problems),
            "forge_fixture_sha256s": _wrap("forge_fixture_sha256s", p.fixture_sha256s),
            "forge_cache_problems": _wrap("forge_cache_problems", p.cache_problems),
            "forge_clickhouse_minimum": _wrap("forge_clickhouse_minimum", p.clickhouse_minimum),
            # detection answers [source, evidence]
            "forge_detect_clickhouse": _wrap(
                "forge_detect_clickhouse", lambda *a, **k: [*p.detect_clickhouse(*a, **k)]
            ),
            "forge_detect_artifact": _wrap("forge_detect_artifact", lambda *a, **k: [*p.detect_artifact(*a, **k)]),
            "forge_detect_wireguard": _wrap("forge_detect_wireguard", lambda *a, **k: [*p.detect_wireguard(*a, **k)]),
            "forge_detected_row": forge_detected_row,
        }
