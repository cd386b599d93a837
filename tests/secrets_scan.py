#!/usr/bin/env python3
"""Secrets in output (issue 16 item 4): scan a molecule scenario's log for its inventory's secrets.

usage: python3 tests/secrets_scan.py SCENARIO LOG

The playbook runs of the scenario (check, converge, idempotence, side_effect: molecule runs them with --diff
and -v, .config/molecule/config.yml) are searched for
- every value of every `vault_*` variable of the scenario's inventory (the shared .config/molecule/config.yml
  merged with molecule/SCENARIO/molecule.yml), nested values included;
- private key bodies: a PEM private key block, a WireGuard `PrivateKey =` line.
verify is left out: pytest prints the test's own source, which holds the test-only values. A hit prints the
action, the line number and the variable (never the value) and exits 1; scripts/test then fails the scenario.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("check", "converge", "idempotence", "side_effect")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ACTION = re.compile(r"➜ (\w+): (Executing|Executed)")
KEY_PATTERNS = {
    "a PEM private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a WireGuard private key": re.compile(r"PrivateKey\s*=\s*[A-Za-z0-9+/]{42,43}="),
}
MIN_LENGTH = 6  # shorter values (a port, "true") would match anywhere


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _vault_values(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("vault_"):
                for leaf in _leaves(value):
                    for line in leaf.splitlines():
                        if len(line.strip()) >= MIN_LENGTH:
                            found.setdefault(line.strip(), key)
            else:
                _vault_values(value, found)
    elif isinstance(node, list):
        for item in node:
            _vault_values(item, found)
    return found


def secrets(scenario: str, root: Path = ROOT) -> dict[str, str]:
    """value -> the vault variable that holds it, from the shared config and the scenario's molecule.yml."""
    found: dict[str, str] = {}
    for path in (root / ".config" / "molecule" / "config.yml", root / "molecule" / scenario / "molecule.yml"):
        _vault_values(yaml.safe_load(path.read_text()), found)
    return found


def sections(lines):
    """(action, line number, line) for each line inside a scanned molecule action."""
    action = None
    for number, raw in enumerate(lines, 1):
        line = ANSI.sub("", raw)
        m = ACTION.search(line)
        if m:
            action = m.group(1) if m.group(2) == "Executing" and m.group(1) in SCANNED else None
            continue
        if action:
            yield action, number, line


def scan(scenario: str, log_text: str, root: Path = ROOT) -> list[str]:
    values = secrets(scenario, root)
    hits = []
    for action, number, line in sections(log_text.splitlines()):
        for value, variable in values.items():
            if value in line:
                hits.append(f"{action}, log line {number}: the value of {variable}")
        for what, pattern in KEY_PATTERNS.items():
            if pattern.search(line):
                hits.append(f"{action}, log line {number}: {what}")
    return hits


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    scenario, log = argv[1], Path(argv[2])
    text = log.read_text(errors="replace")
    if not any(True for _ in sections(text.splitlines())):
        print(f"[secrets] {log}: no check/converge/idempotence output to scan", file=sys.stderr)
        return 1
    hits = scan(scenario, text)
    for hit in hits:
        print(f"[secrets] {scenario}: {hit}", file=sys.stderr)
    if hits:
        print(f"[secrets] {scenario}: {len(hits)} secret(s) in the playbook output ({log})", file=sys.stderr)
        return 1
    print(f"[secrets] {scenario}: no secret in the playbook output ({len(secrets(scenario))} values checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
