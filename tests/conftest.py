"""Shared test helpers: the repository root and the plugin import path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "filter_plugins"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

# No per-example deadline anywhere: timing belongs in bench/, and a loaded 2-core CI machine would turn
# hypothesis' 200 ms default into flaky failures.
from hypothesis import settings  # noqa: E402

settings.register_profile("forge", deadline=None)
settings.load_profile("forge")
