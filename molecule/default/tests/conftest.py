"""Check order and hosts of the default scenario's verify.

- Checks marked `disruptive` (they stop services, upgrade or roll back releases) run after every other check,
  in file order, so the others see the converged state.
- fm-mol-outsider is in no inventory group and runs nothing of ours: the checks use it through `docker exec`
  (test_secure_link.py), so no check is collected for it as the host under test."""

OUTSIDER = "fm-mol-outsider"


def pytest_configure(config):
    config.addinivalue_line("markers", "disruptive: changes the converged state; runs after the other checks")


def pytest_collection_modifyitems(session, config, items):
    outsider = [item for item in items if f"://{OUTSIDER}]" in item.nodeid]
    if outsider:
        config.hook.pytest_deselected(items=outsider)
        items[:] = [item for item in items if item not in outsider]
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)
