"""roles/clickhouse links user_scripts/histogramQuantile to the installed release's binary: a release without the
binary at clickhouse_udf_binary fails the run naming the path, and no dangling link is left behind
(the v0.0.1 archive has it at the top level; the role used to link bin/histogram-quantile with force)."""

import json
import os
import sys

from runner import ROOT, run_ansible

PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "udf_link.yml"


def _run(tmp_path, release, **extra):
    link = tmp_path / "user_scripts" / "histogramQuantile"
    link.parent.mkdir(exist_ok=True)
    variables = {
        "ansible_python_interpreter": sys.executable,
        "__clickhouse_udf_release": {"path": str(release)},
        "__clickhouse_udf_path": str(link),
        **extra,
    }
    rc, output = run_ansible("ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(variables))
    return rc, output, link


def test_a_release_without_the_binary_fails_loudly_and_leaves_no_link(tmp_path):
    release = tmp_path / "opt" / "histogram-quantile" / "0.0.1"
    (release / "bin").mkdir(parents=True)  # what the role used to expect, empty
    rc, output, link = _run(tmp_path, release, clickhouse_udf_binary="bin/histogram-quantile")
    assert rc != 0, output
    assert f"{release}/bin/histogram-quantile is not an executable file" in output
    assert not os.path.lexists(link)


def test_the_upstream_layout_links_and_the_link_resolves(tmp_path):
    release = tmp_path / "opt" / "histogram-quantile" / "0.0.1"
    release.mkdir(parents=True)
    binary = release / "histogram-quantile"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    rc, output, link = _run(tmp_path, release)
    assert rc == 0, output
    assert os.path.realpath(link) == str(binary)
    rc, output, _ = _run(tmp_path, release)
    assert rc == 0 and "changed=0" in output, output
