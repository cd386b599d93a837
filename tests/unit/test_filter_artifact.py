"""Unit tests for forge_monitoring/artifact.py (the logic behind filter_plugins/artifact.py)."""

from __future__ import annotations

import pytest

from forge_monitoring import artifact
from forge_monitoring.errors import FilterError

SHA_A = "a" * 64
SHA_B = "b" * 64


def entry(**overrides):
    base = {
        "version": "1.2.3",
        "groups": ["signoz"],
        "format": "tar.gz",
        "strip_components": 1,
        "arch": {
            "amd64": {"url": "https://example.org/x/v{version}/x_{version}_linux_amd64.tar.gz", "sha256": SHA_A},
            "arm64": {
                "url": "https://example.org/x/v{version}/x_{version}_linux_arm64.tar.gz",
                "checksum_url": "https://example.org/x/v{version}/sha256sums.txt",
            },
        },
    }
    base.update(overrides)
    return base


def hostvars(**hosts):
    return {name: {"inventory_hostname": name, **hv} for name, hv in hosts.items()}


@pytest.mark.parametrize(
    ("host_vars", "arch"),
    [
        ({}, "amd64"),
        ({"forge_arch": "arm64"}, "arm64"),
        ({"forge_arch": "aarch64"}, "arm64"),
        ({"ansible_facts": {"architecture": "x86_64"}}, "amd64"),
        ({"ansible_facts": {"architecture": "aarch64"}, "forge_arch": "arm64"}, "arm64"),
    ],
)
def test_host_arch(host_vars, arch):
    assert artifact.artifact_host_arch({"inventory_hostname": "h", **host_vars}) == arch


def test_host_arch_refuses_unknown_and_conflicting_values():
    with pytest.raises(FilterError, match="artifact_host_arch: host h: forge_arch: unknown architecture 'i386'"):
        artifact.artifact_host_arch({"inventory_hostname": "h", "forge_arch": "i386"})
    with pytest.raises(FilterError, match="host h has forge_arch arm64 but its facts say x86_64"):
        artifact.artifact_host_arch(
            {"inventory_hostname": "h", "forge_arch": "arm64", "ansible_facts": {"architecture": "x86_64"}}
        )


def test_play_targets_group_hosts_by_arch():
    hv = hostvars(a={"forge_arch": "arm64"}, b={}, c={"ansible_facts": {"architecture": "x86_64"}})
    assert artifact.artifact_play_targets(["c", "a", "b"], hv, "x") == {"x": {"amd64": ["b", "c"], "arm64": ["a"]}}


def test_inventory_targets_cover_hosts_of_the_entry_groups_only():
    manifest = {"x": entry(groups=["signoz", "agents"]), "y": entry(groups=["nobody"]), "bad": "not a dict"}
    groups = {"all": ["a", "b", "c"], "signoz": ["a"], "agents": ["b", "a"]}
    hv = hostvars(a={}, b={"forge_arch": "arm64"}, c={"forge_arch": "arm64"})
    assert artifact.artifact_inventory_targets(manifest, groups, hv) == {"x": {"amd64": ["a"], "arm64": ["b"]}}


def test_a_valid_manifest_has_no_errors():
    binary = entry(format="binary")
    del binary["strip_components"]
    assert artifact.artifact_manifest_errors({"x": entry(), "y": binary}) == []
    assert artifact.artifact_manifest_errors({}) == []


def test_manifest_errors_are_all_reported_with_artifact_and_field():
    manifest = {
        "Bad Name": entry(),
        "x": {
            "version": 1.1,
            "groups": "signoz",
            "format": "zip",
            "typo": 1,
            "arch": {
                "x86_64": {"url": "https://e/x", "sha256": SHA_A},
                "amd64": {"url": "ftp://e/x", "sha256": "short", "extra": 1},
                "arm64": {"url": "https://e/x_{arch}.tgz", "sha256": SHA_A, "checksum_url": "https://e/s"},
            },
        },
        "y": entry(strip_components=-1),
        "z": entry(format="binary"),
    }
    errors = artifact.artifact_manifest_errors(manifest)
    for expected in (
        "'Bad Name': artifact names are lower case",
        "x.typo: unknown field",
        "x.version: must be a quoted version string",
        "x.groups: must be a list of inventory group names",
        "x.format: must be one of tar.gz, binary, got 'zip'",
        "x.arch.x86_64: unknown architecture; use amd64 or arm64",
        "x.arch.amd64.extra: unknown field",
        "x.arch.amd64.url: must be an http(s) URL",
        "x.arch.amd64.sha256: must be 64 hex digits, got 'short'",
        "x.arch.arm64.url: unknown placeholder {arch}",
        "x.arch.arm64: needs exactly one of sha256 and checksum_url",
        "y.strip_components: must be an integer >= 0",
        "z.strip_components: only valid with format tar.gz",
    ):
        assert any(e.startswith(expected) for e in errors), (expected, errors)
    assert len(errors) == 13


def test_manifest_errors_name_missing_artifacts_and_arches_with_their_hosts():
    errors = artifact.artifact_manifest_errors(
        {"x": entry(arch={"amd64": entry()["arch"]["amd64"]})},
        {"x": {"amd64": ["a"], "arm64": ["b", "c"]}, "": {"amd64": ["a"]}},
    )
    assert errors == ["x.arch.arm64: missing, needed by b, c", "'': no such artifact in the manifest"]


def test_manifest_that_is_not_a_mapping():
    assert artifact.artifact_manifest_errors(["x"]) == [
        "the manifest must be a mapping of artifact name -> entry, got list"
    ]


def test_plan_expands_urls_and_keys_the_cache_by_name_version_arch():
    (item,) = artifact.artifact_plan({"x": entry()}, {"x": {"amd64": ["h"]}}, "/cache")
    assert item == {
        "name": "x",
        "version": "1.2.3",
        "arch": "amd64",
        "format": "tar.gz",
        "strip_components": 1,
        "url": "https://example.org/x/v1.2.3/x_1.2.3_linux_amd64.tar.gz",
        "checksum_url": "",
        "filename": "x_1.2.3_linux_amd64.tar.gz",
        "sha256": SHA_A,
        "cache_path": "/cache/x/1.2.3/amd64/x_1.2.3_linux_amd64.tar.gz",
    }


def test_plan_resolves_checksum_urls_from_sums_then_lock():
    targets = {"x": {"arm64": ["h"]}}
    (unresolved,) = artifact.artifact_plan({"x": entry()}, targets, "/c")
    assert unresolved["sha256"] == ""
    assert unresolved["checksum_url"] == "https://example.org/x/v1.2.3/sha256sums.txt"
    text = f"{SHA_A}  x_1.2.3_linux_amd64.tar.gz\n{SHA_B.upper()} *x_1.2.3_linux_arm64.tar.gz\n"
    sums = {unresolved["checksum_url"]: text}
    assert artifact.artifact_plan({"x": entry()}, targets, "/c", sums=sums)[0]["sha256"] == SHA_B
    locked = {
        "name": "x",
        "version": "1.2.3",
        "arch": "arm64",
        "filename": "x_1.2.3_linux_arm64.tar.gz",
        "sha256": SHA_B,
    }
    lock = {"artifacts": [locked]}
    assert artifact.artifact_plan({"x": entry()}, targets, "/c", lock=lock)[0]["sha256"] == SHA_B


def test_plan_with_a_mirror():
    (amd, arm) = artifact.artifact_plan({"x": entry()}, {"x": {"arm64": [], "amd64": []}}, "/c", mirror="http://m/a/")
    assert amd["url"] == "http://m/a/x/1.2.3/amd64/x_1.2.3_linux_amd64.tar.gz"
    assert arm["checksum_url"] == "http://m/a/x/1.2.3/arm64/sha256sums.txt"


def test_plan_refuses_what_the_manifest_lacks():
    with pytest.raises(FilterError, match="artifact_plan: the manifest has no x for arm64"):
        artifact.artifact_plan({"x": entry(arch={"amd64": entry()["arch"]["amd64"]})}, {"x": {"arm64": []}}, "/c")


def test_sha256_from_sums():
    text = f"# comment\n\n{SHA_A}  ./dist/tool-linux-amd64\n{SHA_B}  tool-linux-arm64\n"
    assert artifact.sha256_from_sums(text, "tool-linux-amd64") == SHA_A
    with pytest.raises(FilterError, match="artifact_plan: https://e/s lists no sha256 for tool-linux-riscv"):
        artifact.sha256_from_sums(text, "tool-linux-riscv", "https://e/s")


def test_lock_merges_and_sorts_entries():
    old = {
        "artifacts": [
            {"name": "y", "version": "1", "arch": "amd64", "filename": "y", "url": "u", "sha256": SHA_A},
            {"name": "x", "version": "1", "arch": "amd64", "filename": "x", "url": "u", "sha256": SHA_A},
        ]
    }
    new = {"name": "x", "version": "1", "arch": "amd64", "filename": "x", "url": "v", "sha256": SHA_B}
    plan = [{**new, "cache_path": "/c"}]
    assert artifact.artifact_lock(plan, old) == [new, old["artifacts"][0]]


def test_split_checksum_file_gives_its_one_file_digest():
    # goreleaser's checksum.split, as otelcol-contrib's release publishes it (<archive>.sha256, the bare digest)
    url = "https://e/v1/otelcol-contrib_0.159.0_linux_amd64.tar.gz.sha256"
    assert artifact.sha256_from_sums(SHA_A.upper() + "\n", "otelcol-contrib_0.159.0_linux_amd64.tar.gz", url) == SHA_A
    # the same bare digest under another name is refused: it names no file
    with pytest.raises(FilterError, match="bare sha256"):
        artifact.sha256_from_sums(SHA_A, "otelcol-contrib_0.159.0_linux_arm64.tar.gz", url)
