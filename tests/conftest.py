"""Shared test helpers: the repository root and the plugin import path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "filter_plugins", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

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
