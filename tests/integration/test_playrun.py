"""forge_monitoring/playrun.py for real: playbooks run through ansible-runner against this machine keep their full
output, their event stream and a summary whose counts come from the events."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from forge_monitoring import playrun

PLAYBOOK = "tests/integration/playbooks/playrun_probe.yml"


@pytest.fixture
def inventory(tmp_path):
    inv = tmp_path / "inventory.ini"
    inv.write_text(f"probe-1 ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return inv


def test_a_run_keeps_its_log_events_and_counts(tmp_path, inventory):
    out = io.StringIO()
    run = playrun.run_playbook(PLAYBOOK, inventory, ["-e", "probe_fail=false"], runs=tmp_path / "runs", out=out)
    assert run.rc == 0 and run.status == "successful"
    # counts from the playbook_on_stats event: 3 ok (ok, changed, loop), 1 changed, 2 skipped
    assert run.totals == {"changed": 1, "failed": 0, "unreachable": 0, "ok": 3, "skipped": 2, "hosts": 1}
    assert (tmp_path / "runs" / "latest").resolve() == run.run_dir
    log = (run.run_dir / "ansible.log").read_text()
    assert "TASK [A changed task]" in log and "PLAY RECAP" in log  # the full Ansible output, in the log only
    assert "TASK [" not in out.getvalue()
    events = [json.loads(line) for line in (run.run_dir / "events.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    real = [k for k in kinds if k != "verbose"]  # verbose: output lines outside a task (profile_tasks' table)
    assert real[0] == "playbook_on_start" and real[-1] == "playbook_on_stats"
    assert kinds.count("playbook_on_play_start") == 2
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert summary["totals"] == run.totals and summary["rc"] == 0
    assert summary["hosts"]["changed"] == {"probe-1": 1}
    # the progress view: one line per play, one per host with its counts
    view = out.getvalue().splitlines()
    assert view[0].startswith("play 1: Probe play")
    assert any(
        line.split()[:8] == ["probe-1", "Second", "play", "tasks", "5", "changed", "1", "failed"] for line in view
    )
    # the benches' reader
    counts = subprocess.run(
        [sys.executable, "-m", "forge_monitoring.playrun", "counts", str(run.run_dir)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert counts.strip() == "changed=1 failed=0 unreachable=0 ok=3 skipped=2 hosts=1"


def test_a_failed_task_is_shown_and_counted(tmp_path, inventory):
    out = io.StringIO()
    run = playrun.run_playbook(PLAYBOOK, inventory, ["-e", "probe_fail=true"], runs=tmp_path / "runs", out=out)
    assert run.rc == 2 and run.status == "failed"
    assert run.totals["failed"] == 1
    assert run.failures == ["probe-1: A task that fails on request: probe failure as asked"]
    assert "  FAILED probe-1: A task that fails on request: probe failure as asked" in out.getvalue()
    assert json.loads((run.run_dir / "summary.json").read_text())["failures"] == run.failures


def test_runs_are_kept_apart_and_pruned(tmp_path, inventory, monkeypatch):
    monkeypatch.setattr(playrun, "KEEP_RUNS", 2)
    dirs = [playrun.run_playbook(PLAYBOOK, inventory, [], runs=tmp_path / "runs", out=io.StringIO()).run_dir
            for _ in range(3)]  # fmt: skip
    assert len(set(dirs)) == 3
    kept = sorted(p for p in (tmp_path / "runs").iterdir() if not p.is_symlink())
    assert kept == sorted(dirs[1:])
    assert (tmp_path / "runs" / "latest").resolve() == dirs[2]


def test_counts_of_a_run_that_did_not_finish_is_an_error(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "events.jsonl").write_text(json.dumps({"event": "playbook_on_start"}) + "\n")
    with pytest.raises(SystemExit, match="no playbook_on_stats event"):
        playrun.counts(run_dir)


def test_ssh_host_key_checking_stays_on(tmp_path, inventory):
    """ansible-runner turns host key checking off unless told otherwise; the runs tell it."""
    run = playrun.run_playbook(PLAYBOOK, inventory, [], runs=tmp_path / "runs", out=io.StringIO())
    env = json.loads((run.run_dir / "runner" / "env" / "envvars").read_text())
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    assert Path(run.run_dir / "ansible.log").stat().st_mode & 0o077 == 0  # the full output is the owner's only
