"""Check order and hosts of the default scenario's verify.

- `@pytest.mark.hosts(name, ...)` (on a test, or as a module's `pytestmark`) names the hosts a check runs on;
  on the others it is deselected, not skipped, so a skip in the report is always a real one. A name that is
  not a host of the scenario is an error, so a typo cannot deselect a check everywhere.
- Checks marked `disruptive` (they stop services, upgrade or roll back releases) run after every other check,
  in file order, so the others see the converged state. (The cold boot is a step of the test sequence before
  idempotence, molecule.yml; test_cold_boot.py only reads its record.)
- fm-mol-outsider is in no inventory group and runs nothing of ours: the checks use it through `docker exec`
  (test_secure_link.py), so no check is collected for it as the host under test."""

import re

import pytest

OUTSIDER = "fm-mol-outsider"


def pytest_configure(config):
    config.addinivalue_line("markers", "disruptive: changes the converged state; runs after the other checks")
    config.addinivalue_line("markers", "hosts(*names): the scenario hosts the check runs on (others deselected)")


def _host(item):
    m = re.search(r"\[ansible://([^\]]+)\]$", item.nodeid)
    return m.group(1) if m else None


def pytest_collection_modifyitems(session, config, items):
    hosts = {_host(item) for item in items} - {None}
    keep, drop = [], []
    for item in items:
        host, marker = _host(item), item.get_closest_marker("hosts")
        if marker:
            unknown = set(marker.args) - hosts
            if unknown:
                raise pytest.UsageError(f"{item.nodeid}: hosts({', '.join(sorted(unknown))}) is no host of this run")
        if host == OUTSIDER or (marker and host not in marker.args):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = sorted(keep, key=_phase)


def _phase(item):
    """0: checks of the converged state, 1: disruptive ones."""
    return 1 if item.get_closest_marker("disruptive") else 0
