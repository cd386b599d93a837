"""Shared test helpers: the repository root. The project's Python is the installed package forge_monitoring
(``pip install -e .``); tests import it normally, and pytest puts tests/ itself on the path for these helpers."""

from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# No per-example deadline anywhere: timing belongs in bench/, and a loaded 2-core CI machine would turn
# hypothesis' 200 ms default into flaky failures.

settings.register_profile("forge", deadline=None)
settings.load_profile("forge")


@pytest.fixture(scope="module")
def ch_port():
    """A ClickHouse HTTP stand-in on loopback for the SigNoz fixture's DSN (tests/signoz_fixture_runner.py)."""
    import signoz_fixture_runner as fx  # noqa: PLC0415 (tests/ is on the path only from here on)

    with fx.clickhouse_stub() as port:
        yield port
