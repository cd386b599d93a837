"""forge_monitoring/provenance.py: production refuses fixtures and substitutes; verify detects them on the host."""

import hashlib
from pathlib import Path

import pytest
import yaml

from forge_monitoring import provenance as p

ROOT = Path(__file__).resolve().parents[2]
FV = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]
GROUPS = {
    "vms_site": ["vms-1"],
    "dev_sites": ["dev-1"],
    "clickhouse": ["vms-1"],
    "signoz": ["vms-1"],
    "ingest": ["vms-1"],
    "agents": ["dev-1"],
}
FIXTURE_SHA = "a" * 64
# the ClickHouse minimum of the pinned SigNoz and collector (versions.yml), as preflight names it
PINNED_MIN = p.clickhouse_minimum(
    FV, signoz=FV["artifacts"]["signoz"]["version"], collector=FV["artifacts"]["signoz-otel-collector"]["version"]
)


def hostvars(env="production", **vms):
    return {"vms-1": {"forge_env": env, **vms}, "dev-1": {"forge_env": env}}


def fixture_manifest(**arch):
    entry = {
        "version": "0.129.0-fixture",
        "groups": ["signoz"],
        "arch": {"amd64": {"url": "https://fixtures.invalid/signoz/x.tar.gz", "sha256": FIXTURE_SHA, **arch}},
    }
    return {**FV["artifacts"], "signoz": entry}


def test_the_shipped_production_pins_are_upstream():
    assert p.production_problems(hostvars(), GROUPS, FV, p.fixture_sha256s()) == []


@pytest.mark.parametrize(
    ("vms", "expected"),
    [
        ({"artifact_manifest": fixture_manifest()}, "vms-1: artifact_manifest.signoz.version is '0.129.0-fixture'"),
        (
            {"artifact_manifest": fixture_manifest()},
            "artifact_manifest.signoz.arch.amd64.url is 'https://fixtures.invalid",
        ),
        ({"artifact_manifest": fixture_manifest()}, f"artifact_manifest.signoz.arch.amd64.sha256 is {FIXTURE_SHA}"),
        (
            {"artifact_manifest": fixture_manifest(url="file:///repo/molecule/fixtures/s.tar.gz")},
            "a file:// URL",
        ),
        ({"clickhouse_version": "18.16.1+ds-7.3+b2"}, "vms-1: clickhouse_version is '18.16.1+ds-7.3+b2'"),
        ({"clickhouse_version": "25.3.2.1"}, f"the pinned SigNoz needs ClickHouse >= {PINNED_MIN}"),
        ({"signoz_compat_skip": ["clickhouse"]}, "vms-1: signoz_compat_skip is ['clickhouse']"),
        ({"wireguard_userspace": True}, "vms-1: wireguard_userspace is True; userspace WireGuard (wireguard-go)"),
        ({"otel_agent_artifact": "otelcol-debian"}, "otel_agent_artifact is 'otelcol-debian'; another collector"),
    ],
)
def test_production_refuses_what_is_not_upstream(vms, expected):
    problems = p.production_problems(hostvars(**vms), GROUPS, FV, [FIXTURE_SHA])
    assert any(expected in x for x in problems), problems
    # the lab may: the same inventory with forge_env: lab passes
    assert p.production_problems(hostvars("lab", **vms), GROUPS, FV, [FIXTURE_SHA]) == []


def test_a_missing_or_mistyped_environment_is_production():
    for env in (None, "staging", "Lab"):
        assert p.production_problems(hostvars(env, signoz_compat_skip=["clickhouse"]), GROUPS, FV)


def test_the_clickhouse_minimum_follows_the_pinned_signoz():
    assert p.clickhouse_minimum(FV, signoz="0.129.0", collector="0.144.5") == "25.5.6"
    assert p.clickhouse_minimum(FV, signoz="0.131.0", collector="0.144.5") == "25.12.5"
    assert p.clickhouse_minimum(FV, signoz="0.129.0", collector="0.144.7") == "25.12.5"
    upstream = {"clickhouse_version": "25.12.5.44"}
    assert p.production_problems(hostvars(**upstream), GROUPS, FV) == []


def test_the_fixture_cache_as_the_product_cache_is_refused():
    out = p.production_problems(hostvars(), GROUPS, FV, cache_dir="/repo/.cache/fixtures/artifacts")
    assert out and "artifact_cache_dir is '/repo/.cache/fixtures/artifacts', the fixtures' cache" in out[0]
    assert p.production_problems(hostvars(), GROUPS, FV, cache_dir="/repo/.cache/artifacts") == []


def test_fixture_shas_come_from_the_test_inventories_and_the_fixture_cache(tmp_path):
    pins = tmp_path / "molecule" / "x" / "molecule.yml"
    pins.parent.mkdir(parents=True)
    pins.write_text(f'signoz:\n  "0.1.0-fixture": {"b" * 64}\nreal: {"c" * 64}\n')
    tarball = tmp_path / ".cache" / "fixtures" / "artifacts" / "hq" / "0.0.1" / "amd64" / "hq.tar.gz"
    tarball.parent.mkdir(parents=True)
    tarball.write_bytes(b"fixture tarball")
    shas = p.fixture_sha256s(tmp_path)
    assert "b" * 64 in shas and hashlib.sha256(b"fixture tarball").hexdigest() in shas
    assert "c" * 64 not in shas  # a sha on a line that names no fixture is not taken for one
    # the repository's own fixture pins (molecule/default, inventories/lab) are found
    lab = yaml.safe_load((ROOT / "inventories/lab/group_vars/all/signoz-fixtures.yml").read_text())
    assert set(lab["lab_fixture_sha256"]["signoz"].values()) <= set(p.fixture_sha256s())


def test_the_cache_refuses_fixture_files(tmp_path):
    lock = {
        "artifacts": [
            {
                "name": "signoz",
                "version": "0.129.0",
                "arch": "amd64",
                "file": "s.tar.gz",
                "sha256": FIXTURE_SHA,
                "url": "https://github.com/SigNoz/signoz/releases/download/v0.129.0/s.tar.gz",
            },
            {
                "name": "ok",
                "version": "1.0.0",
                "arch": "amd64",
                "file": "ok.tar.gz",
                "sha256": "d" * 64,
                "url": "https://github.com/x/ok/releases/download/v1.0.0/ok.tar.gz",
            },
        ]
    }
    planted = tmp_path / "signoz-otel-collector" / "0.144.5-fixture" / "amd64" / "c.tar.gz"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"x")
    out = p.cache_problems(lock, [FIXTURE_SHA], str(tmp_path))
    assert len(out) == 2, out
    assert f"{tmp_path}/signoz/0.129.0/amd64/s.tar.gz is a fixture (sha256 {FIXTURE_SHA} of a fixture build)" in out[0]
    assert "version directory '0.144.5-fixture'" in out[1]
    assert p.cache_problems({"artifacts": lock["artifacts"][1:]}, [FIXTURE_SHA], str(tmp_path / "none")) == []


@pytest.mark.parametrize(
    ("select", "package", "source", "evidence"),
    [
        ("25.12.5.44", "25.12.5.44", "upstream", "SELECT version() 25.12.5.44, package 25.12.5.44"),
        ("18.16.1", "18.16.1+ds-7.3+b2", "substitute", "SELECT version() 18.16.1, package 18.16.1+ds-7.3+b2 below"),
        ("25.12.5.44", "18.16.1+ds-7.3+b2", "substitute", "package 18.16.1+ds-7.3+b2 below"),
        ("", "", "substitute", "no version detected"),
        ("", "25.12.5.44", "upstream", "package 25.12.5.44"),
    ],
)
def test_detect_clickhouse(select, package, source, evidence):
    got = p.detect_clickhouse(select, package, "25.5.6")
    assert got[0] == source and evidence in got[1], got


def test_detect_artifact_and_wireguard():
    assert p.detect_artifact(["0.129.0-fixture", "0.129.0"])[0] == "fixture"
    assert p.detect_artifact(["0.129.0"], fixture_marker=True) == ["fixture", "conf/fixture-version present"]
    assert p.detect_artifact(["0.129.0", ""]) == ["upstream", "version 0.129.0"]
    assert p.detect_wireguard(True)[0] == "substitute"
    assert p.detect_wireguard(False) == ["upstream", "kernel WireGuard"]


def test_verify_source_detection_wins_over_the_label():
    row = {"component": "clickhouse", "ok": True, "source": "upstream", "evidence": "SELECT version() 25.12.5"}
    source, ok, remarks = p.verify_source(row, {"kind": "substitute", "what": "Debian 18.16"}, lab=True)
    assert source == "upstream" and ok
    assert "MISMATCH: forge_substitutes declares substitute, verify detects upstream" in remarks
    # undeclared substitute: marked in the lab, fails outside it
    row = {"component": "wireguard", "ok": True, "source": "substitute", "evidence": "wireguard-go"}
    assert p.verify_source(row, None, lab=True)[:2] == ("substitute", True)
    source, ok, remarks = p.verify_source(row, None, lab=False)
    assert not ok and "REFUSED: a substitute outside the lab" in remarks
    with pytest.raises(ValueError, match="source is 'fake'"):
        p.verify_source({"component": "x", "ok": True, "source": "fake"})


def test_detect_otel_agent_from_the_build_it_reports():
    assert p.detect_otel_agent("otelcol-contrib", "0.159.0") == ["upstream", "otelcol-contrib 0.159.0"]
    source, evidence = p.detect_otel_agent("otelcol-debian", "0.152.0-debian")
    assert source == "substitute" and "otelcol-debian 0.152.0-debian" in evidence
    assert p.detect_otel_agent("", "")[0] == "substitute"
