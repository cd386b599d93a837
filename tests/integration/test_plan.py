"""`forge-monitoring plan`: the capacity plan from an inventory, through the real console script."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from runner import production_with_cold_volume

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "forge-monitoring"


def _plan(inventory, out, *extra):
    proc = subprocess.run(
        [str(CLI), "plan", "-i", str(inventory), "--out", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    rc, text = _plan(ROOT / "inventories" / "production", out, "--start", "2026-01-01")
    return rc, text, out


def test_production_plan_answers_the_seeds_questions(production):
    rc, text, _ = production
    assert rc == 1, text  # something does not fit: the exit code says so
    # memory: the seed's allocation on the 8 GB host
    assert "### vms-1.example.internal" in text
    assert "| clickhouse | clickhouse | 1,536 | 1,382 | 180% |" in text
    assert "| signoz | signoz | 2,048 |" in text and "| frontend | nginx, oauth2-proxy | 1,024 |" in text
    assert "**FITS** 8,192 MB: 8,192 MB allocated, 0 MB left; ClickHouse gets 1,536 MB." in text
    # disk: 50 GB/month, 6 months trading + 1 year compliance, 500 GB
    assert "| **total** |  | 1.643 | 50.00 |  |  | **420.2** |" in text
    assert "**DOES NOT FIT** 500 GB: needs 504.2 GB (420.2 GB + 20% headroom)." in text
    assert "From 2026-12-26 (day 359 after 2026-01-01) the headroom is used up" in text
    # agents: the seed's budget on each dev host
    assert "| otel-agent | 120 | 108 | 24% | agent |" in text
    assert "Agent budget: < 10 Mbps sent (1,250,000 bytes/s), < 100 MB/day written" in text
    assert "[plan] something does NOT fit: see above" in text


def test_production_plan_writes_the_report_and_both_charts(production):
    _, text, out = production
    report = (out / "plan.md").read_text()
    assert report.startswith("# Capacity plan:")
    assert "![projected disk use on vms-1.example.internal](disk-projection-vms-1.example.internal.png)" in report
    png = (out / "disk-projection-vms-1.example.internal.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    svg = ET.parse(out / "disk-projection-vms-1.example.internal.svg").getroot()
    assert svg.tag.endswith("svg")
    body = (out / "disk-projection-vms-1.example.internal.svg").read_text()
    for label in ("traces (trading)", "logs (compliance)", "metrics (trading)", "disk 500 GB",
                  "trading TTL 183 d", "compliance TTL 365 d", "headroom used up 2026-12-26"):  # fmt: skip
        assert label in body, label
    assert f"[plan] wrote {out / 'plan.md'}" in text


def test_the_chart_is_reproducible(production, tmp_path):
    _, _, out = production
    _plan(ROOT / "inventories" / "production", tmp_path, "--start", "2026-01-01")
    name = "disk-projection-vms-1.example.internal.svg"
    assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_with_a_cold_volume_everything_fits(tmp_path):
    inv = production_with_cold_volume(tmp_path)
    rc, text = _plan(inv, tmp_path / "out", "--start", "2026-01-01")
    assert rc == 0, text
    assert "| logs | compliance | 0.657 | 20.00 | 365 d (`8760h`) | 359 d | 239.8 |" in text
    assert "**FITS** 500 GB + 500 GB cold" in text
    assert "[plan] everything fits" in text


def test_lab_plan_fits(tmp_path):
    rc, text = _plan(ROOT / "inventories" / "lab", tmp_path)
    assert rc == 0, text
    assert "### vms-1" in text and "### dev-1" in text


def test_a_missing_inventory_is_a_clear_error(tmp_path):
    rc, text = _plan(tmp_path / "nope", tmp_path / "out")
    assert rc == 2
    assert f"[plan] no inventory at {tmp_path / 'nope'}" in text
    (tmp_path / "empty.yml").write_text("all:\n  hosts: {}\n")
    rc, text = _plan(tmp_path / "empty.yml", tmp_path / "out")
    assert rc == 2
    assert "has no hosts in the groups vms_site or dev_sites" in text
