"""The per-host curve of a no-change run (issue 14): N lightweight dev hosts beside the lab.

``python -m forge_monitoring.devcurve hosts N``   write .lab/curve/hosts.yml with N extra dev hosts
                                                  (groups ``agents`` and ``vpn_spokes``, as preflight
                                                  requires of every agent host when the site has a
                                                  WireGuard hub) and
                                                  start their containers, with the lab's own machinery
                                                  (forge_monitoring.lab: image, label, SSH key, pinned
                                                  host keys), so ``scripts/lab down`` removes them too
``python -m forge_monitoring.devcurve table TSV``  the curve: N, wall, marginal s/host against N=0 and
                                                  against the previous step

The extra hosts are an inventory source beside inventories/lab (``-i inventories/lab -i
.lab/curve/hosts.yml``): the lab's group_vars apply to them (group vars are read beside every source
for every group), and .lab/curve/ is two levels below the repository like inventories/lab/, so the
lab's ``inventory_dir``-relative paths (SSH key, known_hosts, PKI) resolve to the same .lab/.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from forge_monitoring import lab

PREFIX = "devx-"
CURVE_DIR = "curve"
WIREGUARD_SUBSTITUTE = {"kind": "substitute", "what": "userspace wireguard-go (the lab kernel has no WireGuard)"}


def host_name(i: int) -> str:
    return f"{PREFIX}{i:02d}"


def free_addresses(subnet: str, used: set[str], count: int, start: int = 100) -> list[str]:
    """``count`` host addresses of ``subnet`` from offset ``start`` on, skipping the bridge gateway
    (the first host address) and the addresses in ``used``."""
    net = ipaddress.ip_network(subnet)
    gateway = next(net.hosts())
    out: list[str] = []
    for ip in net.hosts():
        if int(ip) - int(net.network_address) < start or ip == gateway or str(ip) in used:
            continue
        out.append(str(ip))
        if len(out) == count:
            return out
    raise lab.LabError(f"{subnet} has fewer than {count} free host addresses from offset {start}")


def extra_inventory(n: int, plan: lab.Plan, network_key: str = "dev", wan_key: str = "wan") -> dict:
    """An inventory of ``n`` dev hosts in ``agents`` and ``vpn_spokes`` (a dev host as production has it: with
    a hub in the lab, preflight refuses an agent host outside the tunnel, forge_monitoring/checks/topology.py),
    on the lab network ``network_key`` (their private address) and ``wan_key`` (where the hub's WireGuard
    endpoint and time source are, as for dev-1 and dev-2), at addresses no lab host uses. Everything else
    (connection, PKI, chrony, resources, tunnel addresses from the lab's tunnel network) comes from the lab's
    group_vars; like the lab's dev hosts they declare the userspace WireGuard substitute verify detects."""
    for key in (network_key, wan_key):
        if key not in plan.networks:
            raise lab.LabError(f"the lab has no network {key!r}")
    used = {addr for h in plan.hosts if not h.name.startswith(PREFIX) for _, addr in h.addresses}
    addrs = free_addresses(plan.networks[network_key].subnet, used, n) if n else []
    wans = free_addresses(plan.networks[wan_key].subnet, used, n) if n else []
    hosts = {
        host_name(i + 1): {
            "ansible_host": addr,
            "forge_private_address": addr,
            "lab_container": f"fm-lab-{host_name(i + 1)}",
            "lab_addresses": {network_key: addr, wan_key: wan},
            "forge_substitutes": {"wireguard": dict(WIREGUARD_SUBSTITUTE)},
        }
        for i, (addr, wan) in enumerate(zip(addrs, wans, strict=True))
    }
    spokes = {"hosts": dict.fromkeys(hosts)}
    return {"all": {"children": {"dev_sites": {"children": {"agents": {"hosts": hosts}, "vpn_spokes": spokes}}}}}


def curve_table(rows: list[dict]) -> str:
    """rows: {n, wall, changed, failed, ...} in the order measured, the first with n == 0."""
    base = next((r for r in rows if r["n"] == 0), None)
    out = [
        f"{'N':>3} {'hosts':>5} {'wall s':>8} {'s/host vs N=0':>14} {'s/host vs prev':>15} "
        f"{'changed':>7} {'failed':>6} {'unreach':>7} {'load':>5}"
    ]
    prev = None
    for r in rows:
        vs0 = f"{(r['wall'] - base['wall']) / r['n']:.2f}" if base and r["n"] else "-"
        vsp = f"{(r['wall'] - prev['wall']) / (r['n'] - prev['n']):.2f}" if prev and r["n"] > prev["n"] else "-"
        out.append(
            f"{r['n']:>3} {r.get('hosts', 0):>5} {r['wall']:>8.1f} {vs0:>14} {vsp:>15} "
            f"{r['changed']:>7} {r['failed']:>6} {r.get('unreachable', 0):>7} {r.get('load', '-'):>5}"
        )
        prev = r
    return "\n".join(out)


def read_rows(tsv: Path) -> list[dict]:
    """n, wall, changed, failed, unreachable, hosts, load: one measured run a line (bench/dev_host_curve.sh)."""
    rows = []
    for line in tsv.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        n, wall, changed, failed, unreachable, hosts, load = line.split("\t")
        rows.append(
            {
                "n": int(n),
                "wall": float(wall),
                "changed": int(changed),
                "failed": int(failed),
                "unreachable": int(unreachable),
                "hosts": int(hosts),
                "load": load,
            }
        )
    return rows


# inotify instances a systemd container of the lab's image holds once booted (measured 2026-12-07: 7 each; systemd,
# journald, logind, sshd's units) with room to spare; the kernel counts them per user, and every container runs as root
INOTIFY_PER_CONTAINER = 8
INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")


def inotify_problem(limit: int, containers: int, per_container: int = INOTIFY_PER_CONTAINER) -> str | None:
    """Why `containers` systemd containers cannot all boot under fs.inotify.max_user_instances = limit, or None.

    A systemd that finds no inotify instance left exits at once ("Too many open files"), so the container never
    reports a state; at the default 128 that happened to the 20th extra host of a 25-host step (the 23rd container
    with the lab, 2026-12-07)."""
    need = containers * per_container
    if need <= limit:
        return None
    return (
        f"fs.inotify.max_user_instances is {limit}; {containers} systemd containers need about {need} "
        f"({per_container} each). Raise it first, e.g. sysctl -w fs.inotify.max_user_instances={max(1024, need * 2)}"
    )


def hosts(args: argparse.Namespace) -> int:
    """Write the extra inventory for N hosts and start their containers (the lab must be up)."""
    if INOTIFY_LIMIT.exists():
        ps = subprocess.run(["docker", "ps", "-q"], capture_output=True, text=True, check=False)
        running = len(ps.stdout.split())
        problem = inotify_problem(int(INOTIFY_LIMIT.read_text()), running + args.n)
        if problem:
            print(f"[curve] ERROR: {problem}", file=sys.stderr)
            return 1
    state = lab.state_dir(args.inventory)
    out = state / CURVE_DIR / "hosts.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    base = lab.load_plan(args.inventory)
    out.write_text(
        "# generated by forge_monitoring/devcurve.py for bench/dev_host_curve.sh; removed by scripts/lab down\n"
        + yaml.safe_dump(extra_inventory(args.n, base), sort_keys=True)
    )
    plan = lab.load_plan(args.inventory, out)
    pubkey = lab.ensure_ssh_key(state).with_suffix(".pub").read_text()
    extras = [h for h in plan.hosts if h.name.startswith(PREFIX)]
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        for done in pool.map(lambda h: lab.ensure_host(plan, h, args.image, pubkey, args.boot_timeout), extras):
            del done
    lab.write_known_hosts(plan, state)
    print(out)
    return 0


def table(args: argparse.Namespace) -> int:
    print(curve_table(read_rows(Path(args.tsv))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forge_monitoring.devcurve")
    parser.add_argument("--image", default=lab.DEFAULT_IMAGE)
    parser.add_argument("--inventory", type=Path, default=lab.LAB_INVENTORY)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("hosts", help="N extra dev hosts: inventory and containers")
    p.add_argument("n", type=int)
    p.add_argument("--parallel", type=int, default=2, help="containers started at once (default %(default)s)")
    # 90 s (scripts/lab's wait) was too short for systemd at load 13 with 4 starting at once (2026-12-03)
    p.add_argument("--boot-timeout", type=float, default=300, help="seconds to wait for systemd (%(default)s)")
    p.set_defaults(func=hosts)
    p = sub.add_parser("table", help="the curve table from the bench's TSV")
    p.add_argument("tsv")
    p.set_defaults(func=table)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (lab.LabError, ValueError) as exc:
        print(f"[curve] ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
