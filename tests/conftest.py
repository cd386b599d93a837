"""Shared test helpers: the repository root and the plugin import path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "filter_plugins"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
