"""playbooks/preflight.yml through the real ansible-playbook: it runs on the controller
only, reports every inventory problem at once and never contacts a host."""

import json
import re
from pathlib import Path

from runner import production_copy, production_with_cold_volume, run_ansible

from forge_monitoring.lab import build_fixtures

ROOT = Path(__file__).resolve().parents[2]


def _preflight(inventory, *extra):
    return run_ansible("ansible-playbook", "-i", inventory, "playbooks/preflight.yml", *extra)


def _recap_hosts(out):
    return re.findall(r"^(\S+)\s+: ok=", out.split("PLAY RECAP", 1)[1], re.MULTILINE)


def test_lab_inventory_passes_preflight_on_the_controller_only():
    build_fixtures()  # the lab is offline: its fixture artifacts must be in its cache, as `scripts/lab up` makes them
    rc, out = _preflight(ROOT / "inventories" / "lab")
    assert rc == 0, out
    assert _recap_hosts(out) == ["localhost"]


def test_production_example_is_refused_for_the_seeds_retention_alone(tmp_path):
    """The example carries the seed's numbers: 50 GB/month, logs kept a year, 500 GB. With 20 % headroom that
    does not fit from day 359, and preflight says so (docs/sizing.md); nothing else is wrong with it once its
    vault holds the secrets."""
    rc, out = _preflight(production_copy(tmp_path))
    flat = " ".join(out.split())
    assert rc != 0
    assert "The inventory has 1 problem(s):" in flat
    assert "vms-1.example.internal: retention does not fit: needs 504.2 GB" in flat
    assert _recap_hosts(out) == ["localhost"]


def test_production_example_with_a_cold_volume_passes_preflight(tmp_path):
    inv = production_with_cold_volume(tmp_path)
    rc, out = _preflight(inv)
    assert rc == 0, out
    assert _recap_hosts(out) == ["localhost"]


def test_production_never_substitutes():
    subs = json.dumps({"forge_substitutes": {"signoz": {"kind": "fixture", "what": "test fixture"}}})
    rc, out = _preflight(ROOT / "inventories" / "production", "-e", subs)
    assert rc != 0
    assert "production inventories never substitute" in out
    assert "vms-1.example.internal: forge_substitutes lists signoz" in out


def test_lab_substitutes_are_announced():
    # the lab's ClickHouse stays declared (its 18.16 pin is a substitute: the version minimums are skipped for it)
    lab_clickhouse = {"kind": "substitute", "what": "Debian clickhouse-server 18.16.1"}
    subs = json.dumps(
        {"forge_substitutes": {"signoz": {"kind": "fixture", "what": "test fixture"}, "clickhouse": lab_clickhouse}}
    )
    rc, out = _preflight(ROOT / "inventories" / "lab", "-e", subs)
    assert rc == 0, out
    assert "LAB RUN: these components are NOT the upstream artifacts" in out
    assert "FIXTURE    signoz: test fixture (on dev-1, dev-2, vms-1)" in out


def test_every_problem_is_reported_before_any_host(tmp_path):
    inv = production_copy(tmp_path)
    (inv / "host_vars" / "dev-1.example.internal.yml").write_text("---\nforge_private_address: not-an-ip\n")
    (inv / "host_vars" / "dev-2.example.internal.yml").write_text(
        "---\nforge_env: staging\nforge_private_address: 10.20.0.22\n"
    )
    rc, out = _preflight(inv)
    assert rc != 0
    assert "The inventory has 3 problem(s):" in out
    assert "vms-1.example.internal: retention does not fit" in out
    assert "dev-1.example.internal: forge_private_address is 'not-an-ip'; expected an IP address" in out
    assert "dev-2.example.internal: forge_env is 'staging'; expected one of lab, production" in out
    assert "PLAY [VMS" not in out  # nothing ran past preflight


def test_offline_site_run_with_an_empty_cache_stops_in_preflight(tmp_path):
    """The real site.yml on the lab inventory: a missing artifact stops the run before any host."""
    manifest = {
        "forge_versions": {
            "apt": {},
            "artifacts": {
                "forge-fixture-tool": {
                    "version": "1.0.0",
                    "groups": ["signoz"],
                    "format": "binary",
                    "arch": {"amd64": {"url": "http://127.0.0.1:9/forge-fixture-tool", "sha256": "0" * 64}},
                }
            },
        }
    }
    extra = tmp_path / "manifest.json"
    extra.write_text(json.dumps(manifest))
    cache = tmp_path / "cache"
    rc, out = run_ansible(
        "ansible-playbook", "-i", ROOT / "inventories" / "lab", "site.yml",
        "-e", f"@{extra}", "-e", "artifact_offline=true", "-e", f"artifact_cache_dir={cache}",
    )  # fmt: skip
    assert rc != 0
    assert "forge-fixture-tool 1.0.0 amd64" in out
    assert str(cache / "forge-fixture-tool" / "1.0.0" / "amd64") in out
    assert "playbooks/prefetch.yml" in out
    assert "PLAY [VMS" not in out
    assert "vms-1" not in out.split("PLAY RECAP", 1)[1]


def test_incompatible_version_combination_is_refused(tmp_path):
    """versions.yml compatibility: a SigNoz host whose ClickHouse is older than the pinned SigNoz needs. The
    ClickHouse version is one fact, the package pin clickhouse_version (SigNoz's view derives from it), so the
    inventory check refuses it where it is set (signoz_compat_inventory_problems reads the same pin:
    tests/unit/test_filter_signoz_compat.py)."""
    rc, out = _preflight(production_with_cold_volume(tmp_path), "-e", "clickhouse_version=24.8.1")
    flat = " ".join(out.split()).replace("''", "'")
    assert rc != 0
    assert "vms-1.example.internal: clickhouse_version is '24.8.1' (ClickHouse 24.8.1); the pinned SigNoz needs" in flat
    assert _recap_hosts(out) == ["localhost"]


def test_a_production_cache_holding_fixtures_is_refused(tmp_path):
    """roles/artifact preflight: a production run refuses a controller cache that holds a fixture, found by its
    version directory or by its lock file's sha256 (a fixture build's, pinned in inventories/lab)."""
    lab = (ROOT / "inventories/lab/group_vars/all/signoz-fixtures.yml").read_text()
    fixture_sha = re.search(r'"0\.129\.0-fixture": ([0-9a-f]{64})', lab).group(1)
    cache = tmp_path / "cache"
    planted = cache / "signoz-otel-collector" / "0.144.5-fixture" / "amd64" / "signoz-otel-collector_linux_amd64.tar.gz"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"a fixture left behind by an old build")
    lock = {"artifacts": [{"name": "signoz", "version": "0.129.0", "arch": "amd64", "file": "signoz_linux_amd64.tar.gz",
                           "url": "https://github.com/SigNoz/signoz/releases/download/v0.129.0/signoz_linux_amd64.tar.gz",
                           "sha256": fixture_sha}]}  # fmt: skip
    (cache / "artifacts.lock.yml").write_text(json.dumps(lock))
    rc, out = _preflight(production_with_cold_volume(tmp_path), "-e", f"artifact_cache_dir={cache}")
    flat = " ".join(out.split())
    assert rc != 0
    assert "The controller cache holds fixtures; production installs upstream releases only:" in flat
    assert f"{cache}/signoz/0.129.0/amd64/signoz_linux_amd64.tar.gz is a fixture (sha256 {fixture_sha}" in flat
    assert f"{planted} is a fixture (version directory '0.144.5-fixture')" in flat
    assert _recap_hosts(out) == ["localhost"]
