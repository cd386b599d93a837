"""Filters that turn verify results into the per-host table printed at the end of site.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

SOURCES = ("upstream", "substitute", "fixture")
COLUMNS = ("component", "status", "source", "endpoint", "detail")


def forge_verify_table(rows, host, substitutes=None):
    """Render verify rows as a fixed-width table for one host.

    rows: list of {component, ok, endpoint, detail}; substitutes: the inventory's
    forge_substitutes, {component: {kind: substitute|fixture, what: ...}}. A component
    not named there is the upstream artifact.
    """
    if not isinstance(rows, list):
        raise AnsibleFilterError(f"forge_verify_table: expected a list of rows, got {type(rows).__name__}")
    substitutes = substitutes or {}
    if not isinstance(substitutes, dict):
        raise AnsibleFilterError("forge_verify_table: substitutes must be a dict of component -> {kind, what}")
    table = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "component" not in row or "ok" not in row:
            raise AnsibleFilterError(f"forge_verify_table: row {i} needs at least 'component' and 'ok': {row!r}")
        sub = substitutes.get(row["component"]) or {}
        kind = sub.get("kind", "upstream")
        if kind not in SOURCES:
            raise AnsibleFilterError(
                f"forge_verify_table: forge_substitutes.{row['component']}.kind is {kind!r}; "
                f"expected one of {', '.join(SOURCES)}"
            )
        detail = str(row.get("detail", "")).strip()
        if sub.get("what"):
            detail = f"{detail} [{kind.upper()}: {sub['what']}]".strip()
        table.append(
            {
                "component": str(row["component"]),
                "status": "OK" if _truthy(row["ok"]) else "FAIL",
                "source": kind,
                "endpoint": str(row.get("endpoint", "")),
                "detail": detail,
            }
        )
    widths = {c: max([len(c)] + [len(r[c]) for r in table]) for c in COLUMNS}
    line = "+" + "+".join("-" * (widths[c] + 2) for c in COLUMNS) + "+"
    out = [f"verify: {host}", line, _row({c: c.upper() for c in COLUMNS}, widths), line]
    out += [_row(r, widths) for r in table] or ["| " + "(nothing deployed on this host)".ljust(len(line) - 4) + " |"]
    out.append(line)
    failed = sum(r["status"] == "FAIL" for r in table)
    out.append(f"{len(table) - failed} ok, {failed} failed")
    return "\n".join(out)


def _row(row, widths):
    return "| " + " | ".join(row[c].ljust(widths[c]) for c in COLUMNS) + " |"


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "ok")
    return bool(value)


class FilterModule:
    def filters(self):
        return {"forge_verify_table": forge_verify_table}
