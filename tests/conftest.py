"""Shared test helpers: the repository root. The project's Python is the installed package forge_monitoring
(``pip install -e .``); tests import it normally, and pytest puts tests/ itself on the path for these helpers."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Left for the preflight rewrite (another branch): tests/unit/test_filter_preflight.py, test_filter_forge_inventory.py
# and test_provenance.py still import filter_plugins/preflight.py, forge_inventory.py and provenance.py as modules.
# tests/unit/test_python_home.py lists this as a known exception; it goes when those plugins are thin wrappers.
if str(ROOT / "filter_plugins") not in sys.path:
    sys.path.insert(0, str(ROOT / "filter_plugins"))

# No per-example deadline anywhere: timing belongs in bench/, and a loaded 2-core CI machine would turn
# hypothesis' 200 ms default into flaky failures.
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("forge", deadline=None)
settings.load_profile("forge")


@pytest.fixture(scope="module")
def ch_port():
    """A ClickHouse HTTP stand-in on loopback for the SigNoz fixture's DSN (tests/signoz_fixture_runner.py)."""
    import signoz_fixture_runner as fx  # noqa: PLC0415 (tests/ is on the path only from here on)

    with fx.clickhouse_stub() as port:
        yield port
