"""The lab's lifecycle against the real Docker engine: `lab up` makes systemd hosts that
answer over SSH, `lab down` removes exactly what it made and keeps the base image.

It runs on a copy of the lab inventory with its own name, networks and subnets, so a lab
a developer has up is never touched."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from runner import run_ansible

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAB = "forge-lab-test"

pytestmark = pytest.mark.docker


def _docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def test_lab(tmp_path):
    if _docker("info").returncode != 0:
        pytest.fail("no Docker engine: run scripts/ensure-docker.sh (scripts/test does)")
    inv = tmp_path / "inventories" / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", inv, ignore=shutil.ignore_patterns("host_vars", "lab.yml"))
    (inv / "host_vars").mkdir()
    nets = {"vms": "10.215.10", "dev": "10.215.20", "wan": "10.215.0"}
    lab_vars = {
        "lab_name": LAB,
        "lab_networks": {k: {"name": f"fm-t-{k}", "subnet": f"{p}.0/24"} for k, p in nets.items()},
    }
    (inv / "group_vars" / "all" / "lab.yml").write_text(yaml.safe_dump(lab_vars))
    for name, site, last, wan in (("vms-1", "vms", 11, 11), ("dev-1", "dev", 11, 21), ("dev-2", "dev", 12, 22)):
        ip = f"{nets[site]}.{last}"
        host = {
            "ansible_host": ip,
            "forge_private_address": ip,
            "lab_container": f"fm-t-{name}",
            "lab_addresses": {site: ip, "wan": f"{nets['wan']}.{wan}"},
        }
        (inv / "host_vars" / f"{name}.yml").write_text(yaml.safe_dump(host))
    yield inv
    subprocess.run([str(BIN / "forge-monitoring"), "lab", "--inventory", str(inv), "down"], check=False)


def _labelled(kind):
    fmt = "{{.Names}}" if kind == "container" else "{{.Name}}"
    extra = ["--all"] if kind == "container" else []
    return _docker(kind, "ls", *extra, "--filter", f"label=forge.lab={LAB}", "--format", fmt).stdout.split()


def test_up_answers_over_ssh_and_down_removes_exactly_what_up_made(test_lab):
    lab = [str(BIN / "forge-monitoring"), "lab", "--inventory", str(test_lab)]
    up = subprocess.run([*lab, "up", "--no-deploy"], capture_output=True, text=True, check=False, timeout=600)
    assert up.returncode == 0, up.stdout + up.stderr
    assert sorted(_labelled("container")) == ["fm-t-dev-1", "fm-t-dev-2", "fm-t-vms-1"]
    assert sorted(_labelled("network")) == ["fm-t-dev", "fm-t-vms", "fm-t-wan"]

    # the controller reaches every host over SSH with the lab's key and pinned host keys
    rc, out = run_ansible(
        "ansible", "-i", test_lab, "all", "-m", "ansible.builtin.setup", "-a", "filter=ansible_hostname"
    )
    assert rc == 0, out
    for name in ("vms-1", "dev-1", "dev-2"):
        assert f"ansible_hostname: {name}\n" in out

    # vms-1 is on the VMS LAN and the WAN; dev hosts on the dev LAN and the WAN
    nets = json.loads(_docker("inspect", "fm-t-vms-1", "--format", "{{json .NetworkSettings.Networks}}").stdout)
    assert {n: v["IPAddress"] for n, v in nets.items()} == {"fm-t-vms": "10.215.10.11", "fm-t-wan": "10.215.0.11"}
    # Docker isolates the site LANs from each other, as the real sites are
    assert _docker("exec", "fm-t-dev-1", "ping", "-c1", "-W1", "10.215.10.11").returncode != 0
    assert _docker("exec", "fm-t-dev-1", "ping", "-c1", "-W1", "10.215.0.11").returncode == 0

    # a second `up` changes nothing and keeps the hosts
    ids = _docker("inspect", "--format", "{{.Id}}", "fm-t-vms-1").stdout
    again = subprocess.run([*lab, "up", "--no-deploy"], capture_output=True, text=True, check=False, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _docker("inspect", "--format", "{{.Id}}", "fm-t-vms-1").stdout == ids

    image = os.environ.get("FORGE_IMAGE", "forge-lab/debian-systemd:bookworm")
    down = subprocess.run([*lab, "down"], capture_output=True, text=True, check=False, timeout=300)
    assert down.returncode == 0, down.stdout + down.stderr
    assert _labelled("container") == []
    assert _labelled("network") == []
    assert not (test_lab.parent.parent / ".lab").exists()
    assert _docker("image", "inspect", image).returncode == 0
