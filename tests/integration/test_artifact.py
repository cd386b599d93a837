"""roles/artifact and playbooks/prefetch.yml end to end, through the real download path.

Each test builds fixture release files (forge-fixture-*: a shell script that prints its
name, version and arch), serves them from a local HTTP server on 127.0.0.1 and runs the
venv's ansible-playbook against tests/integration/playbooks/ with a temporary manifest,
inventory, controller cache and install root. The target is this machine (connection local).
"""

from __future__ import annotations

import functools
import grp
import hashlib
import http.server
import io
import json
import os
import platform
import pwd
import re
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from runner import run_ansible

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
HELLO = "forge-fixture-hello"  # tar.gz with a top directory, pinned sha256
TOOL = "forge-fixture-tool"  # single binary, sha256 from a checksum file
LOCAL_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]
OTHER_ARCH = {"amd64": "arm64", "arm64": "amd64"}[LOCAL_ARCH]
RECAP_RE = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", re.M)


def script(name, version, arch):
    return f"#!/bin/sh\necho {name} {version} {arch}\n".encode()


class Releases:
    """A directory of fixture release files, served over HTTP while the server runs."""

    def __init__(self, root: Path):
        self.root = root
        handler = functools.partial(QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _put(self, rel, data):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    def tarball(self, version, arch):
        """HELLO as <top>/bin/<name>, owned by a uid that is not the installer's."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            body = script(HELLO, version, arch)
            for path, kind in ((f"{HELLO}-{version}", tarfile.DIRTYPE), (f"{HELLO}-{version}/bin", tarfile.DIRTYPE)):
                info = tarfile.TarInfo(path)
                info.type, info.mode, info.uid, info.gid = kind, 0o755, 4242, 4242
                tar.addfile(info)
            info = tarfile.TarInfo(f"{HELLO}-{version}/bin/{HELLO}")
            info.size, info.mode, info.uid, info.gid = len(body), 0o755, 4242, 4242
            tar.addfile(info, io.BytesIO(body))
        return self._put(f"{HELLO}/v{version}/{HELLO}_{version}_linux_{arch}.tar.gz", buf.getvalue())

    def binary_with_sums(self, version, arches):
        lines = []
        for arch in arches:
            sha = self._put(f"{TOOL}/v{version}/{TOOL}-linux-{arch}", script(TOOL, version, arch))
            lines.append(f"{sha}  {TOOL}-linux-{arch}\n")
        self._put(f"{TOOL}/v{version}/SHA256SUMS", "".join(lines).encode())

    def hello_entry(self, version, arches, sha256=None):
        return {
            "version": version,
            "groups": ["fixture"],
            "format": "tar.gz",
            "strip_components": 1,
            "arch": {
                arch: {
                    "url": f"{self.base}/{HELLO}/v{{version}}/{HELLO}_{{version}}_linux_{arch}.tar.gz",
                    "sha256": sha256 or self.tarball(version, arch),
                }
                for arch in arches
            },
        }

    def tool_entry(self, version, arches):
        self.binary_with_sums(version, arches)
        return {
            "version": version,
            "groups": ["fixture"],
            "format": "binary",
            "arch": {
                arch: {
                    "url": f"{self.base}/{TOOL}/v{{version}}/{TOOL}-linux-{arch}",
                    "checksum_url": f"{self.base}/{TOOL}/v{{version}}/SHA256SUMS",
                }
                for arch in arches
            },
        }


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Run:
    def __init__(self, rc, out):
        self.rc = rc
        self.out = out
        self.recap = {host: (int(changed), int(failed)) for host, changed, failed in RECAP_RE.findall(self.out)}

    @property
    def changed(self):
        return sum(changed for changed, _ in self.recap.values())


class Site:
    """Temporary inventory, cache and install root, and a way to run playbooks against them."""

    def __init__(self, tmp_path: Path, releases: Releases, hosts=None):
        self.tmp = tmp_path
        self.releases = releases
        self.cache = tmp_path / "cache"
        self.root = tmp_path / "root"
        self.inventory = tmp_path / "inventory.yml"
        self.manifest = tmp_path / "manifest.yml"
        variables = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "artifact_cache_dir": str(self.cache),
            "artifact_install_root": str(self.root),
            "artifact_owner": pwd.getpwuid(os.getuid()).pw_name,
            "artifact_group": grp.getgrgid(os.getgid()).gr_name,
        }
        hosts = hosts or {"localhost": {"forge_arch": LOCAL_ARCH}}
        inventory = {"all": {"vars": variables, "children": {"fixture": {"hosts": hosts}}}}
        self.inventory.write_text(json.dumps(inventory, indent=2))

    def write_manifest(self, artifacts):
        data = {"forge_versions": {"artifacts": artifacts}, "test_artifacts": sorted(artifacts)}
        self.manifest.write_text(json.dumps(data, indent=2))

    def run(self, playbook, *args):
        return Run(*run_ansible("ansible-playbook", "-i", self.inventory, "-e", f"@{self.manifest}", playbook, *args))

    def cached(self, name, version, arch):
        return sorted((self.cache / name / version / arch).glob("*"))

    def installed(self, name, version, root=None):
        exe = (root or self.root) / name / version / "bin" / name
        return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.strip()

    def link(self, name, which):
        return os.readlink(self.root / name / which)


@pytest.fixture
def releases(tmp_path):
    rel = Releases(tmp_path / "www")
    yield rel
    rel.stop()


@pytest.fixture
def site(tmp_path, releases):
    return Site(tmp_path, releases)


def ok(run):
    assert run.rc == 0, run.out
    return run


def test_install_verify_promote_prune_and_roll_back(site, releases):
    site.write_manifest({HELLO: releases.hello_entry("1.0.0", [LOCAL_ARCH, OTHER_ARCH])})
    # Facts agree with the inventory's forge_arch (a disagreement fails before any change).
    assert ok(site.run(PLAYBOOKS / "install.yml", "-e", "test_gather_facts=true")).changed > 0
    assert site.installed(HELLO, "1.0.0") == f"{HELLO} 1.0.0 {LOCAL_ARCH}"
    assert (site.root / HELLO / "1.0.0" / "bin" / HELLO).stat().st_uid == os.getuid()
    assert site.link(HELLO, "current") == "1.0.0"
    # Only the arch present in the play is fetched (and verified), not the manifest's other one.
    (cached,) = site.cached(HELLO, "1.0.0", LOCAL_ARCH)
    assert cached.name == f"{HELLO}_1.0.0_linux_{LOCAL_ARCH}.tar.gz"
    assert site.cached(HELLO, "1.0.0", OTHER_ARCH) == []

    assert ok(site.run(PLAYBOOKS / "install.yml")).changed == 0

    # A tampered cache fails loudly and is never downloaded over.
    good = cached.read_bytes()
    cached.write_bytes(good + b"tampered")
    actual = hashlib.sha256(cached.read_bytes()).hexdigest()
    run = site.run(PLAYBOOKS / "install.yml")
    assert run.rc != 0
    expected = hashlib.sha256(good).hexdigest()
    assert f"{cached} has sha256 {actual}, expected {expected}" in " ".join(run.out.split())
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == actual
    cached.write_bytes(good)

    # Install alone never moves current; promote does, keeps previous and prunes the rest.
    site.write_manifest({HELLO: releases.hello_entry("2.0.0", [LOCAL_ARCH])})
    ok(site.run(PLAYBOOKS / "install.yml", "-e", "test_promote=false"))
    assert site.installed(HELLO, "2.0.0") == f"{HELLO} 2.0.0 {LOCAL_ARCH}"
    assert site.link(HELLO, "current") == "1.0.0"
    assert not (site.root / HELLO / "previous").exists()

    site.write_manifest({HELLO: releases.hello_entry("3.0.0", [LOCAL_ARCH])})
    ok(site.run(PLAYBOOKS / "install.yml"))
    assert (site.link(HELLO, "current"), site.link(HELLO, "previous")) == ("3.0.0", "1.0.0")
    assert sorted(p.name for p in (site.root / HELLO).iterdir()) == ["1.0.0", "3.0.0", "current", "previous"]

    ok(site.run(PLAYBOOKS / "rollback.yml"))
    assert (site.link(HELLO, "current"), site.link(HELLO, "previous")) == ("1.0.0", "3.0.0")


def test_check_mode_on_a_fresh_host_changes_nothing(site, releases):
    site.write_manifest({HELLO: releases.hello_entry("1.0.0", [LOCAL_ARCH])})
    ok(site.run(PLAYBOOKS / "install.yml", "--check"))
    assert not site.root.exists()


def test_offline_with_an_empty_cache_fails_in_preflight(site, releases):
    site.write_manifest(
        {HELLO: releases.hello_entry("1.0.0", [LOCAL_ARCH]), TOOL: releases.tool_entry("1.0.0", [LOCAL_ARCH])}
    )
    run = site.run(PLAYBOOKS / "site.yml", "-e", "artifact_offline=true")
    assert run.rc != 0
    assert "artifact_offline is true and the controller cache" in run.out
    assert "lacks 2 verified file(s)" in run.out
    assert str(site.cache / HELLO / "1.0.0" / LOCAL_ARCH / f"{HELLO}_1.0.0_linux_{LOCAL_ARCH}.tar.gz") in run.out
    assert str(site.cache / TOOL / "1.0.0" / LOCAL_ARCH / f"{TOOL}-linux-{LOCAL_ARCH}") in run.out
    assert f"ansible-playbook -i {site.inventory} playbooks/prefetch.yml" in run.out
    assert "Install, check and promote fixture artifacts" not in run.out
    assert not site.root.exists()


def test_prefetch_then_offline_without_the_origin(site, releases):
    site.write_manifest(
        {HELLO: releases.hello_entry("1.0.0", [LOCAL_ARCH]), TOOL: releases.tool_entry("1.0.0", [LOCAL_ARCH])}
    )
    ok(site.run(REPO / "playbooks" / "prefetch.yml"))
    tool_file = f"{TOOL}-linux-{LOCAL_ARCH}"
    tool_sha = hashlib.sha256(script(TOOL, "1.0.0", LOCAL_ARCH)).hexdigest()
    lock = (site.cache / "artifacts.lock.yml").read_text()
    for field in (HELLO, tool_file, f"sha256: {tool_sha}", f"url: {releases.base}/{TOOL}/v1.0.0/{tool_file}"):
        assert field in lock

    # Preflight checks every cached file; the hosts install the checksum_url one, whose sha256
    # can only come from the lock file now.
    releases.stop()
    ok(site.run(PLAYBOOKS / "site.yml", "-e", "artifact_offline=true", "-e", f'{{"test_artifacts": ["{TOOL}"]}}'))
    assert site.installed(TOOL, "1.0.0") == f"{TOOL} 1.0.0 {LOCAL_ARCH}"
    assert site.link(TOOL, "current") == "1.0.0"


def test_a_wrong_sha256_in_the_manifest_fails(site, releases):
    site.write_manifest({HELLO: releases.hello_entry("1.0.0", [LOCAL_ARCH], sha256="0" * 64)})
    releases.tarball("1.0.0", LOCAL_ARCH)
    run = site.run(PLAYBOOKS / "install.yml")
    assert run.rc != 0
    assert f"did not match {'0' * 64}" in run.out
    assert site.cached(HELLO, "1.0.0", LOCAL_ARCH) == []
    assert not site.root.exists()


def test_each_host_arch_gets_its_own_verified_file(tmp_path, releases):
    hosts = {
        f"{arch}-node": {"forge_arch": arch, "artifact_install_root": str(tmp_path / "root" / arch)}
        for arch in ("amd64", "arm64")
    }
    site = Site(tmp_path, releases, hosts=hosts)
    site.write_manifest({HELLO: releases.hello_entry("1.0.0", ["amd64", "arm64"])})
    run = ok(site.run(PLAYBOOKS / "install.yml"))
    assert set(run.recap) == {"amd64-node", "arm64-node"}
    for arch in ("amd64", "arm64"):
        assert len(site.cached(HELLO, "1.0.0", arch)) == 1
        assert site.installed(HELLO, "1.0.0", root=tmp_path / "root" / arch) == f"{HELLO} 1.0.0 {arch}"


def test_preflight_reports_every_manifest_problem(site, releases):
    broken = releases.hello_entry("1.0.0", [LOCAL_ARCH])
    broken["arch"][LOCAL_ARCH]["sha256"] = "not-a-hash"
    site.write_manifest({HELLO: broken, TOOL: {"version": 1.1, "groups": ["fixture"], "format": "zip", "arch": {}}})
    run = site.run(PLAYBOOKS / "site.yml")
    assert run.rc != 0
    assert "has 4 problem(s)" in run.out
    for problem in (f"{HELLO}.arch.{LOCAL_ARCH}.sha256", f"{TOOL}.version", f"{TOOL}.format", f"{TOOL}.arch"):
        assert problem in run.out
    assert not site.root.exists()
