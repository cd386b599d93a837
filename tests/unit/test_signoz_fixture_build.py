"""molecule/fixtures/build.py: reproducible fixture releases in upstream's layout, matching the committed pins."""

import hashlib
import importlib.util
import re
import tarfile

import pytest
import yaml
from conftest import ROOT

spec = importlib.util.spec_from_file_location("fixture_build", ROOT / "molecule" / "fixtures" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def _pins_in(path, key):
    data = yaml.safe_load(path.read_text())
    return data[key]


def test_build_is_reproducible_and_matches_the_pins(tmp_path):
    pins = build.main(["--out", str(tmp_path / "a"), "--cache", str(tmp_path / "c")])
    again = build.main(["--out", str(tmp_path / "b"), "--cache", str(tmp_path / "c")])
    assert pins == again
    lab = _pins_in(ROOT / "inventories" / "lab" / "group_vars" / "all" / "signoz-fixtures.yml", "lab_fixture_sha256")
    mol = yaml.safe_load((ROOT / "molecule" / "default" / "molecule.yml").read_text())
    mol = mol["provisioner"]["inventory"]["group_vars"]["all"]["mol_fixture_sha256"]
    assert lab == pins, "run: python3 molecule/fixtures/build.py --pins, and update the lab pins"
    assert mol == pins, "run: python3 molecule/fixtures/build.py --pins, and update molecule/default pins"
    data = (tmp_path / "c" / "signoz" / "0.128.0-fixture" / "amd64" / "signoz_linux_amd64.tar.gz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == pins["signoz"]["0.128.0-fixture"]


def test_tarball_layout_follows_upstream_goreleaser(tmp_path):
    build.main(["--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c")])
    base = tmp_path / "o"
    with tarfile.open(base / "signoz" / "0.128.0-fixture" / "amd64" / "signoz_linux_amd64.tar.gz") as t:
        names = t.getnames()
        assert t.getmember("signoz_linux_amd64/bin/signoz").mode == 0o755
    # wrapped in <project>_linux_<arch>/ with bin, web, conf, templates (SigNoz/signoz cmd/enterprise goreleaser)
    assert all(n.startswith("signoz_linux_amd64") for n in names)
    for need in (
        "bin/signoz",
        "web/index.html",
        "conf/example.yaml",
        "templates/email/invitation.gotmpl",
        "templates/alertmanager/email.gotmpl",
        "README.md",
        "LICENSE",
    ):
        assert f"signoz_linux_amd64/{need}" in names, need
    col = base / "signoz-otel-collector" / "0.144.5-fixture" / "amd64" / "signoz-otel-collector_linux_amd64.tar.gz"
    with tarfile.open(col) as t:
        names = t.getnames()
        script = t.extractfile("signoz-otel-collector_linux_amd64/bin/signoz-otel-collector").read().decode()
    for need in ("bin/signoz-otel-collector", "conf/default.yaml", "conf/manager.yaml"):
        assert f"signoz-otel-collector_linux_amd64/{need}" in names, need
    # named as a fixture, never mistaken for the product
    assert "TEST FIXTURE" in script
    broken = base / "signoz" / "0.129.1-fixture-broken" / "amd64" / "signoz_linux_amd64.tar.gz"
    with tarfile.open(broken) as t:
        assert t.extractfile("signoz_linux_amd64/conf/fixture-fault").read() == b"health\n"
    assert all(re.search("fixture", v) for versions in build.VERSIONS.values() for v in versions)


def test_fixtures_never_go_to_the_product_cache(tmp_path, monkeypatch):
    """The fixtures' own cache (.cache/fixtures/artifacts); the product's (.cache/artifacts, FORGE_ARTIFACT_CACHE)
    is refused, and the test inventories point roles/artifact at the fixtures' cache."""
    monkeypatch.delenv("FORGE_ARTIFACT_CACHE", raising=False)
    assert str(ROOT / ".cache" / "fixtures" / "artifacts") == build.FIXTURE_CACHE
    out = ["--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit, match="is the product's artifact cache"):
        build.main([*out, "--cache", str(ROOT / ".cache" / "artifacts")])
    monkeypatch.setenv("FORGE_ARTIFACT_CACHE", str(tmp_path / "product"))
    with pytest.raises(SystemExit, match="is the product's artifact cache"):
        build.main([*out, "--cache", str(tmp_path / "product")])
    assert not (tmp_path / "o").exists()  # refused before anything is written
    mol = yaml.safe_load((ROOT / "molecule" / "default" / "molecule.yml").read_text())
    assert mol["provisioner"]["inventory"]["group_vars"]["all"]["artifact_cache_dir"].endswith(
        "/.cache/fixtures/artifacts"
    )
    lab = yaml.safe_load((ROOT / "inventories" / "lab" / "group_vars" / "all" / "lab.yml").read_text())
    assert lab["artifact_cache_dir"].endswith("/.cache/fixtures/artifacts")
