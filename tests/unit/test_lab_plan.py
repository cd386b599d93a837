"""The lab plan is read from inventories/lab: check it against the real inventory and bad ones."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from forge_monitoring import lab

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lab_inventory():
    exe = Path(sys.executable).parent / "ansible-inventory"
    out = subprocess.run(
        [str(exe), "-i", str(ROOT / "inventories" / "lab"), "--list"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def test_lab_models_the_seed_topology(lab_inventory):
    plan = lab.plan_from_inventory(lab_inventory)
    assert {n.key for n in plan.networks.values()} == {"vms", "dev", "wan"}
    hosts = {h.name: dict(h.addresses) for h in plan.hosts}
    assert set(hosts) == {"vms-1", "dev-1", "dev-2"}
    assert set(hosts["vms-1"]) == {"vms", "wan"}
    assert set(hosts["dev-1"]) == set(hosts["dev-2"]) == {"dev", "wan"}
    groups = lab_inventory
    assert set(groups["vms_site"]["children"]) == {"clickhouse", "zookeeper", "signoz", "ingest", "frontend", "vpn_hub"}
    assert set(groups["dev_sites"]["children"]) == {"agents", "vpn_spokes"}


def test_run_args_have_the_systemd_flags_and_label(lab_inventory):
    plan = lab.plan_from_inventory(lab_inventory)
    host = next(h for h in plan.hosts if h.name == "vms-1")
    args = lab.run_args(plan, host, "img:tag")
    assert "--privileged" not in args
    for flag in ("SYS_ADMIN", "NET_ADMIN", "/dev/net/tun", "SIGRTMIN+3", "/sys/fs/cgroup:/sys/fs/cgroup:rw"):
        assert flag in args
    assert args[args.index("--label") + 1] == "forge.lab=forge-lab"
    assert args[args.index("--ip") + 1] == "10.213.10.11"
    assert args[-2:] == ["img:tag", "/lib/systemd/systemd"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda inv: inv["_meta"]["hostvars"]["dev-1"]["lab_addresses"].update(dev="10.9.9.9"), "not a host address"),
        (lambda inv: inv["_meta"]["hostvars"]["dev-1"]["lab_addresses"].update(dev="10.213.20.12"), "also used by"),
        (lambda inv: inv["_meta"]["hostvars"]["dev-1"]["lab_addresses"].update(dev="10.213.20.1"), "bridge gateway"),
        (lambda inv: inv["_meta"]["hostvars"]["dev-1"]["lab_addresses"].update(lan="10.213.20.5"), "names no network"),
        (lambda inv: inv["_meta"]["hostvars"]["dev-1"].update(lab_addresses={}), "lab_addresses is empty"),
        (
            lambda inv: inv["_meta"]["hostvars"]["dev-1"].update(ansible_host="10.213.20.99"),
            "none of its lab_addresses",
        ),
        (
            lambda inv: [
                hv["lab_networks"]["wan"].update(subnet="10.213.0.0/16") for hv in inv["_meta"]["hostvars"].values()
            ],
            "overlaps",
        ),
    ],
)
def test_bad_lab_inventories_are_refused_with_the_host_named(lab_inventory, mutate, expected):
    inv = copy.deepcopy(lab_inventory)
    mutate(inv)
    with pytest.raises(lab.LabError, match=expected):
        lab.plan_from_inventory(inv)
