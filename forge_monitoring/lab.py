"""The embedded Docker lab: systemd containers that model the seed's topology.

``forge-monitoring lab up``   creates the networks and hosts described by
                              inventories/lab, then runs site.yml against them
                              over SSH (the connection production uses).
``forge-monitoring lab down`` removes exactly what ``up`` created (found by the
                              ``forge.lab`` label), keeping the cached base image.

The inventory is the single source of truth: networks come from the group
variable ``lab_networks`` and each host's addresses from ``lab_addresses``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from forge_monitoring import playrun, reach

ROOT = Path(__file__).resolve().parent.parent
LAB_INVENTORY = ROOT / "inventories" / "lab"
DEFAULT_IMAGE = "forge-lab/debian-systemd:bookworm"
LABEL = "forge.lab"

# What systemd needs to run as PID 1 in a container on these machines
# (--privileged is refused here; see docs/testing.md), plus NET_ADMIN and the
# tun device for nftables and userspace WireGuard.
SYSTEMD_RUN_FLAGS = [
    "--cap-add",
    "SYS_ADMIN",
    "--cap-add",
    "NET_ADMIN",
    "--device",
    "/dev/net/tun",
    "--security-opt",
    "seccomp=unconfined",
    "--cgroupns",
    "host",
    "--volume",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "--stop-signal",
    "SIGRTMIN+3",
]


class LabError(RuntimeError):
    """A lab problem with a message meant for the user."""


@dataclass(frozen=True)
class Network:
    key: str
    name: str
    subnet: str


@dataclass(frozen=True)
class Host:
    name: str
    container: str
    # (network key, address) pairs; the first one is the network the container starts on
    addresses: tuple[tuple[str, str], ...]
    # the address Ansible connects to (ansible_host, one of the addresses)
    ssh_address: str = ""


@dataclass
class Plan:
    lab_name: str
    networks: dict[str, Network]
    hosts: list[Host] = field(default_factory=list)


def plan_from_inventory(inventory: dict) -> Plan:
    """Build the lab plan from ``ansible-inventory --list`` output, checking it.

    Every problem is reported at once, each naming the host or network.
    """
    hostvars = inventory.get("_meta", {}).get("hostvars", {})
    if not hostvars:
        raise LabError("lab inventory has no hosts")
    first = next(iter(hostvars.values()))
    problems: list[str] = []
    parsed = _parse_networks(first.get("lab_networks") or {}, problems)
    networks = {
        key: Network(key=key, name=(first["lab_networks"][key].get("name") or f"fm-lab-{key}"), subnet=str(net))
        for key, net in parsed.items()
    }
    seen: dict[str, str] = {}
    hosts = [_parse_host(name, hostvars[name], parsed, seen, problems) for name in sorted(hostvars)]
    if problems:
        raise LabError("the lab inventory is not usable:\n  - " + "\n  - ".join(problems))
    return Plan(lab_name=first.get("lab_name", "forge-lab"), networks=networks, hosts=hosts)


def _parse_networks(raw: dict, problems: list[str]) -> dict[str, ipaddress.IPv4Network]:
    parsed: dict[str, ipaddress.IPv4Network] = {}
    for key, spec in sorted(raw.items()):
        try:
            net = ipaddress.ip_network(spec["subnet"])
        except (KeyError, ValueError) as exc:
            problems.append(f"lab_networks.{key}.subnet: expected a CIDR like 10.213.10.0/24 ({exc})")
            continue
        problems += [
            f"lab_networks.{key} ({net}) overlaps lab_networks.{other_key} ({other})"
            for other_key, other in parsed.items()
            if net.overlaps(other)
        ]
        parsed[key] = net
    if not parsed:
        problems.append("lab_networks: expected at least one network")
    return parsed


def _parse_host(name: str, hv: dict, nets: dict, seen: dict[str, str], problems: list[str]) -> Host:
    addresses = hv.get("lab_addresses") or {}
    if not addresses:
        problems.append(f"{name}: lab_addresses is empty; expected e.g. {{vms: 10.213.10.11, wan: ...}}")
    pairs: list[tuple[str, str]] = []
    for key, addr in addresses.items():
        if key not in nets:
            problems.append(f"{name}: lab_addresses.{key} names no network in lab_networks")
            continue
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            problems.append(f"{name}: lab_addresses.{key}={addr!r} is not an IP address")
            continue
        net = nets[key]
        if ip not in net or ip in (net.network_address, net.broadcast_address):
            problems.append(f"{name}: lab_addresses.{key}={addr} is not a host address of {net}")
        elif ip == next(net.hosts()):
            problems.append(f"{name}: lab_addresses.{key}={addr} is the bridge gateway of {net}")
        if str(ip) in seen:
            problems.append(f"{name}: lab_addresses.{key}={addr} is also used by {seen[str(ip)]}")
        seen[str(ip)] = name
        pairs.append((key, str(ip)))
    if addresses and hv.get("ansible_host") not in dict(pairs).values():
        problems.append(f"{name}: ansible_host {hv.get('ansible_host')} is none of its lab_addresses")
    return Host(
        name=name,
        container=hv.get("lab_container", f"fm-lab-{name}"),
        addresses=tuple(pairs),
        ssh_address=str(hv.get("ansible_host") or (pairs[0][1] if pairs else "")),
    )


def run_args(plan: Plan, host: Host, image: str) -> list[str]:
    """The ``docker run`` arguments for one lab host (started on its first network)."""
    key, addr = host.addresses[0]
    return [
        "docker",
        "run",
        "--detach",
        "--name",
        host.container,
        "--hostname",
        host.name,
        "--label",
        f"{LABEL}={plan.lab_name}",
        *SYSTEMD_RUN_FLAGS,
        "--network",
        plan.networks[key].name,
        "--ip",
        addr,
        "--network-alias",
        host.name,
        image,
        "/lib/systemd/systemd",
    ]


def _docker(*args: str, check: bool = True, capture: bool = True, stdin: str | None = None):
    proc = subprocess.run(["docker", *args], text=True, capture_output=capture, input=stdin, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"docker {' '.join(args[:3])} failed: {(proc.stderr or '').strip()}")
    return proc


def _say(msg: str) -> None:
    print(f"[lab] {msg}", flush=True)


def state_dir(inventory: Path) -> Path:
    """Where a lab keeps its SSH key and known_hosts: .lab/ beside inventories/ (see group_vars)."""
    return inventory.resolve().parent.parent / ".lab"


def _run_or_fail(argv: list[str], failure: str) -> subprocess.CompletedProcess:
    """Run a command from the repository root, output captured; LabError with its stderr when it fails."""
    proc = subprocess.run(argv, cwd=ROOT, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise LabError(f"{failure}:\n{proc.stderr}")
    return proc


def load_plan(inventory: Path, *extra: Path) -> Plan:
    """The plan of an inventory, with any ``extra`` sources beside it (bench/dev_host_curve.sh's hosts)."""
    exe = Path(sys.executable).parent / "ansible-inventory"
    sources = [arg for src in (inventory, *extra) for arg in ("-i", str(src))]
    names = " ".join(map(str, (inventory, *extra)))
    proc = _run_or_fail([str(exe), *sources, "--list"], f"ansible-inventory failed on {names}")
    return plan_from_inventory(json.loads(proc.stdout))


def ensure_image(image: str) -> None:
    env = dict(os.environ, FORGE_IMAGE=image)
    if subprocess.run([str(ROOT / "scripts" / "build-image.sh")], env=env, check=False).returncode != 0:
        raise LabError("building the base image failed (see the output above)")


def ensure_networks(plan: Plan) -> None:
    for net in plan.networks.values():
        found = _docker(
            "network",
            "inspect",
            net.name,
            "--format",
            f'{{{{ index .Labels "{LABEL}" }}}} {{{{ range .IPAM.Config }}}}{{{{ .Subnet }}}}{{{{ end }}}}',
            check=False,
        )
        if found.returncode == 0:
            label, _, subnet = found.stdout.strip().partition(" ")
            if label != plan.lab_name or subnet != net.subnet:
                raise LabError(
                    f"a network named {net.name} exists but is not this lab's "
                    f"(label {label!r}, subnet {subnet}); remove it or rename lab_networks.{net.key}"
                )
            continue
        _say(f"network {net.name} {net.subnet}")
        _docker(
            "network",
            "create",
            "--driver",
            "bridge",
            "--subnet",
            net.subnet,
            "--label",
            f"{LABEL}={plan.lab_name}",
            net.name,
        )


def ensure_ssh_key(state: Path) -> Path:
    key = state / "ssh" / "id_ed25519"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(key.parent, 0o700)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "forge-lab", "-f", str(key)], check=True)
    return key


def ensure_host(plan: Plan, host: Host, image: str, pubkey: str, boot_timeout: float = 90) -> None:
    state = _docker("inspect", host.container, "--format", "{{ .State.Running }}", check=False)
    if state.returncode != 0:
        _say(f"host {host.name} ({', '.join(a for _, a in host.addresses)})")
        _docker(*run_args(plan, host, image)[1:])
        for key, addr in host.addresses[1:]:
            _docker("network", "connect", "--ip", addr, "--alias", host.name, plan.networks[key].name, host.container)
    elif state.stdout.strip() != "true":
        _docker("start", host.container)
    deadline = time.monotonic() + boot_timeout
    while True:
        st = _docker("exec", host.container, "systemctl", "is-system-running", check=False).stdout.strip()
        if st in ("running", "degraded"):
            break
        if time.monotonic() > deadline:
            raise LabError(f"{host.name}: systemd did not finish booting (state {st!r})")
        time.sleep(1)
    _docker(
        "exec",
        "-i",
        host.container,
        "sh",
        "-c",
        "install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys",
        stdin=pubkey,
    )
    _docker("exec", host.container, "systemctl", "enable", "--now", "ssh.service")


def write_known_hosts(plan: Plan, state: Path) -> None:
    """Pin each host's SSH key, read from inside the container (no trust on first use)."""
    lines = []
    for host in plan.hosts:
        deadline = time.monotonic() + 30
        while True:
            got = _docker("exec", host.container, "cat", "/etc/ssh/ssh_host_ed25519_key.pub", check=False)
            if got.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise LabError(f"{host.name}: sshd made no host key")
            time.sleep(0.5)
        keytype, blob = got.stdout.split()[:2]
        names = ",".join([host.name, *(a for _, a in host.addresses)])
        lines.append(f"{names} {keytype} {blob}")
    (state / "ssh" / "known_hosts").write_text("\n".join(lines) + "\n")


FIXTURE_CACHE = ROOT / ".cache" / "fixtures" / "artifacts"
FIXTURE_BUILD = ROOT / "molecule" / "fixtures" / "build.py"


OTELCOL_BUILD = ROOT / "scripts" / "build-otelcol-debian.sh"


def build_fixtures() -> None:
    """Build the fixture artifacts the lab inventory uses in place of upstream releases that cannot be
    downloaded here (molecule/fixtures/*/build_fixture.py, and the SigNoz and collector releases of
    molecule/fixtures/build.py), into the lab's offline artifact cache."""
    for script in sorted((ROOT / "molecule" / "fixtures").glob("*-fixture/build_fixture.py")):
        failure = f"building the fixture {script.parent.name} failed"
        _run_or_fail([sys.executable, str(script), str(FIXTURE_CACHE)], failure)
        _say(f"fixture built: {script.parent.name} (LAB ONLY, not the upstream artifact)")
    if FIXTURE_BUILD.exists():
        _run_or_fail(
            [sys.executable, str(FIXTURE_BUILD), "--cache", str(FIXTURE_CACHE)],
            "building the SigNoz fixture releases failed",
        )
        _say("fixture built: SigNoz and signoz-otel-collector releases (LAB ONLY, not the upstream artifacts)")
    if OTELCOL_BUILD.exists():
        # the agents' collector: the real core collector from Debian's Go sources (cached; cold about 6 min)
        _run_or_fail([str(OTELCOL_BUILD)], "building otelcol-debian (scripts/build-otelcol-debian.sh) failed")
        _say("substitute built: otelcol-debian, the core collector from Debian sources (not otelcol-contrib)")


def up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    plan = load_plan(args.inventory)
    ensure_image(args.image)
    ensure_networks(plan)
    state = state_dir(args.inventory)
    pubkey = ensure_ssh_key(state).with_suffix(".pub").read_text()
    for host in plan.hosts:
        ensure_host(plan, host, args.image, pubkey)
    write_known_hosts(plan, state)
    # the readiness wait: every host answers over SSH with the key just pinned (paramiko, forge_monitoring/reach.py)
    problems = reach.reach(
        [reach.Target(h.name, h.ssh_address) for h in plan.hosts],
        state / "ssh" / "known_hosts",
        state / "ssh" / "id_ed25519",
    )
    if problems:
        raise LabError("; ".join(problems))
    _say(f"{len(plan.hosts)} hosts up in {time.monotonic() - started:.0f}s: " + ", ".join(h.name for h in plan.hosts))
    if args.no_deploy:
        return 0
    build_fixtures()
    report = state / "verify-report.txt"
    report.unlink(missing_ok=True)
    _say(f"running: ansible-playbook -i {args.inventory} site.yml " + " ".join(args.ansible_args))
    run = playrun.run_playbook(
        "site.yml",
        args.inventory,
        ["-e", f"forge_verify_report={report}", *args.ansible_args],
        runs=state / "runs",
    )
    if run.rc != 0:
        log = (run.run_dir / "ansible.log").read_text().splitlines() if (run.run_dir / "ansible.log").exists() else []
        print("\n".join(["", f"[lab] the last lines of {run.run_dir / 'ansible.log'}:", *log[-40:]]), flush=True)
    if report.exists():
        print("\n" + report.read_text(), end="", flush=True)
    t = run.totals
    _say(
        f"done in {time.monotonic() - started:.0f}s (rc={run.rc}, changed {t['changed']}, failed {t['failed']}, "
        f"unreachable {t['unreachable']}, tasks {t['ok'] + t['skipped']})"
    )
    _say(f"run: {run.run_dir} (ansible.log: full output, events.jsonl: the event stream, summary.json)")
    return run.rc


def down(args: argparse.Namespace) -> int:
    lab_name = load_plan(args.inventory).lab_name
    label = f"label={LABEL}={lab_name}"
    containers = _docker("container", "ls", "--all", "--quiet", "--filter", label, check=False).stdout.split()
    if containers:
        _docker("rm", "--force", "--volumes", *containers)
    networks = _docker("network", "ls", "--filter", label, "--format", "{{ .Name }}", check=False).stdout.split()
    if networks:
        _docker("network", "rm", *networks)
    if state_dir(args.inventory).exists():
        shutil.rmtree(state_dir(args.inventory))
    _say(f"removed {len(containers)} containers and {len(networks)} networks; kept the base image {args.image}")
    return 0


def status(args: argparse.Namespace) -> int:
    plan = load_plan(args.inventory)
    for host in plan.hosts:
        st = _docker("inspect", host.container, "--format", "{{ .State.Status }}", check=False)
        state = st.stdout.strip() if st.returncode == 0 else "absent"
        print(
            f"{host.name:8} {host.container:16} {state:10} "
            + " ".join(f"{plan.networks[k].name}={a}" for k, a in host.addresses)
        )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lab_command", required=True)
    p_up = sub.add_parser("up", help="create the lab and run site.yml against it")
    p_up.add_argument("--no-deploy", action="store_true", help="only create the hosts")
    p_up.add_argument("ansible_args", nargs=argparse.REMAINDER, help="extra arguments for ansible-playbook, after --")
    p_up.set_defaults(func=_guard(up))
    p_down = sub.add_parser("down", help="remove every container and network the lab created")
    p_down.set_defaults(func=_guard(down))
    p_status = sub.add_parser("status", help="show the lab hosts")
    p_status.set_defaults(func=_guard(status))
    parser.add_argument("--image", default=os.environ.get("FORGE_IMAGE", DEFAULT_IMAGE))
    parser.add_argument(
        "--inventory", type=Path, default=LAB_INVENTORY, help="the lab inventory (default: %(default)s)"
    )


def _guard(func):
    def wrapper(args: argparse.Namespace) -> int:
        if getattr(args, "ansible_args", None) and args.ansible_args[0] == "--":
            args.ansible_args = args.ansible_args[1:]
        try:
            return func(args)
        except LabError as exc:
            print(f"[lab] ERROR: {exc}", file=sys.stderr)
            return 2

    return wrapper
