"""versions.yml is loaded in one place, vars_plugins/forge_versions.py: every play gets forge_versions from it,
no playbook loads it itself, and a run without the plugin stops before installing anything unpinned."""

import os
import re
import sys

import pytest
import yaml
from runner import ROOT, run_ansible

from forge_monitoring import versions
from forge_monitoring.errors import FilterError


@pytest.fixture
def inventory(tmp_path):
    inv = tmp_path / "inventory.ini"
    inv.write_text(f"probe-1 ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return inv


def test_every_play_sees_the_manifest(inventory):
    rc, out = run_ansible("ansible", "-i", inventory, "all", "-m", "ansible.builtin.debug",
                          "-a", "var=forge_versions.apt.chrony")  # fmt: skip
    assert rc == 0, out
    assert f"forge_versions.apt.chrony: {versions.load()['apt']['chrony']}" in out


def test_no_playbook_loads_it_itself():
    """One place: no play of the repository names versions.yml in its vars_files."""
    loaders = []
    for path in sorted(ROOT.glob("**/*.yml")):
        if ".venv" in path.parts or ".cache" in path.parts:
            continue
        text = path.read_text()
        if "vars_files" in text and re.search(r"^\s*-\s*\S*versions\.yml\s*$", text, re.M):
            loaders.append(str(path.relative_to(ROOT)))
    assert loaders == []


def test_without_the_plugin_the_run_stops_before_installing(inventory, monkeypatch):
    monkeypatch.setenv("ANSIBLE_VARS_ENABLED", "ansible.builtin.host_group_vars")
    rc, out = run_ansible("ansible-playbook", "-i", inventory, "tests/integration/playbooks/versions_probe.yml")
    assert rc != 0
    flat = re.sub(r"\s+", " ", out)
    assert "probe-1: forge_versions is undefined." in flat and "Nothing is installed unpinned." in flat, out[-2000:]


def test_with_the_plugin_the_manifest_check_passes(inventory):
    rc, out = run_ansible("ansible-playbook", "-i", inventory, "tests/integration/playbooks/versions_probe.yml")
    # this controller may not run systemd: then the platform half of the check speaks, never the manifest half
    assert "forge_versions is undefined" not in out
    if rc != 0:
        assert "forge-monitoring supports Debian with systemd" in re.sub(r"\s+", " ", out), out[-2000:]


def test_a_broken_manifest_is_named(tmp_path):
    bad = tmp_path / "versions.yml"
    bad.write_text("forge_versions: [1, 2]\n")
    with pytest.raises(FilterError, match=f"forge_versions: {re.escape(str(bad))} has no forge_versions mapping"):
        versions.load(bad)
    bad.write_text("forge_versions: {apt: [\n")
    with pytest.raises(FilterError, match="is not valid YAML"):
        versions.load(bad)


def test_the_manifest_is_the_repository_file():
    data = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]
    assert versions.load() == data
    assert os.path.samefile(versions.MANIFEST, ROOT / "versions.yml")
