"""Role variable tables, generated from each role's meta/argument_specs.yml into roles/<role>/README.md.

Each role README has a hand-written part (what the role does, its phases and tags, how other roles use
it) and, between the markers below, the generated tables of every entry point.

``forge-monitoring docs``          rewrites every role README between its markers;
``forge-monitoring docs --check``  fails, naming the role, when a README is out of date, missing or
                                   lacks its markers (CI).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN forge-monitoring docs (generated from meta/argument_specs.yml by `forge-monitoring docs`) -->"
END = "<!-- END forge-monitoring docs -->"


class DocsError(Exception):
    """A role README that cannot be updated: missing, or without its markers."""


def load_specs(roles_dir: Path) -> dict[str, dict]:
    specs = {}
    for spec_file in sorted(roles_dir.glob("*/meta/argument_specs.yml")):
        specs[spec_file.parent.parent.name] = yaml.safe_load(spec_file.read_text())["argument_specs"]
    return specs


def _text(value) -> str:
    """Markdown-safe text for a table cell or a line: no pipes, no raw angle brackets, one line."""
    return str(value).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _default(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if value == "":
        return '""'
    if isinstance(value, str | int | float):
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()


def render_role(entry_points: dict) -> str:
    """The generated block of one role: one table per entry point (main first, as in the spec file)."""
    out = []
    for entry, spec in entry_points.items():
        title = "### Entry point `main`" if entry == "main" else f"### Entry point `tasks_from: {entry}`"
        out += [title, "", _text(spec.get("short_description", "")), ""]
        options = spec.get("options") or {}
        if not options:
            out += ["No variables.", ""]
            continue
        out += ["| variable | type | default | description |", "|---|---|---|---|"]
        for name, opt in options.items():
            kind = opt.get("type", "str")
            if kind == "list" and opt.get("elements"):
                kind = f"list of {opt['elements']}"
            req = " (required)" if opt.get("required") else ""
            desc = opt.get("description", "")
            desc = " ".join(desc) if isinstance(desc, list) else desc
            default = _default(opt.get("default")).replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{name}` | {kind}{req} | `{default}` | {_text(desc)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update_role_readme(readme: Path, role: str, entry_points: dict) -> tuple[str, str]:
    """(current text, text with the generated block replaced); DocsError names the role."""
    if not readme.is_file():
        raise DocsError(f"{role}: roles/{role}/README.md is missing (write its intro, then the two markers)")
    text = readme.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise DocsError(f"{role}: roles/{role}/README.md needs exactly one pair of markers:\n  {BEGIN}\n  {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return text, f"{head}{BEGIN}\n{render_role(entry_points)}{END}{tail}"


def update_all(roles_dir: Path) -> tuple[dict[str, tuple[Path, str, str]], list[str]]:
    """Per role: (README path, old text, new text); and the problems (missing README or markers)."""
    results, problems = {}, []
    for role, entry_points in load_specs(roles_dir).items():
        readme = roles_dir / role / "README.md"
        try:
            old, new = update_role_readme(readme, role, entry_points)
        except DocsError as exc:
            problems.append(str(exc))
            continue
        results[role] = (readme, old, new)
    return results, problems


def check(roles_dir: Path) -> list[str]:
    """Every problem, one line per role: missing README, missing markers, tables out of step."""
    results, problems = update_all(roles_dir)
    for role, (_, old, new) in results.items():
        if old != new:
            problems.append(f"{role}: roles/{role}/README.md variable tables are out of date")
    return problems


def main(args: argparse.Namespace) -> int:
    roles_dir = ROOT / "roles"
    if args.check:
        problems = check(roles_dir)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("run `.venv/bin/forge-monitoring docs`", file=sys.stderr)
        return 1 if problems else 0
    results, problems = update_all(roles_dir)
    for role, (readme, old, new) in results.items():
        if old != new:
            readme.write_text(new)
            print(f"roles/{role}/README.md: variable tables updated")
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="fail when a role README is out of date")
    parser.set_defaults(func=main)
