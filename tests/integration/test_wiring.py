"""The plays' wiring (playbooks/vars/wiring.yml) on a site whose front end, SigNoz and ClickHouse are on three
hosts: each host's roles receive the other hosts' addresses, never their own."""

import json
import sys

from runner import run_ansible


def test_every_host_is_handed_the_nodes_of_the_others(tmp_path):
    inv = tmp_path / "hosts.yml"
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {"fe-1": "10.9.0.1", "sz-1": "10.9.0.2", "ch-1": "10.9.0.3"}
    groups = {"frontend": ["fe-1"], "signoz": ["sz-1"], "clickhouse": ["ch-1"]}
    inv.write_text(json.dumps({"all": {
        "hosts": {h: {**local, "forge_private_address": a} for h, a in hosts.items()},
        "children": {g: {"hosts": {h: {} for h in members}} for g, members in groups.items()},
    }}))  # fmt: skip
    rc, out = run_ansible(
        "ansible-playbook", "-i", inv, "tests/integration/playbooks/upstreams_probe.yml", "-e", f"out_dir={tmp_path}"
    )
    assert rc == 0, out[-3000:]
    got = {h: json.loads((tmp_path / f"{h}.json").read_text()) for h in hosts}
    for h in hosts:
        assert got[h]["frontend_dependent_upstreams"] == [
            {"name": "signoz", "address": "10.9.0.2:8080", "websocket": True}
        ], (h, got[h])
        assert got[h]["signoz_clickhouse_host"] == got[h]["signoz_ingest_clickhouse_host"] == "10.9.0.3", (h, got[h])
