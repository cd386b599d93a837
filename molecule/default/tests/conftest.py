"""Check order of the default scenario's verify: checks marked `disruptive` (they stop services, upgrade or roll
back releases) run after every other check, in file order, so the others see the converged state."""


def pytest_configure(config):
    config.addinivalue_line("markers", "disruptive: changes the converged state; runs after the other checks")


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)
