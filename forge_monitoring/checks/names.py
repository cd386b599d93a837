"""Names: a variable the inventory sets with a role's prefix (or forge_) that no role, play or plugin reads is a
misspelling: it would be ignored silently and the role's default used instead. DNS names, URLs, addresses and
time zones of single variables are the schema's formats (forge_monitoring/schema.py FORMATS)."""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("roles", "playbooks", "filter_plugins", "forge_monitoring", "site.yml", "versions.yml")
SUFFIXES = {".yml", ".yaml", ".j2", ".py"}


def prefixes(inv):
    roles = set(inv.placement) | {"artifact"}
    return tuple(sorted({f"{r}_" for r in roles} | {"forge_"}, key=len, reverse=True))


@functools.cache
def referenced(pattern):
    """Every identifier matching pattern in the code (roles, plays, plugins): the variables something reads."""
    rx = re.compile(pattern)
    names = set()
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in SUFFIXES]
        for file in files:
            names |= set(rx.findall(file.read_text(errors="replace")))
    return frozenset(names)


def problems(inv):
    pre = prefixes(inv)
    known = referenced(r"\b(?:" + "|".join(map(re.escape, pre)) + r")[a-z0-9_]*\b")
    out = []
    for host in inv.managed:
        for name in sorted(str(k) for k in inv.hostvars[host]):
            if not name.startswith(pre) or name in known:
                continue
            near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
            hint = f"; did you mean {near[0]}?" if near else ""
            out.append(
                f"{host}: {name} is not a variable any role or play reads{hint} (expected a documented variable: "
                "roles/*/meta/argument_specs.yml, docs/preflight.md)"
            )
    return out
