"""Verify results turned into the per-host table printed at the end of site.yml (forge_verify_table)."""

from __future__ import annotations

from forge_monitoring import provenance
from forge_monitoring.errors import FilterError

COLUMNS = ("component", "status", "source", "endpoint", "detail")


def forge_verify_table(rows, host, substitutes=None, lab=True):
    """Render verify rows as a fixed-width table for one host.

    rows: list of {component, ok, endpoint, detail[, source, evidence]}, where source is what verify DETECTED on
    the host (upstream | substitute | fixture; a row without one detected nothing that is not upstream);
    substitutes: the inventory's forge_substitutes, {component: {kind, what}}, a declaration that must match
    the detection (a mismatch is shown in the row); lab: false outside the lab (forge_env != lab), where a
    detected substitute or fixture fails its row.
    """
    if not isinstance(rows, list):
        raise FilterError(f"forge_verify_table: expected a list of rows, got {type(rows).__name__}")
    substitutes = substitutes or {}
    if not isinstance(substitutes, dict):
        raise FilterError("forge_verify_table: substitutes must be a dict of component -> {kind, what}")
    table = []
    mismatches = 0
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "component" not in row or "ok" not in row:
            raise FilterError(f"forge_verify_table: row {i} needs at least 'component' and 'ok': {row!r}")
        try:
            source, ok, remarks = provenance.verify_source(
                {**row, "ok": _truthy(row["ok"])}, substitutes.get(row["component"]), lab=_truthy(lab)
            )
        except ValueError as exc:
            raise FilterError(f"forge_verify_table: {exc}") from exc
        mismatches += any(r.startswith("MISMATCH") for r in remarks)
        detail = " ".join([str(row.get("detail", "")).strip(), *(f"[{r}]" for r in remarks)]).strip()
        table.append(
            {
                "component": str(row["component"]),
                "status": "OK" if ok else "FAIL",
                "source": source,
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
    if mismatches:
        out.append(f"{mismatches} source(s) differ from forge_substitutes (see MISMATCH): fix the declaration")
    return "\n".join(out)


def _row(row, widths):
    return "| " + " | ".join(row[c].ljust(widths[c]) for c in COLUMNS) + " |"


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "ok")
    return bool(value)
