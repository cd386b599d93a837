"""Command line entry point: ``forge-monitoring <command>``."""

from __future__ import annotations

import argparse
import sys

from forge_monitoring import contracts, lab, plan, reach, roledocs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="forge-monitoring")
    sub = parser.add_subparsers(dest="command", required=True)
    lab.add_arguments(sub.add_parser("lab", help="the embedded Docker lab"))
    roledocs.add_arguments(sub.add_parser("docs", help="regenerate the role variable tables in roles/*/README.md"))
    plan.add_arguments(sub.add_parser("plan", help="the capacity plan: sizing, retention, disk chart, report"))
    reach.add_arguments(sub.add_parser("reach", help="every inventory host answers over SSH with its pinned host key"))
    contracts.add_arguments(sub.add_parser("contracts", help="what roles/ uses from upstream, against the contracts"))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
