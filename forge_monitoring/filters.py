"""The project's filter plugins as Python modules, so the CLI runs the same code as the playbooks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FILTER_DIR = Path(__file__).resolve().parent.parent / "filter_plugins"


def load(name: str) -> ModuleType:
    """filter_plugins/<name>.py, through preflight.py's own loader (one module object per file)."""
    key = "forge_filter_preflight"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, FILTER_DIR / "preflight.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key].sibling(name)
