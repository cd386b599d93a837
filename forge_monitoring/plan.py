"""``forge-monitoring plan -i <inventory>``: the capacity plan for people.

It reads the inventory through ``ansible-inventory --list`` (no host is contacted) and runs the same functions
as preflight (forge_monitoring/capacity.py ``capacity``, forge_monitoring/sizing.py, retention.py). It prints
the sizing table per host and the retention/storage table, and writes a Markdown report and a chart of
projected disk use per signal over 24 months (PNG and SVG).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import yaml

from forge_monitoring.capacity import capacity
from forge_monitoring.retention import usage_at

ROOT = Path(__file__).resolve().parent.parent
MONTHS = 24
MONTH_DAYS = 30.44


class PlanError(Exception):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="inventory directory or file")
    parser.add_argument("--out", type=Path, default=Path("capacity-plan"), help="output directory")
    parser.add_argument("--start", help="day ingestion starts, YYYY-MM-DD (default: forge_ingest_start or today)")
    parser.set_defaults(func=run)


def read_inventory(inventory: Path) -> tuple[dict, dict]:
    """(hostvars, groups) as ``ansible-inventory --list`` gives them; groups resolved through children."""
    if not inventory.exists():
        raise PlanError(f"no inventory at {inventory}")
    exe = Path(sys.executable).parent / "ansible-inventory"
    proc = subprocess.run(
        [str(exe), "-i", str(inventory), "--list"], cwd=ROOT, text=True, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise PlanError(f"ansible-inventory failed on {inventory}:\n{proc.stderr.strip()}")
    hostvars, groups = groups_from_list(json.loads(proc.stdout))
    if not groups.get("vms_site") and not groups.get("dev_sites"):
        raise PlanError(f"{inventory} has no hosts in the groups vms_site or dev_sites")
    return hostvars, groups


def groups_from_list(data: dict) -> tuple[dict, dict]:
    hostvars = data.get("_meta", {}).get("hostvars", {})

    def members(group: str, seen: frozenset = frozenset()) -> list[str]:
        if group in seen:
            return []
        entry = data.get(group, {})
        out = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            out += members(child, seen | {group})
        return sorted(set(out))

    names = [g for g in data if g != "_meta"]
    groups = {g: members(g) for g in names}
    return hostvars, groups


def build(hostvars: dict, groups: dict, start: str | None = None) -> dict:
    """The whole plan: per-host capacity (sizing, retention) with the start date applied."""
    placement = yaml.safe_load((ROOT / "playbooks" / "vars" / "placement.yml").read_text())
    if start:
        hostvars = {h: {**hv, "forge_ingest_start": start} for h, hv in hostvars.items()}
    return capacity(hostvars, groups, placement["forge_sized_components"])


def _mb(value: float) -> str:
    return f"{int(value):,}"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def sizing_section(host: str, entry: dict) -> list[str]:
    res = entry.get("resources")
    lines = [f"### {host}", ""]
    if not entry["components"]:
        return [*lines, "No sized component is placed on this host.", ""]
    if res is None:
        return [*lines, "No `forge_host_resources` in the inventory: the roles size this host from its facts.", ""]
    lines.append(
        f"Host: {_mb(res.get('ram_mb', 0))} MB RAM, {res.get('cores')} cores, {res.get('disk_gb')} GB disk"
        + (f" + {res['cold_disk_gb']} GB cold" if res.get("cold_disk_gb") else "")
        + f". Components: {', '.join(entry['components'])}."
    )
    lines.append("")
    if "error" in entry or "sizing_error" in entry:
        return [*lines, f"**DOES NOT FIT:** {entry.get('error') or entry['sizing_error']}", ""]
    sz = entry["sizing"]
    tot = sz["totals"]
    rows = [
        [c, ", ".join(v["units"]), _mb(v["memory_max_mb"]), _mb(v["memory_high_mb"]), f"{v['cpu_quota_percent']}%"]
        for c, v in sz["components"].items()
    ]
    rows.append(["OS reserve", "-", _mb(sz["os_reserve_mb"]), "-", f"{tot['os_cpu_reserve_percent']}%"])
    rows.append(
        [
            "**total**",
            "",
            f"**{_mb(tot['memory_allocated_mb'])}** of {_mb(tot['ram_mb'])}",
            "",
            f"**{tot['cpu_quota_percent'] + tot['os_cpu_reserve_percent']}%** of {tot['cpu_capacity_percent']}%",
        ]
    )
    lines += _table(["component", "systemd units", "MemoryMax MB", "MemoryHigh MB", "CPUQuota"], rows)
    lines += ["", "Per unit (what the roles write into systemd drop-ins):", ""]
    lines += _table(
        ["unit", "MemoryMax MB", "MemoryHigh MB", "CPUQuota", "carries"],
        [
            [
                u,
                _mb(v["memory_max_mb"]),
                _mb(v["memory_high_mb"]),
                f"{v['cpu_quota_percent']}%",
                ", ".join(v["components"]),
            ]
            for u, v in sorted(sz["units"].items())
        ],
    )
    if "clickhouse" in sz:
        ch = sz["clickhouse"]
        lines += ["", "ClickHouse settings: " + ", ".join(f"`{k}` = {v:,}" for k, v in ch.items()) + " bytes."]
    for key, label in (("ingest_memory_limiter", "ingest collector"), ("agent_memory_limiter", "agent collector")):
        if key in sz:
            lim = sz[key]
            lines.append(
                f"memory_limiter of the {label}: limit_mib {lim['limit_mib']}, spike_limit_mib "
                f"{lim['spike_limit_mib']}, check_interval {lim['check_interval']}."
            )
    if "agent_limits" in sz:
        al = sz["agent_limits"]
        lines.append(
            f"Agent budget: < {al['network_mbps']} Mbps sent ({al['network_bytes_per_s']:,} bytes/s), "
            f"< {al['disk_mb_per_day']} MB/day written, on-disk buffers capped at {al['buffer_limit_mb']} MB."
        )
    verdict = (
        f"**FITS** {_mb(tot['ram_mb'])} MB: {_mb(tot['memory_allocated_mb'])} MB allocated, "
        f"{_mb(tot['memory_unallocated_mb'])} MB left"
    )
    if "clickhouse" in sz["components"]:
        verdict += f"; ClickHouse gets {_mb(sz['components']['clickhouse']['memory_max_mb'])} MB"
    return [*lines, "", verdict + ".", ""]


def retention_section(host: str, plan: dict) -> list[str]:
    rows = []
    for sig, s in plan["signals"].items():
        cold = s.get("move_to_cold_days")
        rows.append(
            [
                sig,
                s["class"],
                f"{s['daily_gb']:.3f}",
                f"{s['monthly_gb']:.2f}",
                f"{s['ttl_days']} d (`{s['ttl_duration']}`)",
                f"{cold} d" if cold else "-",
                f"{s['steady_gb']:.1f}",
            ]
        )
    rows.append(["**total**", "", f"{plan['total']['daily_gb']:.3f}", f"{plan['total']['monthly_gb']:.2f}", "", "",
                 f"**{plan['steady_state_gb']:.1f}**"])  # fmt: skip
    where = f"{plan['disk_gb']:g} GB" + (f" + {plan['cold_disk_gb']:g} GB cold" if plan["cold_disk_gb"] else "")
    lines = [f"### {host}", ""]
    if plan.get("shards", 1) > 1:
        lines += [f"The data is spread over {plan['shards']} shards; each host stores its shard's share.", ""]
    lines += _table(["signal", "class", "GB/day", "GB/month", "TTL", "to cold after", "steady state GB"], rows)
    lines.append("")
    need = f"needs {plan['needed_gb']:.1f} GB ({plan['steady_state_gb']:.1f} GB + {plan['headroom']:.0%} headroom)"
    if plan["fits"]:
        spare = plan["disk_gb"] + plan["cold_disk_gb"] - plan["needed_gb"]
        lines.append(f"**FITS** {where}: {need}, {spare:.1f} GB to spare. The disk never fills at these rates.")
    else:
        lines.append(
            f"**DOES NOT FIT** {where}: {need}. From {plan['fill_date']} (day {int(plan['fill_day'])} after "
            f"{plan['start']}) the headroom is used up"
            + (
                f"; the disk itself is full on {plan['disk_full_date']}."
                if plan["disk_full_date"]
                else "; the disk itself never fills, but merges and mutations have no room left."
            )  # fmt: skip
        )
    return [*lines, ""]


def chart(host: str, plan: dict, out: Path) -> list[Path]:
    """Stacked projected use per signal over 24 months, with the disk size and the retention cut-offs."""
    import matplotlib  # noqa: PLC0415 (lazy: the other subcommands do not pay for matplotlib)

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "forge-monitoring"
    import matplotlib.pyplot as plt  # noqa: PLC0415

    days = [d * MONTHS * MONTH_DAYS / 240 for d in range(241)]
    months = [d / MONTH_DAYS for d in days]
    series = {sig: [] for sig in plan["signals"]}
    for d in days:
        used = usage_at(plan, d)
        for sig, parts in used.items():
            series[sig].append(parts["hot"] + parts["cold"])
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ax.stackplot(months, *series.values(), labels=[f"{s} ({plan['signals'][s]['class']})" for s in series], alpha=0.8)
    capacity = plan["disk_gb"] + plan["cold_disk_gb"]
    usable = plan["disk_gb"] / (1 + plan["headroom"]) + plan["cold_disk_gb"] / (1 + plan["headroom"])
    ax.axhline(capacity, color="black", linewidth=1.5, label=f"disk {capacity:g} GB")
    ax.axhline(usable, color="black", linestyle="--", linewidth=1, label=f"usable with {plan['headroom']:.0%} headroom")
    for ttl in sorted({s["ttl_days"] for s in plan["signals"].values()}):
        classes = sorted({s["class"] for s in plan["signals"].values() if s["ttl_days"] == ttl})
        ax.axvline(ttl / MONTH_DAYS, color="grey", linestyle=":", linewidth=1)
        ax.text(ttl / MONTH_DAYS, capacity * 0.03, f" {'/'.join(classes)} TTL {ttl} d", rotation=90, va="bottom")
    if plan["fill_day"] is not None:
        ax.axvline(
            plan["fill_day"] / MONTH_DAYS, color="red", linewidth=1.5, label=f"headroom used up {plan['fill_date']}"
        )
    ax.set_xlim(0, MONTHS)
    ax.set_ylim(0, max(capacity, sum(s[-1] for s in series.values())) * 1.1)
    ax.set_xlabel(f"months after {plan['start']}")
    ax.set_ylabel("GB on disk (compressed)")
    ax.set_title(f"{host}: projected ClickHouse disk use per signal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    files = [out / f"disk-projection-{host}.png", out / f"disk-projection-{host}.svg"]
    fig.savefig(files[0], dpi=100, metadata={"Software": None})
    fig.savefig(files[1], metadata={"Date": None})
    plt.close(fig)
    return files


def report(inventory: Path, capacity: dict, charts: dict[str, list[Path]]) -> str:
    lines = [
        f"# Capacity plan: {inventory}",
        "",
        f"Generated {datetime.date.today().isoformat()} by `forge-monitoring plan` from the inventory alone (no host",
        "contacted), with the functions preflight uses (forge_monitoring/sizing.py, retention.py, preflight.py).",
        "The model and every default are in docs/sizing.md.",
        "",
        "## Memory and CPU per host",
        "",
    ]
    for host, entry in capacity.items():
        lines += sizing_section(host, entry)
    lines += ["## Retention and storage", ""]
    plans = {h: e for h, e in capacity.items() if "retention" in e or "retention_error" in e}
    if not plans:
        lines += ["No ClickHouse host with `forge_host_resources` in this inventory.", ""]
    for host, entry in plans.items():
        if "retention_error" in entry:
            lines += [f"### {host}", "", f"**INVALID INPUT:** {entry['retention_error']}", ""]
            continue
        lines += retention_section(host, entry["retention"])
        for path in charts.get(host, []):
            if path.suffix == ".png":
                lines += [f"![projected disk use on {host}]({path.name})", ""]
    return "\n".join(lines).rstrip() + "\n"


MATPLOTLIB_MISSING = (
    "the plan's charts need matplotlib, which is an optional extra: pip install 'forge-monitoring[plan]' "
    "(scripts/bootstrap-venv.sh installs it)"
)


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("matplotlib") is None:
        print(f"[plan] {MATPLOTLIB_MISSING}", file=sys.stderr)
        return 2
    try:
        hostvars, groups = read_inventory(args.inventory)
        capacity = build(hostvars, groups, args.start)
    except PlanError as exc:
        print(f"[plan] {exc}", file=sys.stderr)
        return 2
    charts = {
        host: chart(host, entry["retention"], args.out) for host, entry in capacity.items() if "retention" in entry
    }
    text = report(args.inventory, capacity, charts)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "plan.md").write_text(text)
    print(text)
    for path in [args.out / "plan.md", *(p for files in charts.values() for p in files)]:
        print(f"[plan] wrote {path}")
    fits = all(
        "sizing_error" not in e
        and "error" not in e
        and "retention_error" not in e
        and e.get("retention", {"fits": 1})["fits"]
        for e in capacity.values()
    )
    print("[plan] " + ("everything fits" if fits else "something does NOT fit: see above"))
    return 0 if fits else 1
