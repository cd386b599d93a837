"""Every systemd unit of the roles under the one sandbox (filter forge_systemd_hardening, forge_monitoring/systemd.py):
each roles/*/templates/*.service.j2, rendered through the real ansible-playbook with the roles' defaults, is scored by
`systemd-analyze security --offline` and must stay at or under 2.5 (docs/security.md, "Unit sandboxing"). A new unit
template is picked up by the glob; a unit written any other way is refused by the coverage check below."""

import json
import re
import shutil
import subprocess
import sys

import pytest
from runner import ROOT, run_ansible

PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "units_render.yml"
TEMPLATES = sorted(ROOT.glob("roles/*/templates/*.service.j2"))
MAX_EXPOSURE = 2.5
SCORE = re.compile(r"Overall exposure level for (\S+): ([0-9]+\.[0-9]+)")
# sandboxing directives only the filter may write: a unit template holding one has a copy of its own again
OWN_SANDBOX = re.compile(
    r"^\s*(NoNewPrivileges|CapabilityBoundingSet|AmbientCapabilities|Protect\w+|Private\w+|Restrict\w+|ReadWritePaths"
    r"|ReadOnlyPaths|SystemCall\w+|MemoryDenyWriteExecute|LockPersonality|RemoveIPC|UMask|DevicePolicy|ProcSubset)=",
    re.M,
)
# what each unit's program needs, as rendered from the roles' defaults (the rest is the filter's baseline)
NEEDS = {
    "signoz.service": {"ReadWritePaths": "/var/lib/signoz", "CapabilityBoundingSet": ""},
    "signoz-migrate.service": {"ReadWritePaths": None, "CapabilityBoundingSet": ""},
    "signoz-ingest.service": {"ReadWritePaths": "/var/lib/signoz-ingest", "CapabilityBoundingSet": ""},
    "oauth2-proxy.service": {"ReadWritePaths": None, "UMask": "0077"},
    "forge-textfile.service": {
        "ReadWritePaths": "/var/lib/prometheus/node-exporter",
        "CapabilityBoundingSet": "CAP_DAC_READ_SEARCH",
        "PrivateDevices": "no",
    },
    "otel-agent.service": {"ReadWritePaths": "/var/lib/otel-agent", "CapabilityBoundingSet": ""},
    "forge-db-exporter.service": {"ReadWritePaths": None, "CapabilityBoundingSet": ""},
    "forge-firewall.service": {
        "ReadWritePaths": None,
        "CapabilityBoundingSet": "CAP_NET_ADMIN",
        "RestrictAddressFamilies": "AF_UNIX AF_NETLINK",
        "PrivateTmp": "no",
    },
    "forge-firewall-metrics.service": {
        "ReadWritePaths": "/var/lib/prometheus/node-exporter",
        "CapabilityBoundingSet": "CAP_NET_ADMIN",
        "RestrictAddressFamilies": "AF_UNIX AF_NETLINK",
    },
    "forge-wireguard-metrics.service": {
        "ReadWritePaths": "/var/lib/prometheus/node-exporter",
        "CapabilityBoundingSet": "CAP_NET_ADMIN",
        "RestrictAddressFamilies": "AF_UNIX AF_NETLINK",
    },
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{unit name: rendered path}: every unit template, as the roles write it."""
    out = tmp_path_factory.mktemp("units")
    units = [{"role": t.parent.parent.name, "name": t.name.removesuffix(".j2")} for t in TEMPLATES]
    variables = {
        "ansible_python_interpreter": sys.executable,
        "forge_test_units_out": str(out),
        "forge_test_units": units,
    }
    rc, output = run_ansible("ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(variables))
    assert rc == 0, output
    return {u["name"]: out / u["name"] for u in units}


def _settings(path):
    """{key: value} of the [Service] section (the last value of a key)."""
    section, out = None, {}
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def exposure(path):
    """(score, output) of `systemd-analyze security --offline` for a rendered unit file."""
    proc = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", f"--threshold={int(MAX_EXPOSURE * 10)}", "--no-pager",
         str(path)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    found = SCORE.search(proc.stdout)
    assert found, f"{path.name}: no score from systemd-analyze (rc {proc.returncode}): {proc.stdout}{proc.stderr}"
    score = float(found.group(2))
    # --threshold makes systemd-analyze itself fail above the limit: both must agree
    assert (proc.returncode != 0) == (score > MAX_EXPOSURE), (proc.returncode, proc.stdout, proc.stderr)
    return score, proc.stdout + proc.stderr


def test_every_unit_template_uses_the_shared_sandbox():
    """No unit keeps (or grows back) a copy of the block: the filter is its only source."""
    problems = {}
    for template in TEMPLATES:
        text = template.read_text()
        if "| forge_systemd_hardening" not in text:
            problems[str(template.relative_to(ROOT))] = "does not call forge_systemd_hardening"
        elif own := OWN_SANDBOX.findall(text):
            problems[str(template.relative_to(ROOT))] = f"sets {own} itself"
    assert problems == {}
    assert {t.name.removesuffix(".j2") for t in TEMPLATES} == set(NEEDS), "a new unit: add what it needs to NEEDS"


def test_no_unit_is_written_outside_the_service_templates():
    """A unit with an ExecStart= anywhere else in the roles (copy content:, another template name) would skip the
    score; the vendor units' drop-ins (clickhouse, node_exporter, chrony) set limits and ordering only."""
    elsewhere = [
        str(path.relative_to(ROOT))
        for path in sorted(ROOT.glob("roles/**/*"))
        if path.is_file() and not path.name.endswith(".service.j2") and path.suffix in {".yml", ".yaml", ".j2"}
        and re.search(r"^\s*ExecStart\w*=", path.read_text(), re.M)
    ]  # fmt: skip
    assert elsewhere == []


def test_each_unit_keeps_what_its_program_needs(rendered):
    wrong = {}
    for name, needs in NEEDS.items():
        got = _settings(rendered[name])
        diff = {key: got.get(key) for key, value in needs.items() if got.get(key) != value}
        if diff:
            wrong[name] = diff
    assert wrong == {}, f"expected {NEEDS}"


def test_every_unit_scores_at_most_2_5(rendered):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    scores = {name: exposure(path) for name, path in sorted(rendered.items())}
    table = ", ".join(f"{name} {score}" for name, (score, _) in scores.items())
    print(f"systemd-analyze security --offline: {table}")
    over = {name: out for name, (score, out) in scores.items() if score > MAX_EXPOSURE}
    assert not over, f"exposure above {MAX_EXPOSURE}: {table}\n" + "\n".join(over.values())
