"""The layout, the pinned toolchain and ansible.cfg, as the foundation issue fixes them."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_layout():
    for path in ("pyproject.toml", "ansible.cfg", "site.yml", "README.md", ".ci/run", "versions.yml"):
        assert (ROOT / path).is_file(), path
    for path in ("playbooks", "roles", "inventories/lab", "inventories/production", "filter_plugins",
                 "molecule", "tests", "docs", "bench"):  # fmt: skip
        assert (ROOT / path).is_dir(), path
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_pyproject_pins_the_toolchain():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.12"  # ansible-core 2.21
    extras = project["optional-dependencies"]
    specs = project["dependencies"] + [s for extra in extras.values() for s in extra]
    pins = dict(
        re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(.+)$", spec).groups()
        for spec in specs
        if not spec.startswith("forge-monitoring[")
    )
    # matplotlib only draws the plan's charts: an optional extra, which the test extra pulls in
    assert [s.split("==")[0] for s in extras["plan"]] == ["matplotlib"]
    assert "forge-monitoring[plan]" in extras["test"]
    assert not any(s.startswith("matplotlib") for s in project["dependencies"])
    assert pins["ansible"].startswith("14.")
    assert pins["ansible-core"].startswith("2.21.")
    for tool in ("ansible-runner", "jinja2", "mitogen", "cryptography", "paramiko", "molecule",
                 "molecule-plugins[docker]", "pytest", "pytest-testinfra", "hypothesis", "ansible-lint", "yamllint",
                 "ruff"):  # fmt: skip
        assert tool in pins, f"{tool} is not pinned with == in pyproject.toml"


def test_ansible_cfg_settings_take_effect():
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-config"), "dump", "--only-changed"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    settings = dict(re.findall(r"^(\w+)\([^)]*\) = (.*)$", out, re.M))
    assert str(ROOT / "roles") in settings["DEFAULT_ROLES_PATH"]
    assert str(ROOT / "filter_plugins") in settings["DEFAULT_FILTER_PLUGIN_PATH"]
    assert settings["ANSIBLE_PIPELINING"] == "True"
    assert int(settings["DEFAULT_FORKS"]) >= 10
    # the execution engine: mitogen's linear strategy, from the link scripts/bootstrap-venv.sh makes
    assert settings["DEFAULT_STRATEGY"] == "mitogen_linear"
    link = ROOT / ".venv" / "ansible-mitogen-strategy"
    assert str(link) in settings["DEFAULT_STRATEGY_PLUGIN_PATH"]
    if not link.parent.is_dir():
        pytest.skip("no project .venv here: scripts/bootstrap-venv.sh makes it and the strategy link")
    assert (link / "mitogen_linear.py").is_file(), f"{link} does not lead to ansible_mitogen's strategy plugins"


def test_molecule_runs_the_same_engine_and_one_scenario_the_stock_one():
    """Molecule writes an ansible.cfg of its own, so the shared molecule config names the engine
    itself: mitogen's strategy from the venv link, and the short `docker` connection (the name
    mitogen takes over; community.docker.docker, the driver's default, it leaves to the stock
    action). The driver's own plays on localhost keep the stock local connection (their async jobs
    never report back under mitogen's). One scenario keeps the stock engine, so CI still runs it."""
    base = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())
    prov = base["provisioner"]
    assert prov["config_options"]["defaults"]["strategy"] == "mitogen_linear"
    assert prov["config_options"]["defaults"]["strategy_plugins"].endswith("/.venv/ansible-mitogen-strategy")
    assert prov["connection_options"]["ansible_connection"] == "docker"
    assert prov["connection_options"]["ansible_python_interpreter"] == "/usr/bin/python3"
    assert prov["inventory"]["host_vars"]["localhost"]["ansible_connection"] == "ansible.builtin.local"
    stock = [
        p.parent.name
        for p in sorted((ROOT / "molecule").glob("*/molecule.yml"))
        if (yaml.safe_load(p.read_text()).get("provisioner") or {}).get("env", {}).get("ANSIBLE_STRATEGY") == "linear"
    ]
    assert stock == ["frontend"], f"exactly one scenario on the stock engine, found {stock}"
