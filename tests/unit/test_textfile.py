"""The node_exporter textfile collectors (forge_monitoring/textfile.py), run as the hosts run them.

The GPU collector is fed nvidia-smi's CSV through tests/unit/data/nvidia-smi-fixture (a FIXTURE that checks the
query it is asked and prints a sample). The samples are written in nvidia-smi's documented
`--format=csv,noheader,nounits` form, not recorded from a GPU: no machine with one was lent to this work
(docs/testing.md). node_exporter itself parses what these write in the default scenario.
"""

import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring import textfile

DATA = Path(__file__).parent / "data"
SCRIPT = Path(textfile.__file__)
# the hosts' interpreter: Debian 12's python3 (3.11), which this machine has as /usr/bin/python3 too
HOST_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
LINE = re.compile(r'^[a-z_][a-z0-9_]*(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$')


def collect(tmp_path, *args, env=None):
    """Run the collector as the timer does (the file as a script, the system's python3), return (rc, text)."""
    out = tmp_path / "textfile"
    out.mkdir(exist_ok=True)
    proc = subprocess.run(
        [HOST_PYTHON, str(SCRIPT), "--dir", str(out), "--name", "t", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    text = (out / "t.prom").read_text()
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"
    return proc.returncode, text, proc.stderr


def well_formed(text):
    """Every family has HELP then TYPE before its samples; every sample line parses."""
    declared = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            declared.add(line.split()[2])
        elif line.startswith("# TYPE "):
            assert line.split()[2] in declared
        else:
            assert LINE.match(line), line
            assert re.match(r"[a-z_0-9]+", line).group(0) in declared, line
    return True


def test_gpu_metrics_per_gpu_from_nvidia_smi(tmp_path):
    env = {"FORGE_NVIDIA_SMI_OUTPUT": str(DATA / "nvidia-smi-a100x2.csv")}
    rc, text, _ = collect(tmp_path, "gpu", "--nvidia-smi", str(DATA / "nvidia-smi-fixture"), env=env)
    assert rc == 0 and well_formed(text)
    assert 'gpu_cuda_utilization{gpu="0",name="NVIDIA A100-SXM4-80GB",uuid="GPU-5b1c7a8e' in text
    assert re.search(r'^gpu_temperature_celsius\{gpu="1",[^}]*\} 41\.0$', text, re.M)
    assert "forge_textfile_gpu_present 1" in text
    assert 'forge_textfile_collector_success{collector="gpu",name="t"} 1' in text


def test_a_value_nvidia_smi_cannot_give_is_left_out_not_zero(tmp_path):
    env = {"FORGE_NVIDIA_SMI_OUTPUT": str(DATA / "nvidia-smi-na.csv")}
    rc, text, _ = collect(tmp_path, "gpu", "--nvidia-smi", str(DATA / "nvidia-smi-fixture"), env=env)
    assert rc == 0 and well_formed(text)
    assert not re.search(r"^gpu_cuda_utilization\{", text, re.M)
    assert re.search(r'^gpu_temperature_celsius\{gpu="0",[^}]*\} 52\.0$', text, re.M)


def test_no_gpu_writes_nothing_and_no_error(tmp_path):
    rc, text, err = collect(tmp_path, "gpu", "--nvidia-smi", str(tmp_path / "no-such-nvidia-smi"))
    assert rc == 0 and err == "" and well_formed(text)
    assert "forge_textfile_gpu_present 0" in text
    assert "gpu_cuda_utilization" not in text and "gpu_temperature_celsius" not in text


def test_a_failing_driver_is_reported_and_fails_the_run(tmp_path):
    env = {"FORGE_NVIDIA_SMI_OUTPUT": "/dev/null", "FORGE_NVIDIA_SMI_FAIL": "1"}
    rc, text, err = collect(tmp_path, "gpu", "--nvidia-smi", str(DATA / "nvidia-smi-fixture"), env=env)
    assert rc == 1 and "nvidia-smi exited 9" in err
    assert 'forge_textfile_collector_success{collector="gpu",name="t"} 0' in text


def test_log_sizes(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "engine.log").write_bytes(b"x" * 1234)
    (logs / "orders.log").write_bytes(b"")
    rc, text, _ = collect(tmp_path, "log-size", "--glob", f"{logs}/*.log", "--glob", f"{logs}/none/*")
    assert rc == 0 and well_formed(text)
    assert f'log_file_size_bytes{{path="{logs}/engine.log"}} 1234' in text
    assert f'log_file_size_bytes{{path="{logs}/orders.log"}} 0' in text


def test_sync_lag_from_a_stamp_and_from_a_command(tmp_path):
    stamp = tmp_path / "synced"
    stamp.touch()
    os.utime(stamp, (1_000, 1_000))
    [fam] = textfile.sync_lag(stamp=str(stamp), now=1_090.5)
    assert fam.lines == ['data_sync_lag_seconds{source="stamp"} 90.5']
    rc, text, _ = collect(tmp_path, "sync-lag", "--command", "echo 2.25")
    assert rc == 0 and 'data_sync_lag_seconds{source="command"} 2.25' in text
    rc, text, err = collect(tmp_path, "sync-lag", "--command", "echo not-a-number")
    assert rc == 1 and "expected seconds" in err
    rc, _, err = collect(tmp_path, "sync-lag", "--stamp", str(tmp_path / "never"))
    assert rc == 1 and "does not exist" in err


def test_sync_lag_from_an_exporters_gauge(tmp_path):
    """--exporter: the largest sample of the gauge on a real HTTP page (the replica's postgres exporter in the lab)."""
    page = (
        "# HELP postgresql_replication_lag_seconds x\n# TYPE postgresql_replication_lag_seconds gauge\n"
        'postgresql_replication_lag_seconds{server="a"} 1.5\npostgresql_replication_lag_seconds{server="b"} 7.25\n'
        "postgresql_replication_lag_seconds_count 99\npg_up 1\n"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(page.encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        rc, text, _ = collect(tmp_path, "sync-lag", "--exporter", url)
        assert rc == 0 and 'data_sync_lag_seconds{source="exporter"} 7.25' in text
        rc, text, _ = collect(tmp_path, "sync-lag", "--exporter", url, "--metric", "pg_up")
        assert rc == 0 and 'data_sync_lag_seconds{source="exporter"} 1' in text
        rc, text, err = collect(tmp_path, "sync-lag", "--exporter", url, "--metric", "no_such_gauge")
        assert rc == 1 and "no no_such_gauge sample" in err and "forge_textfile_collector_success" in text
    finally:
        server.shutdown()
        server.server_close()
    rc, _, err = collect(tmp_path, "sync-lag", "--exporter", url)
    assert rc == 1 and "did not answer" in err


def test_backup_age_of_the_newest_backup(tmp_path):
    old, new = tmp_path / "b1.tar.gz", tmp_path / "b2.tar.gz"
    old.write_bytes(b"1")
    new.write_bytes(b"22")
    os.utime(old, (100, 100))
    os.utime(new, (200, 200))
    fams = textfile.backup_age([f"{tmp_path}/*.tar.gz"], now=260)
    text = textfile.render(fams)
    assert well_formed(text)
    assert f'backup_age_seconds{{path="{new}"}} 60.0' in text
    assert f'backup_last_size_bytes{{path="{new}"}} 2' in text
    assert textfile.render(textfile.backup_age([f"{tmp_path}/none*"])).endswith("backup_present 0\n")


def test_the_write_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    textfile.write_atomic(str(tmp_path), "a", "old 1\n")

    def broken(fd):
        raise OSError("disk full")

    monkeypatch.setattr(textfile.os, "fsync", broken)
    with pytest.raises(OSError):
        textfile.write_atomic(str(tmp_path), "a", "new 2\n")
    assert (tmp_path / "a.prom").read_text() == "old 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.prom"]


@given(st.text(min_size=0, max_size=40))
def test_any_label_value_is_escaped_into_one_valid_line(value):
    line = textfile.sample("log_file_size_bytes", 1, {"path": value})
    assert "\n" not in line and LINE.match(line), line


def test_the_script_runs_on_the_hosts_python():
    # the hosts run Debian 12's python3 (3.11): no syntax or import the host lacks
    proc = subprocess.run([HOST_PYTHON, str(SCRIPT), "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "gpu" in proc.stdout
