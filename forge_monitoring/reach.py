"""Reach every host over SSH before a run, with paramiko: each must answer with the host key pinned in a
known_hosts file and accept the login. A host that answers with another key is refused at once (no trust on first
use); one that does not answer yet is retried until the deadline.

``forge-monitoring reach -i INVENTORY`` checks an inventory's hosts (ansible_host, ansible_port, ansible_user from
``ansible-inventory --list``) against ~/.ssh/known_hosts; ``forge-monitoring lab up`` uses the same check as its
readiness wait, against the lab's pinned known_hosts and key.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko


@dataclass(frozen=True)
class Target:
    name: str
    address: str
    port: int = 22
    user: str = "root"


def _fingerprint(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def _load(known_hosts: Path, key_file: Path | None) -> tuple[paramiko.PKey | None, str]:
    """(the private key or None, "") or (None, the problem) before any connection."""
    try:
        paramiko.HostKeys(str(known_hosts))
    except OSError as exc:
        return None, f"cannot read the known_hosts file {known_hosts}: {exc}"
    try:
        return (paramiko.PKey.from_path(str(key_file)) if key_file else None), ""
    except (OSError, paramiko.SSHException) as exc:
        return None, f"cannot load the private key {key_file}: {exc}"


def reach_one(
    target: Target,
    known_hosts: Path,
    key_file: Path | None = None,
    *,
    timeout: float = 30.0,
    clock=time.monotonic,
    sleep=time.sleep,
) -> str | None:
    """None when ``target`` answered with its pinned host key and accepted the login, else the problem."""
    deadline = clock() + timeout
    last = ""
    where = f"{target.name} ({target.user}@{target.address}:{target.port})"
    pkey, problem = _load(known_hosts, key_file)
    if problem:
        return f"{where}: {problem}"
    while True:
        client = paramiko.SSHClient()
        client.load_host_keys(str(known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                target.address,
                port=target.port,
                username=target.user,
                pkey=pkey,
                allow_agent=pkey is None,
                look_for_keys=pkey is None,
                timeout=5,
                banner_timeout=5,
                auth_timeout=5,
            )
            return None
        except paramiko.BadHostKeyException as exc:
            return (
                f"{where} answered with the host key {_fingerprint(exc.key)}, not the one pinned in {known_hosts} "
                f"({_fingerprint(exc.expected_key)}): refused, nothing was sent"
            )
        except paramiko.AuthenticationException as exc:
            return f"{where}: the host key matched, but the login was refused ({exc})"
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                return f"{where} has no host key pinned in {known_hosts}: add it (ssh-keyscan is trust on first use)"
            last = str(exc) or type(exc).__name__
        except (OSError, EOFError) as exc:  # socket.timeout is an OSError
            last = str(exc) or type(exc).__name__
        finally:
            client.close()
        if clock() >= deadline:
            return f"{where} did not answer over SSH within {timeout:.0f}s ({last})"
        sleep(1)


def reach(targets, known_hosts: Path, key_file: Path | None = None, timeout: float = 30.0) -> list[str]:
    """The problems of every target, in order; [] when all answered with their pinned keys."""
    return [p for p in (reach_one(t, known_hosts, key_file, timeout=timeout) for t in targets) if p]


def inventory_targets(inventory: Path, limit: str = "all") -> list[Target]:
    """The hosts of an inventory with the address, port and user Ansible would use (``ansible-inventory --list``)."""
    bin_dir = Path(sys.executable).parent
    out = subprocess.run(
        [str(bin_dir / "ansible-inventory"), "-i", str(inventory), "--list", "--limit", limit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    names = sorted({h for group in data.values() if isinstance(group, dict) for h in group.get("hosts", [])})
    return [
        Target(
            name,
            str(hostvars.get(name, {}).get("ansible_host", name)),
            int(hostvars.get(name, {}).get("ansible_port", 22)),
            str(hostvars.get(name, {}).get("ansible_user", "root")),
        )
        for name in names
    ]


def _cli(args: argparse.Namespace) -> int:
    targets = inventory_targets(args.inventory, args.limit)
    problems = reach(targets, args.known_hosts, args.key, args.timeout)
    for p in problems:
        print(f"[reach] {p}", file=sys.stderr)
    print(f"[reach] {len(targets) - len(problems)} of {len(targets)} hosts answer with their pinned host keys")
    return 1 if problems else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", type=Path, required=True)
    parser.add_argument("--limit", default="all", help="an Ansible host pattern (default: all)")
    parser.add_argument("--known-hosts", type=Path, default=Path.home() / ".ssh" / "known_hosts")
    parser.add_argument("--key", type=Path, default=None, help="private key (default: the agent and ~/.ssh keys)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each host")
    parser.set_defaults(func=_cli)
