"""roles/clickhouse_keeper through the real ansible-playbook, render only: no ClickHouse Keeper binary can be
had here (Debian's ClickHouse is 18.16; Keeper needs 22+), so this proves the rendered files and their check,
not a running ensemble."""

import subprocess
import sys
from xml.etree import ElementTree

import yaml
from runner import ROOT, run_ansible


def _inventory(tmp_path, hosts):
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "clickhouse_keeper_manage_service": False,
                "clickhouse_keeper_config_dir": str(tmp_path / "etc" / "{{ inventory_hostname }}"),
                "clickhouse_keeper_tools_dir": str(tmp_path / "tools"),
            },
            "children": {"zookeeper": {"hosts": hosts}},
        }
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def test_three_servers_render_a_consistent_raft_configuration(tmp_path):
    hosts = {f"k{i}": {"forge_private_address": f"10.9.0.{i}"} for i in (1, 2, 3)}
    hosts["k3"]["clickhouse_keeper_id"] = 7
    inventory = _inventory(tmp_path, hosts)
    rc, out = run_ansible("ansible-playbook", "-i", inventory, ROOT / "tests/integration/playbooks/keeper.yml")
    assert rc == 0, out
    raft = None
    for name, server_id in (("k1", "1"), ("k2", "2"), ("k3", "7")):
        root = ElementTree.parse(tmp_path / "etc" / name / "keeper_config.d" / "forge-keeper.xml").getroot()
        keeper = root.find("keeper_server")
        assert root.tag == "clickhouse"
        assert root.findtext("listen_host") == hosts[name]["forge_private_address"]
        assert keeper.findtext("server_id") == server_id
        assert keeper.findtext("tcp_port") == "9181"
        servers = [(s.findtext("id"), s.findtext("hostname"), s.findtext("port")) for s in keeper.iter("server")]
        assert servers == [("1", "10.9.0.1", "9234"), ("2", "10.9.0.2", "9234"), ("7", "10.9.0.3", "9234")]
        raft = raft or servers
        assert servers == raft  # every server has the same view of the ensemble
    # a second run changes nothing
    rc, out = run_ansible("ansible-playbook", "-i", inventory, ROOT / "tests/integration/playbooks/keeper.yml")
    assert rc == 0 and "changed=0" in out, out


def test_the_checker_refuses_a_file_that_contradicts_the_ensemble(tmp_path):
    hosts = {"k1": {"forge_private_address": "10.9.0.1"}}
    inventory = _inventory(tmp_path, hosts)
    rc, out = run_ansible("ansible-playbook", "-i", inventory, ROOT / "tests/integration/playbooks/keeper.yml")
    assert rc == 0, out
    checker = [sys.executable, str(tmp_path / "tools" / "keeper-config-check")]
    rendered = str(tmp_path / "etc" / "k1" / "keeper_config.d" / "forge-keeper.xml")
    ok = subprocess.run(
        [*checker, rendered, "--server-id", "1", "--servers", "1"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [*checker, rendered, "--server-id", "2", "--servers", "3"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert "server_id is '1', expected 2" in bad.stderr and "lists 1 server(s), expected 3" in bad.stderr


def test_an_even_ensemble_is_refused_before_anything_is_written(tmp_path):
    hosts = {f"k{i}": {"forge_private_address": f"10.9.0.{i}"} for i in (1, 2)}
    rc, out = run_ansible(
        "ansible-playbook", "-i", _inventory(tmp_path, hosts), ROOT / "tests/integration/playbooks/keeper.yml"
    )
    assert rc != 0
    assert "an ensemble needs an odd number" in out
    assert not (tmp_path / "etc").exists()
