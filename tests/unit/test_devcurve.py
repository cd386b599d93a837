"""bench/dev_host_curve.sh's logic: the extra dev hosts' inventory and the curve table (the
counts come from each run's events: tests/unit/test_playrun.py)."""

from pathlib import Path

import pytest
import yaml

from forge_monitoring import devcurve, lab

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lab_plan():
    return lab.load_plan(ROOT / "inventories" / "lab")


def test_free_addresses_skip_gateway_used_and_low_offsets():
    got = devcurve.free_addresses("10.1.0.0/24", {"10.1.0.101"}, 3, start=100)
    assert got == ["10.1.0.100", "10.1.0.102", "10.1.0.103"]
    assert devcurve.free_addresses("10.1.0.0/29", set(), 2, start=0) == ["10.1.0.2", "10.1.0.3"]
    with pytest.raises(lab.LabError, match="fewer than 60"):
        devcurve.free_addresses("10.1.0.0/24", set(), 60, start=200)


def test_extra_hosts_are_agents_and_spokes_on_the_dev_network(lab_plan):
    inv = devcurve.extra_inventory(50, lab_plan)
    children = inv["all"]["children"]
    assert list(children) == ["dev_sites"]
    assert sorted(children["dev_sites"]["children"]) == ["agents", "vpn_spokes"]
    hosts = children["dev_sites"]["children"]["agents"]["hosts"]
    assert sorted(children["dev_sites"]["children"]["vpn_spokes"]["hosts"]) == sorted(hosts)
    assert len(hosts) == 50 and sorted(hosts)[0] == "devx-01" and sorted(hosts)[-1] == "devx-50"
    lab_addrs = {a for h in lab_plan.hosts for _, a in h.addresses}
    addrs = [hv["ansible_host"] for hv in hosts.values()]
    assert len(set(addrs)) == 50 and not set(addrs) & lab_addrs
    wans = [hv["lab_addresses"]["wan"] for hv in hosts.values()]
    assert len(set(wans)) == 50 and not set(wans) & lab_addrs and not set(wans) & set(addrs)
    for hv in hosts.values():
        assert hv["lab_addresses"]["dev"] == hv["ansible_host"] == hv["forge_private_address"]
        assert hv["forge_substitutes"]["wireguard"]["kind"] == "substitute"
    assert devcurve.extra_inventory(0, lab_plan)["all"]["children"]["dev_sites"]["children"]["agents"]["hosts"] == {}


def test_extra_inventory_joins_the_lab_plan(lab_plan, tmp_path):
    """The generated source beside inventories/lab: one plan, the lab's networks, the new containers labelled."""
    src = tmp_path / "a" / "hosts.yml"
    src.parent.mkdir()
    src.write_text(yaml.safe_dump(devcurve.extra_inventory(3, lab_plan)))
    plan = lab.load_plan(ROOT / "inventories" / "lab", src)
    names = {h.name for h in plan.hosts}
    assert names == {"vms-1", "dev-1", "dev-2", "devx-01", "devx-02", "devx-03"}
    extra = next(h for h in plan.hosts if h.name == "devx-02")
    assert extra.container == "fm-lab-devx-02"
    argv = lab.run_args(plan, extra, "img")
    assert argv[argv.index("--network") + 1] == "fm-lab-dev"
    assert f"{lab.LABEL}=forge-lab" in argv  # scripts/lab down finds it


def test_unknown_network_is_refused(lab_plan):
    with pytest.raises(lab.LabError, match="no network 'lan'"):
        devcurve.extra_inventory(1, lab_plan, network_key="lan")


def test_curve_table_marginals(tmp_path):
    tsv = tmp_path / "curve.tsv"
    tsv.write_text(
        "# n wall changed failed unreachable hosts load\n"
        "0\t100.0\t0\t0\t0\t4\t2.1\n10\t110.0\t0\t0\t0\t14\t3.0\n25\t140.0\t0\t0\t0\t29\t4.0\n"
    )
    rows = devcurve.read_rows(tsv)
    lines = devcurve.curve_table(rows).splitlines()
    assert lines[0].split()[:3] == ["N", "hosts", "wall"]
    assert lines[1].split()[:5] == ["0", "4", "100.0", "-", "-"]
    assert lines[2].split()[:5] == ["10", "14", "110.0", "1.00", "1.00"]
    assert lines[3].split()[:5] == ["25", "29", "140.0", "1.60", "2.00"]


def test_extra_hosts_pass_the_tunnel_rule_of_preflight(lab_plan):
    """With the lab's hub, preflight refuses an agent host outside vpn_spokes; the extra hosts are not refused."""
    from forge_monitoring.checks import Inventory, topology  # noqa: PLC0415

    extra = devcurve.extra_inventory(3, lab_plan)["all"]["children"]["dev_sites"]["children"]
    groups = {
        "vpn_hub": ["vms-1"],
        "agents": ["dev-1", *extra["agents"]["hosts"]],
        "vpn_spokes": ["dev-1", *extra["vpn_spokes"]["hosts"]],
    }
    hostvars = {h: {} for h in ("vms-1", *groups["agents"])}
    problems = topology._vpn(Inventory(hostvars, groups))
    assert not [p for p in problems if "not in vpn_spokes" in p], problems
    groups["vpn_spokes"] = ["dev-1"]  # the old agents-only hosts: refused
    problems = topology._vpn(Inventory(hostvars, groups))
    assert [p for p in problems if "devx-01: is in agents but not in vpn_spokes" in p], problems


def test_inotify_limit_is_checked_before_systemd_containers_start():
    # the default limit (128) holds the lab and a dozen extra hosts, not the 25-host step (found 2026-12-07)
    assert devcurve.inotify_problem(128, 15) is None
    problem = devcurve.inotify_problem(128, 28)
    assert problem.startswith("fs.inotify.max_user_instances is 128; 28 systemd containers need about 224")
    assert "sysctl -w fs.inotify.max_user_instances=1024" in problem
    assert devcurve.inotify_problem(1024, 53) is None
