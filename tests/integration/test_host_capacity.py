"""The per-host sizing and retention the plays hand to the roles, evaluated by the real ansible-playbook."""

import json
import shutil
from pathlib import Path

from runner import run_ansible

ROOT = Path(__file__).resolve().parents[2]


def _capacity(inventory, out_dir):
    out_dir.mkdir()
    rc, out = run_ansible(
        "ansible-playbook", "-i", inventory, "tests/integration/playbooks/host_capacity.yml", "-e", f"out_dir={out_dir}"
    )
    return rc, out, {p.stem: json.loads(p.read_text()) for p in out_dir.glob("*.json")}


def test_lab_hosts_get_their_budgets_and_the_clickhouse_host_its_ttls(tmp_path):
    rc, out, found = _capacity(ROOT / "inventories" / "lab", tmp_path / "out")
    assert rc == 0, out
    vms, dev = found["vms-1"], found["dev-1"]
    assert vms["sizing"]["clickhouse"]["max_server_memory_usage"] == 1536 * 4 // 5 * 1024 * 1024
    assert vms["sizing"]["units"]["signoz"]["memory_max_mb"] == 2560
    assert vms["retention"]["signals"]["logs"]["ttl_duration"] == "8760h"
    assert vms["retention"]["signals"]["traces"]["ttl_duration"] == "4392h"
    assert vms["retention"]["shards"] == 1 and vms["retention"]["fits"] is True
    assert dev["sizing"]["units"]["exporters"] == {
        "memory_max_mb": 40, "memory_high_mb": 36, "cpu_quota_percent": 2, "components": ["agent"],
    }  # fmt: skip
    assert dev["retention"] == {}


def test_a_retention_that_does_not_fit_stops_the_clickhouse_host(tmp_path):
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "lab", inv)
    (inv / "group_vars" / "all" / "zz.yml").write_text("---\nforge_ingest_estimates: {logs: {monthly_gb: 100}}\n")
    rc, out, found = _capacity(inv, tmp_path / "out")
    assert rc != 0
    assert "forge_retention: retention needs" in " ".join(out.split())
    assert "vms-1" not in found and "dev-1" in found
