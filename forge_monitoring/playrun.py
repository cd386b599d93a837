"""Run a playbook through ansible-runner: a compact progress view on the terminal, the full Ansible output in a
log file, and the event stream kept as an artifact of the run (docs/lab.md "Runs").

Each run gets a directory ``<runs>/<UTC time>-<playbook>/`` holding

- ``ansible.log``: the full Ansible output (what ansible-playbook would have printed);
- ``events.jsonl``: every ansible-runner event, one JSON object per line, in order;
- ``summary.json``: return code, elapsed seconds and the counts per host, from the ``playbook_on_stats`` event.

``<runs>/latest`` points at the newest run. Counts are read from the events, never from the PLAY RECAP text:
``python -m forge_monitoring.playrun counts <run dir>`` prints them for the benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import ansible_runner

ROOT = Path(__file__).resolve().parent.parent
KEEP_RUNS = 20
# ansible-runner's per-host outcome events (the runner_item_on_* events of loop items are not tasks)
OUTCOMES = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}
STAT_KEYS = ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored", "processed")


@dataclass
class HostProgress:
    play: str = ""
    tasks: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0


@dataclass
class Progress:
    """Folds ansible-runner events into per-host progress and prints a compact view to ``out``: one line per play,
    then every ``interval`` seconds (and at each play's end) one line per host with the play, the tasks done, the
    changed and failed ones and the time since the run began. Failed tasks are printed as they happen."""

    out: IO[str] = sys.stdout
    interval: float = 15.0
    clock: object = time.monotonic
    hosts: dict[str, HostProgress] = field(default_factory=dict)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    plays: int = 0
    play: str = ""
    failures: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.started = self.clock()
        self.shown = self.started

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _elapsed(self) -> str:
        return f"{self.clock() - self.started:6.0f}s"

    def show_hosts(self) -> None:
        for name in sorted(self.hosts):
            h = self.hosts[name]
            self._line(
                f"  {name:24} {h.play[:40]:40} tasks {h.tasks:4}  changed {h.changed:3}  failed {h.failed:2}"
                f"{'  unreachable' if h.unreachable else ''}  {self._elapsed()}"
            )
        self.shown = self.clock()

    def event(self, ev: dict) -> bool:
        kind = ev.get("event", "")
        data = ev.get("event_data") or {}
        if kind == "playbook_on_play_start":
            if self.plays and self.hosts:
                self.show_hosts()
            self.plays += 1
            self.play = data.get("play") or data.get("name") or "?"
            self._line(f"play {self.plays}: {self.play}  {self._elapsed()}")
        elif kind in OUTCOMES and data.get("host"):
            h = self.hosts.setdefault(data["host"], HostProgress())
            h.play = self.play
            h.tasks += 1
            res = data.get("res") or {}
            if kind == "runner_on_ok" and res.get("changed"):
                h.changed += 1
            if kind == "runner_on_failed" and not data.get("ignore_errors"):
                h.failed += 1
                msg = str(res.get("msg", "")).strip().splitlines()
                self.failures.append(f"{data['host']}: {data.get('task', '?')}: {msg[0] if msg else ''}")
                self._line(f"  FAILED {self.failures[-1][:300]}")
            if kind == "runner_on_unreachable":
                h.unreachable += 1
                self._line(f"  UNREACHABLE {data['host']}: {str(res.get('msg', '')).strip()[:300]}")
        elif kind == "playbook_on_stats":
            self.stats = {key: dict(data.get(key) or {}) for key in STAT_KEYS}
            if self.hosts:
                self.show_hosts()
            return True
        if self.hosts and self.clock() - self.shown >= self.interval:
            self.show_hosts()
        return True

    def totals(self) -> dict[str, int]:
        """changed, failed, unreachable, ok, skipped summed over the hosts, and the hosts, from the stats event."""

        def total(key):
            return sum(int(n) for n in self.stats.get(key, {}).values())

        return {
            "changed": total("changed"),
            "failed": total("failures"),
            "unreachable": total("dark"),
            "ok": total("ok"),
            "skipped": total("skipped"),
            "hosts": len(self.stats.get("processed", {})),
        }


def stats_from_events(path: Path) -> dict[str, dict[str, int]]:
    """The per-host counts of the last ``playbook_on_stats`` event in an events.jsonl."""
    stats: dict[str, dict[str, int]] = {}
    with open(path) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event") == "playbook_on_stats":
                data = ev.get("event_data") or {}
                stats = {key: dict(data.get(key) or {}) for key in STAT_KEYS}
    return stats


def counts(run_dir: Path) -> dict[str, int]:
    """changed, failed, unreachable, ok, skipped of a kept run, summed over its hosts, from its events."""
    with open(os.devnull, "w") as devnull:
        progress = Progress(out=devnull)
        progress.stats = stats_from_events(run_dir / "events.jsonl")
        if not progress.stats:
            raise SystemExit(f"{run_dir}/events.jsonl has no playbook_on_stats event: the run did not finish")
        return progress.totals()


def _new_run_dir(runs: Path, playbook: str) -> Path:
    runs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"{stamp}-{Path(playbook).stem}"
    run_dir, n = runs / name, 1
    while run_dir.exists():
        n += 1
        run_dir = runs / f"{name}-{n}"
    run_dir.mkdir()
    latest = runs / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run_dir.name)
    old = sorted(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink())[:-KEEP_RUNS]
    for p in old:
        _rmtree(p)
    return run_dir


def _rmtree(path: Path) -> None:
    for child in sorted(path.rglob("*"), reverse=True):
        if child.is_dir() and not child.is_symlink():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()


@dataclass
class RunResult:
    rc: int
    status: str
    run_dir: Path
    elapsed: float
    totals: dict[str, int]
    failures: list[str]


def run_playbook(
    playbook: str,
    inventory: Path | list[Path],
    args: list[str] | tuple[str, ...] = (),
    *,
    runs: Path,
    out: IO[str] = sys.stdout,
    interval: float = 15.0,
) -> RunResult:
    """Run ``playbook`` (relative to the repository root) with ``ansible-playbook -i inventory... *args`` through
    ansible-runner from the repository root (its ansible.cfg applies), keeping the run in a new directory under
    ``runs``. SSH host keys stay checked (ansible-runner would turn the check off) and no fact cache is added."""
    inventories = inventory if isinstance(inventory, list) else [inventory]
    inventory_args = [a for inv in inventories for a in ("-i", str(inv))]
    run_dir = _new_run_dir(runs, playbook)
    (run_dir / "runner").mkdir()
    progress = Progress(out=out, interval=interval)
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_HOST_KEY_CHECKING": os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "True"),
        "ANSIBLE_NOCOLOR": "1",
    }
    started = time.monotonic()
    with open(run_dir / "events.jsonl", "w") as events:

        def handler(ev: dict) -> bool:
            events.write(json.dumps(ev, sort_keys=True, default=str) + "\n")
            progress.event(ev)
            return False  # kept in events.jsonl, not as one file per event

        runner = ansible_runner.run(
            private_data_dir=str(run_dir / "runner"),
            project_dir=str(ROOT),
            playbook=playbook,
            cmdline=" ".join(shlex.quote(str(a)) for a in [*inventory_args, *args]),
            envvars=env,
            event_handler=handler,
            quiet=True,
            fact_cache_type="none",
            ident="run",
        )
    elapsed = time.monotonic() - started
    stdout = run_dir / "runner" / "artifacts" / "run" / "stdout"
    log = run_dir / "ansible.log"
    if stdout.exists():
        stdout.replace(log)
    rc = int(runner.rc if runner.rc is not None else 1)
    result = RunResult(rc, str(runner.status), run_dir, elapsed, progress.totals(), progress.failures)
    summary = {
        "playbook": playbook,
        "inventories": [str(i) for i in inventories],
        "args": [str(a) for a in args],
        "rc": rc,
        "status": result.status,
        "elapsed_s": round(elapsed, 1),
        "totals": result.totals,
        "hosts": progress.stats,
        "failures": progress.failures,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m forge_monitoring.playrun", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p_counts = sub.add_parser("counts", help="print changed= failed= unreachable= ok= skipped= hosts= of a kept run")
    p_counts.add_argument("run_dir", type=Path)
    p_run = sub.add_parser("run", help="run a playbook through ansible-runner, keep the run, print its counts")
    p_run.add_argument("--runs", type=Path, required=True, help="where the run's directory is made")
    p_run.add_argument("-i", "--inventory", type=Path, action="append", required=True)
    p_run.add_argument("playbook", help="relative to the repository root")
    p_run.add_argument("args", nargs=argparse.REMAINDER, help="more ansible-playbook arguments")
    args = ap.parse_args(argv)
    if args.command == "counts":
        print(" ".join(f"{k}={v}" for k, v in counts(args.run_dir).items()))
        return 0
    extra = args.args[1:] if args.args[:1] == ["--"] else args.args
    run = run_playbook(args.playbook, args.inventory, extra, runs=args.runs)
    print(" ".join(f"{k}={v}" for k, v in run.totals.items()) + f" rc={run.rc} run={run.run_dir}")
    return run.rc


if __name__ == "__main__":
    sys.exit(main())
