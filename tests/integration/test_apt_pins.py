"""Every Debian package pin can still be installed from the archive the hosts use.

Debian's security archive keeps only the newest update of a package, so a pin such as nginx
1.22.1-9+deb12u11 disappears the day deb12u12 is published, and a deploy (or a molecule converge, 25
minutes into CI) fails with "no available installation candidate". This asks the controller's own apt
(Debian 12, the same bookworm, bookworm-updates and bookworm-security suites the roles configure on the hosts)
for the versions it knows, so a moved pin fails here in a second, naming the versions there are.
"""

from __future__ import annotations

import lzma
import shutil
import subprocess
import urllib.request

import pytest
import yaml
from conftest import ROOT

# Pins that do not come from Debian's archive, and where they come from instead.
NOT_DEBIAN = {"clickhouse-server": "packages.clickhouse.com (the production pin; not reachable from these machines)"}


def _pins() -> dict[str, str]:
    versions = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]["apt"]
    pins = {name: str(version) for name, version in versions.items() if name not in NOT_DEBIAN}
    # the lab's and the scenarios' ClickHouse substitute: Debian's 18.16
    lab = yaml.safe_load((ROOT / "inventories/lab/group_vars/clickhouse.yml").read_text())
    pins["clickhouse-server"] = str(lab["clickhouse_version"])
    return pins


def _available(package: str) -> list[str]:
    out = subprocess.run(["apt-cache", "madison", package], capture_output=True, text=True, check=False).stdout
    return [line.split("|")[1].strip() for line in out.splitlines() if line.count("|") >= 2]


def test_pins_are_read():
    pins = _pins()
    assert "nginx" in pins and "clickhouse-server" in pins and "zookeeperd" in pins, pins


@pytest.mark.skipif(shutil.which("apt-cache") is None, reason="no apt on this controller (not Debian)")
def test_every_debian_pin_is_in_the_archive():
    if not _available("base-files"):
        pytest.fail("apt-cache knows no package: run `apt-get update` on the controller first")
    missing = {}
    for name, version in sorted(_pins().items()):
        have = _available(name)
        if version not in have:
            missing[name] = f"pinned {version}, the archive has {', '.join(have) or 'nothing'}"
    assert not missing, f"versions.yml pins the archive no longer serves: {missing}"


def test_every_pinned_deb_is_the_one_its_suite_serves():
    """versions.yml apt_debs: the version, pool path and sha256 are what the suite's Packages index (on the mirror
    the controller's apt uses, as the hosts do) says today; a superseded or altered file fails here, not in a deploy."""
    mirror = subprocess.run([str(ROOT / "scripts/apt-mirror.sh"), "main"], capture_output=True, text=True, check=False)
    base = mirror.stdout.strip() or "http://deb.debian.org/debian/"
    debs = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]["apt_debs"]
    assert debs, "versions.yml has no apt_debs"
    for name, pin in debs.items():
        url = f"{base.rstrip('/')}/dists/{pin['suite']}/main/binary-amd64/Packages.xz"
        with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (the Debian mirror)
            index = lzma.decompress(resp.read()).decode()
        stanza = next((s for s in index.split("\n\n") if s.startswith(f"Package: {name}\n")), "")
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line[0].isspace())
        assert fields, f"{name}: not in {pin['suite']}'s Packages index ({url})"
        got = (fields.get("Version"), fields.get("Filename"), fields.get("SHA256"))
        assert got == (pin["version"], pin["path"], pin["sha256"]), f"{name}: versions.yml pins {pin}, {url} has {got}"
