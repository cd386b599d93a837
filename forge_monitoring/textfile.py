#!/usr/bin/env python3
"""node_exporter textfile collectors for the trading hosts (issue 18, item 3); run on the hosts by systemd timers.

roles/node_exporter copies this file to the hosts as it is (standard library only, Python 3.9+), so the same code
is what the tests import. Each run writes one ``<name>.prom`` into the textfile directory atomically (a temporary
file in the same directory, fsync, rename), with HELP and TYPE lines, and a success gauge and run timestamp for
the collector itself (``forge_textfile_collector_success``, ``forge_textfile_collector_last_run_seconds``).

Collectors (the seed's infrastructure metrics):

- ``log-size --glob PATTERN...``: ``log_file_size_bytes{path}`` for every file the patterns match.
- ``gpu [--nvidia-smi PATH]``: ``gpu_cuda_utilization`` (percent) and ``gpu_temperature_celsius`` per GPU
  (labels gpu, uuid, name) from ``nvidia-smi --query-gpu``. No nvidia-smi on the host: the file holds only the
  collector's own gauges with ``forge_textfile_gpu_present 0``, and the run succeeds.
- ``sync-lag (--stamp FILE | --command CMD | --exporter URL [--metric NAME])``: ``data_sync_lag_seconds``: the age
  of the stamp file a sync job touches after each successful sync, the number a command prints, or the largest
  sample of a gauge on an exporter's page: by default the replica's ``postgresql_replication_lag_seconds``, which
  roles/db_exporters' queries add to prometheus-postgres-exporter.
- ``backup-age --glob PATTERN...``: ``backup_age_seconds`` and ``backup_last_size_bytes`` of the newest file the
  patterns match (``backup_present 0`` when none).

A collector that cannot read its source writes success 0 and exits 1, so the timer's unit fails visibly too.
"""

from __future__ import annotations

import argparse
import csv
import glob
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

# a sample line of the Prometheus text format: name, optional {labels}, value (a timestamp may follow)
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})?\s+(\S+)")
NVIDIA_QUERY = "index,uuid,name,utilization.gpu,temperature.gpu"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample(name: str, value, labels: dict | None = None) -> str:
    """One exposition line: name{labels} value."""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted((labels or {}).items()))
    number = repr(float(value)) if isinstance(value, float) else str(int(value))
    return f"{name}{{{body}}} {number}" if body else f"{name} {number}"


class Family:
    """A metric family: HELP, TYPE, then its samples."""

    def __init__(self, name: str, help_text: str, kind: str = "gauge"):
        self.name, self.help, self.kind, self.lines = name, help_text, kind, []

    def add(self, value, labels: dict | None = None) -> Family:
        self.lines.append(sample(self.name, value, labels))
        return self

    def render(self) -> str:
        return "\n".join([f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}", *self.lines])


def render(families) -> str:
    return "\n".join(f.render() for f in families) + "\n"


def write_atomic(directory: str, name: str, text: str) -> str:
    """Write ``<directory>/<name>.prom`` so node_exporter never reads a half-written file."""
    path = os.path.join(directory, f"{name}.prom")
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


# ---- collectors: each returns a list of Family; a failure raises CollectorError


class CollectorError(Exception):
    pass


def _matches(patterns) -> list[str]:
    return sorted({p for pattern in patterns for p in glob.glob(pattern) if os.path.isfile(p)})


def log_size(patterns) -> list[Family]:
    fam = Family("log_file_size_bytes", "Trading log file sizes, bytes.")
    for path in _matches(patterns):
        try:
            fam.add(os.stat(path).st_size, {"path": path})
        except FileNotFoundError:  # rotated away between glob and stat
            continue
    return [fam]


def _number(text: str):
    text = text.strip()
    if not text or text.startswith("[") or text.upper() in ("N/A", "NOT SUPPORTED"):
        return None
    return float(text)


def parse_nvidia_smi(text: str) -> list[dict]:
    """Rows of ``nvidia-smi --query-gpu=index,uuid,name,utilization.gpu,temperature.gpu
    --format=csv,noheader,nounits``; a value nvidia-smi cannot give ([N/A], [Not Supported]) is None."""
    rows = []
    for fields in csv.reader(io.StringIO(text), skipinitialspace=True):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) != 5:
            raise CollectorError(f"nvidia-smi printed {len(fields)} fields, expected 5 ({NVIDIA_QUERY}): {fields!r}")
        index, uuid, name, util, temp = (f.strip() for f in fields)
        try:
            rows.append({"gpu": index, "uuid": uuid, "name": name, "util": _number(util), "temp": _number(temp)})
        except ValueError as exc:
            raise CollectorError(f"nvidia-smi printed a value that is not a number: {fields!r}") from exc
    return rows


def gpu(nvidia_smi: str = "nvidia-smi", timeout: float = 20.0) -> list[Family]:
    present = Family("forge_textfile_gpu_present", "1 when nvidia-smi is on this host (the GPU collector ran).")
    exe = shutil.which(nvidia_smi)
    if exe is None:
        return [present.add(0)]
    proc = subprocess.run(
        [exe, f"--query-gpu={NVIDIA_QUERY}", "--format=csv,noheader,nounits"],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise CollectorError(f"nvidia-smi exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:200]}")
    util = Family("gpu_cuda_utilization", "NVIDIA GPU usage for AI processing, percent (nvidia-smi utilization.gpu).")
    temp = Family("gpu_temperature_celsius", "GPU temperature, degrees Celsius (nvidia-smi temperature.gpu).")
    for row in parse_nvidia_smi(proc.stdout):
        labels = {k: row[k] for k in ("gpu", "uuid", "name")}
        if row["util"] is not None:
            util.add(row["util"], labels)
        if row["temp"] is not None:
            temp.add(row["temp"], labels)
    return [present.add(1), util, temp]


def exporter_gauge(page: str, metric: str) -> float:
    """The largest sample of ``metric`` on a Prometheus text page (any labels); CollectorError when it has none."""
    values = []
    for line in page.splitlines():
        match = _SAMPLE.match(line)
        if not match or match.group(1) != metric:
            continue
        try:
            values.append(float(match.group(2)))
        except ValueError as exc:
            raise CollectorError(f"the sample {line[:80]!r} has no number") from exc
    if not values:
        raise CollectorError(f"the exporter's page has no {metric} sample")
    return max(values)


def sync_lag(
    stamp: str | None = None,
    command: str | None = None,
    now: float | None = None,
    exporter: str | None = None,
    metric: str = "postgresql_replication_lag_seconds",
) -> list[Family]:
    fam = Family("data_sync_lag_seconds", "Cross-site data synchronization delay, seconds.")
    if exporter:
        try:
            with urllib.request.urlopen(exporter, timeout=10) as resp:  # noqa: S310 (an http URL from the inventory)
                page = resp.read().decode("utf-8", "replace")
        except OSError as exc:
            raise CollectorError(f"the exporter {exporter} did not answer: {exc}") from exc
        return [fam.add(round(max(0.0, exporter_gauge(page, metric)), 3), {"source": "exporter"})]
    if stamp:
        try:
            lag = max(0.0, (now or time.time()) - os.stat(stamp).st_mtime)
        except FileNotFoundError as exc:
            raise CollectorError(f"the sync stamp {stamp} does not exist (no sync has finished yet?)") from exc
        return [fam.add(round(lag, 3), {"source": "stamp"})]
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise CollectorError(f"the sync-lag command exited {proc.returncode}: {proc.stderr.strip()[:200]}")
    try:
        lag = float(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as exc:
        raise CollectorError(f"the sync-lag command printed {proc.stdout.strip()[:80]!r}, expected seconds") from exc
    return [fam.add(round(max(0.0, lag), 3), {"source": "command"})]


def backup_age(patterns, now: float | None = None) -> list[Family]:
    present = Family("backup_present", "1 when a backup file matches the configured patterns.")
    files = _matches(patterns)
    if not files:
        return [present.add(0)]
    newest = max(files, key=lambda p: os.stat(p).st_mtime)
    st = os.stat(newest)
    return [
        present.add(1),
        Family("backup_age_seconds", "Age of the newest backup, seconds.").add(
            round(max(0.0, (now or time.time()) - st.st_mtime), 3), {"path": newest}
        ),
        Family("backup_last_size_bytes", "Size of the newest backup, bytes.").add(st.st_size, {"path": newest}),
    ]


def run(args, now: float | None = None) -> tuple[int, str]:
    """Collect, write the file; (exit status, path)."""
    started = now or time.time()
    ok, families, error = 1, [], ""
    try:
        if args.collector == "log-size":
            families = log_size(args.glob)
        elif args.collector == "gpu":
            families = gpu(args.nvidia_smi)
        elif args.collector == "sync-lag":
            families = sync_lag(args.stamp, args.command, exporter=args.exporter, metric=args.metric)
        else:
            families = backup_age(args.glob)
    except (CollectorError, OSError, subprocess.TimeoutExpired) as exc:
        ok, error = 0, str(exc)
    labels = {"collector": args.collector, "name": args.name}
    families = [
        *families,
        Family("forge_textfile_collector_success", "1 when the collector read its source.").add(ok, labels),
        Family("forge_textfile_collector_last_run_seconds", "When the collector last ran, unix seconds.").add(
            int(started), labels
        ),
    ]
    path = write_atomic(args.dir, args.name, render(families))
    if error:
        print(f"{args.name}: {error}", file=sys.stderr)
    return (0 if ok else 1), path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", required=True, help="node_exporter's textfile directory")
    p.add_argument("--name", required=True, help="the file name: <name>.prom")
    sub = p.add_subparsers(dest="collector", required=True)
    sub.add_parser("log-size").add_argument("--glob", action="append", required=True)
    sub.add_parser("gpu").add_argument("--nvidia-smi", default="nvidia-smi")
    lag_parser = sub.add_parser("sync-lag")
    lag_parser.add_argument("--metric", default="postgresql_replication_lag_seconds")
    lag = lag_parser.add_mutually_exclusive_group(required=True)
    lag.add_argument("--stamp")
    lag.add_argument("--command")
    lag.add_argument("--exporter", help="an exporter's metrics URL; --metric names the gauge")
    sub.add_parser("backup-age").add_argument("--glob", action="append", required=True)
    return p


def main(argv=None) -> int:
    status, _ = run(parser().parse_args(argv))
    return status


if __name__ == "__main__":
    sys.exit(main())
