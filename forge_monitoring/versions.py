"""The one version manifest, versions.yml at the top of the repository: every pinned release artifact and Debian
package (docs/artifacts.md). vars_plugins/forge_versions.py hands it to every play as ``forge_versions``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from forge_monitoring.errors import FilterError

MANIFEST = Path(__file__).resolve().parent.parent / "versions.yml"


@cache
def load(path: Path = MANIFEST) -> dict:
    """``forge_versions`` from the manifest; a clear error when it is missing or has no forge_versions mapping."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise FilterError(f"forge_versions: cannot read the version manifest {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise FilterError(f"forge_versions: the version manifest {path} is not valid YAML: {exc}") from exc
    versions = (data or {}).get("forge_versions") if isinstance(data, dict) else None
    if not isinstance(versions, dict) or not isinstance(versions.get("apt"), dict):
        raise FilterError(f"forge_versions: {path} has no forge_versions mapping with an apt section")
    return versions
