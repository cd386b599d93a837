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


def test_the_agent_scrapes_the_database_exporters(tmp_path):
    """A trading host with a primary, a replica and pgBouncer in roles/db_exporters' lists: the real wiring hands the
    agent node_exporter's scrape plus one job per exporter (db_exporters_scrape_jobs), and the contrib build's
    pipeline scrapes them all into the metrics pipeline. (The core build in the tests has no prometheus receiver.)"""
    from otel_agent_cases import CONTRIB, settings  # noqa: PLC0415 (tests/ on the path)

    secret = "Never-shown-1"
    db = {"host": "127.0.0.1", "user": "forge_monitor", "password": secret}
    hostvars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "forge_private_address": "10.9.1.5",
        "db_exporters_postgres": [{**db, "name": "primary", "listen_port": 9187},
                                  {**db, "name": "replica", "port": 5433, "listen_port": 9188}],
        "db_exporters_pgbouncer": [{**db, "name": "pool", "port": 6432, "listen_port": 9127}],
        "contrib_components": CONTRIB,
        "contrib_settings": settings(),
    }  # fmt: skip
    inv = tmp_path / "hosts.yml"
    inv.write_text(json.dumps({"all": {"children": {"agents": {"hosts": {"dev-9": hostvars}}}}}))
    probe = "tests/integration/playbooks/agent_scrapes_probe.yml"
    rc, out = run_ansible("ansible-playbook", "-i", inv, probe, "-e", f"out_dir={tmp_path}")
    assert rc == 0, out[-3000:]
    got = json.loads((tmp_path / "dev-9.json").read_text())
    assert got["otel_agent_scrapes"] == [
        {"job": "node", "targets": ["10.9.1.5:9100"]},
        {"job": "postgres-primary", "targets": ["127.0.0.1:9187"]},
        {"job": "postgres-replica", "targets": ["127.0.0.1:9188"]},
        {"job": "pgbouncer-pool", "targets": ["127.0.0.1:9127"]},
    ]
    config = got["config"]
    jobs = {c["job_name"]: c["static_configs"][0]["targets"] for c in config["receivers"]["prometheus"]["config"]
            ["scrape_configs"]}  # fmt: skip
    assert jobs == {s["job"]: s["targets"] for s in got["otel_agent_scrapes"]}
    assert "prometheus" in config["service"]["pipelines"]["metrics"]["receivers"]
    assert secret not in json.dumps(got) and secret not in out
