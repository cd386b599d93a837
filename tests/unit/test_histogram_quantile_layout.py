"""histogram-quantile v0.0.1: the fixture archive and roles/clickhouse follow upstream's archive layout
(tests/contracts/histogram-quantile-<version>.yml: the binary at the archive root, not under bin/)."""

import importlib.util
import tarfile

import yaml
from conftest import ROOT

spec = importlib.util.spec_from_file_location(
    "hq_build", ROOT / "molecule" / "fixtures" / "histogram-quantile-fixture" / "build_fixture.py"
)
hq_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hq_build)

VERSION = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]["artifacts"]["histogram-quantile"][
    "version"
]
CONTRACT = yaml.safe_load((ROOT / "tests" / "contracts" / f"histogram-quantile-{VERSION}.yml").read_text())
PATHS = [p["path"] for p in CONTRACT["archive"]["paths"]]


def test_fixture_archive_has_upstreams_layout(tmp_path):
    hq_build.build(tmp_path)
    tarball = tmp_path / "histogram-quantile" / VERSION / "amd64" / "histogram-quantile_linux_amd64.tar.gz"
    assert CONTRACT["archive"]["wrapper"] is None
    with tarfile.open(tarball) as t:
        names = set(t.getnames())
        assert names == set(PATHS), "the fixture's archive must hold exactly upstream's files, at the top level"
        assert t.getmember("histogram-quantile").mode == 0o755


def test_role_links_the_binary_where_the_release_has_it():
    defaults = yaml.safe_load((ROOT / "roles" / "clickhouse" / "defaults" / "main.yml").read_text())
    assert defaults["clickhouse_udf_binary"] in PATHS
    assert defaults["clickhouse_udf_binary"] == "histogram-quantile"
