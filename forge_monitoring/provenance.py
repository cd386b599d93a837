"""What is upstream and what is not: production refuses fixtures and substitutes, verify detects them.

Two halves, both pure Python (filter_plugins/provenance.py wraps them for the playbooks):

* ``production_problems`` (controller, playbooks/preflight.yml, before any host is touched): in an inventory
  that does not declare itself the lab (``forge_env: lab``), every fixture or substitute the inventory asks
  for, declared or not: fixture artifact versions, URLs and sha256 values, a ClickHouse package pin below the
  pinned SigNoz's minimum, ``signoz_compat_skip``, userspace WireGuard, a fixture cache.
  ``cache_problems`` does the same for the files already in the controller's artifact cache.
* ``detect_*`` and ``verify_source`` (verify, on what the host really runs): the source column of the verify
  table is what these detect, not the inventory's ``forge_substitutes`` label; the label is a declaration
  that must match.

A host is the lab only when it says ``forge_env: lab``; anything else (production, a typo, nothing) is held
to production's rules.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import hostvar

ROOT = Path(__file__).resolve().parent.parent
LAB = "lab"
SOURCES = ("upstream", "substitute", "fixture")
_SHA = re.compile(r"\b[0-9a-f]{64}\b")
_XYZ = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
# test-only sources of fixture pins: their lines that name a fixture carry the fixture builds' sha256
FIXTURE_PIN_SOURCES = ("molecule", "inventories/lab", ".config/molecule")
FIXTURE_CACHE = ".cache/fixtures"
_FIXTURE_PATH = re.compile(r"(^|/)(molecule/|\.cache/fixtures(/|$))|fixture", re.IGNORECASE)
_FIXTURE_CACHE_DIR = re.compile(r"(^|/)(molecule|\.cache/fixtures)(/|$)")


def is_lab(hv) -> bool:
    return hostvar(hv, "forge_env") == LAB


def version_tuple(version):
    """(X, Y, Z) of a version or Debian package version ('18.16.1+ds-7.3+b2', '25.12.5.44'); None if none."""
    m = _XYZ.match(str(version).strip()) if version not in (None, "") else None
    return tuple(int(x) for x in m.groups()) if m else None


def clickhouse_minimum(forge_versions, signoz=None, collector=None):
    """The lowest ClickHouse the pinned SigNoz and collector accept (versions.yml compatibility), as a string."""
    artifacts = forge_versions.get("artifacts") or {}
    pinned = {
        "signoz": signoz or (artifacts.get("signoz") or {}).get("version"),
        "collector": collector or (artifacts.get("signoz-otel-collector") or {}).get("version"),
    }
    best = None
    compat = forge_versions.get("compatibility") or {}
    for rule, subject in (("signoz_min_clickhouse", "signoz"), ("collector_min_clickhouse", "collector")):
        have = version_tuple(pinned[subject])
        for entry in compat.get(rule) or []:
            since, need = version_tuple(entry.get("from")), version_tuple(entry.get("clickhouse"))
            if have and since and need and have >= since and (best is None or need > version_tuple(best)):
                best = str(entry["clickhouse"])
    return best


def fixture_sha256s(root=ROOT, cache_dirs=()):
    """Every sha256 known to be a fixture build's: the pins on fixture lines of the test inventories (molecule/,
    inventories/lab/) and the files in the fixtures' own cache (.cache/fixtures, and ``cache_dirs``)."""
    root = Path(root)
    shas = set()
    for base in FIXTURE_PIN_SOURCES:
        for path in sorted((root / base).rglob("*.y*ml")) if (root / base).is_dir() else []:
            for line in path.read_text(errors="replace").splitlines():
                if "fixture" in line.lower():
                    shas.update(_SHA.findall(line))
    for cache in (root / FIXTURE_CACHE, *map(Path, cache_dirs)):
        if cache.is_dir():
            for path in sorted(cache.rglob("*")):
                if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".zip", ".tar.xz")):
                    shas.add(hashlib.sha256(path.read_bytes()).hexdigest())
    return sorted(shas)


def fixture_url_reason(url):
    """Why a URL is a fixture's ('' when it is not)."""
    text = str(url or "")
    parts = urlsplit(text)
    if parts.scheme == "file":
        return "a file:// URL (production downloads the upstream release)"
    if parts.hostname and (parts.hostname.endswith(".invalid") or parts.hostname.endswith(".test")):
        return f"host {parts.hostname} is a test-only name"
    if _FIXTURE_PATH.search(parts.path or text):
        return "it points at a fixture"
    return ""


def production_problems(hostvars, groups, forge_versions, fixture_shas=(), cache_dir=None):
    """Every fixture or substitute a non-lab inventory asks for; sentences naming host, variable, value and
    the expected form ([] for the lab, or for a production inventory of upstream artifacts only)."""
    if not isinstance(groups, dict) or not isinstance(forge_versions, dict):
        raise FilterError("expected hostvars, groups and forge_versions (versions.yml's dict)")
    fixture_shas = set(fixture_shas or ())
    member = {}
    for group, hosts in groups.items():
        for host in hosts or []:
            member.setdefault(host, set()).add(group)
    managed = sorted(set(groups.get("vms_site") or []) | set(groups.get("dev_sites") or []))
    problems = []
    for host in managed:
        hv = hostvars[host]
        if is_lab(hv):
            continue
        problems += _artifact_problems(host, hv, member.get(host, set()), forge_versions, fixture_shas)
        problems += _clickhouse_problems(host, hv, member.get(host, set()), forge_versions)
        problems += _switch_problems(host, hv)
    production = [h for h in managed if not is_lab(hostvars[h])]
    if cache_dir and production and _FIXTURE_CACHE_DIR.search(str(cache_dir)):
        problems.append(
            f"controller: artifact_cache_dir is {str(cache_dir)!r}, the fixtures' cache; expected the product's "
            "own cache in production (default .cache/artifacts, or FORGE_ARTIFACT_CACHE)"
        )
    return problems


def _artifact_problems(host, hv, member, forge_versions, fixture_shas):
    manifest = hostvar(hv, "artifact_manifest")
    var = "artifact_manifest"
    if not isinstance(manifest, dict):
        manifest, var = forge_versions.get("artifacts") or {}, "forge_versions.artifacts"
    problems = []
    for name, entry in sorted(manifest.items()):
        if not isinstance(entry, dict) or not set(entry.get("groups") or []) & member:
            continue
        version = str(entry.get("version", ""))
        if "fixture" in version.lower():
            problems.append(
                f"{host}: {var}.{name}.version is {version!r}, a fixture's version; expected the upstream "
                f"release pinned in versions.yml ({_pinned(forge_versions, name)})"
            )
        for arch, spec in sorted((entry.get("arch") or {}).items()):
            if not isinstance(spec, dict):
                continue
            for key in ("url", "checksum_url"):
                why = fixture_url_reason(spec.get(key)) if spec.get(key) else ""
                if why:
                    problems.append(
                        f"{host}: {var}.{name}.arch.{arch}.{key} is {spec[key]!r} ({why}); expected the "
                        "upstream release URL (https, as in versions.yml)"
                    )
            if str(spec.get("sha256", "")).lower() in fixture_shas:
                problems.append(
                    f"{host}: {var}.{name}.arch.{arch}.sha256 is {spec['sha256']}, the sha256 of a fixture build; "
                    "expected the upstream release's sha256 (its checksum file)"
                )
    return problems


def _pinned(forge_versions, name):
    entry = (forge_versions.get("artifacts") or {}).get(name)
    return f"{name} {entry['version']}" if isinstance(entry, dict) and "version" in entry else f"no pin for {name}"


def _clickhouse_problems(host, hv, member, forge_versions):
    if "clickhouse" not in member:
        return []
    minimum = clickhouse_minimum(forge_versions)
    pin = hostvar(hv, "clickhouse_version")
    var = "clickhouse_version"
    if pin in (None, ""):
        pin, var = (forge_versions.get("apt") or {}).get("clickhouse-server"), "forge_versions.apt.clickhouse-server"
    have = version_tuple(pin)
    if not minimum or pin in (None, ""):
        return []
    if have is None or have < version_tuple(minimum):
        return [
            f"{host}: {var} is {pin!r} (ClickHouse {'.'.join(map(str, have)) if have else '?'}); the pinned "
            f"SigNoz needs ClickHouse >= {minimum}: production installs the upstream release "
            "(forge_versions.apt.clickhouse-server), never a substitute"
        ]
    return []


def _switch_problems(host, hv):
    problems = []
    skip = hostvar(hv, "signoz_compat_skip")
    if skip not in (None, "", [], ()):
        problems.append(
            f"{host}: signoz_compat_skip is {skip!r}; the version minimums are skipped only in the lab "
            "(forge_env: lab): expected no signoz_compat_skip in production"
        )
    agent = hostvar(hv, "otel_agent_artifact")
    if agent not in (None, "", OTEL_AGENT_UPSTREAM):
        problems.append(
            f"{host}: otel_agent_artifact is {agent!r}; another collector build than {OTEL_AGENT_UPSTREAM} is a "
            f"substitute: expected {OTEL_AGENT_UPSTREAM} (versions.yml) in production"
        )
    userspace = hostvar(hv, "wireguard_userspace")
    if userspace is True or str(userspace).lower() in ("true", "yes", "1", "on"):
        problems.append(
            f"{host}: wireguard_userspace is {userspace!r}; userspace WireGuard (wireguard-go) is a substitute "
            "for the kernel's: expected auto or false in production (a kernel without WireGuard is refused on "
            "the host)"
        )
    return problems


def cache_problems(lock, fixture_shas=(), cache_dir=""):
    """Files of the controller's artifact cache that are fixtures, for a production run: entries of its lock
    file ({artifacts: [...]}) with a fixture version, URL or sha256, and files under a fixture's version
    directory (<cache>/<name>/<version>/...)."""
    fixture_shas = set(fixture_shas or ())
    entries = (lock or {}).get("artifacts") if isinstance(lock, dict) else lock
    found = {}
    for entry in entries or []:
        if not isinstance(entry, dict):
            continue
        where = f"{cache_dir}/{entry.get('name')}/{entry.get('version')}/{entry.get('arch')}/{entry.get('file')}"
        why = found.setdefault(where, [])
        if "fixture" in str(entry.get("version", "")).lower():
            why.append(f"version {entry.get('version')!r}")
        if fixture_url_reason(entry.get("url")):
            why.append(f"url {entry.get('url')!r}")
        if str(entry.get("sha256", "")).lower() in fixture_shas:
            why.append(f"sha256 {entry.get('sha256')} of a fixture build")
    base = Path(str(cache_dir)) if cache_dir else None
    if base and base.is_dir():
        for path in sorted(base.glob("*/*/*/*")):
            if path.is_file() and "fixture" in path.parent.parent.name.lower():
                found.setdefault(str(path), []).append(f"version directory {path.parent.parent.name!r}")
    problems = []
    if cache_dir and _FIXTURE_CACHE_DIR.search(str(cache_dir)):
        problems.append(
            f"controller: artifact_cache_dir is {str(cache_dir)!r}, the fixtures' cache; expected the product's "
            "own cache in production (default .cache/artifacts, or FORGE_ARTIFACT_CACHE)"
        )
    return problems + [
        f"controller: artifact cache file {where} is a fixture ({', '.join(why)}); expected only upstream "
        "releases in a production cache: remove it (fixtures build into .cache/fixtures, the lab's own cache)"
        for where, why in found.items()
        if why
    ]


# ---- verify: what the host really runs -------------------------------------------------------------------


def detect_clickhouse(select_version="", package_version="", minimum=None):
    """(source, evidence) of a ClickHouse server from SELECT version() and the installed package's version."""
    seen = [(what, v) for what, v in (("SELECT version()", select_version), ("package", package_version)) if v]
    if not seen:
        return ["substitute", "no version detected (neither SELECT version() nor the package answered)"]
    low = [
        f"{what} {v}"
        for what, v in seen
        if version_tuple(v) is None or (minimum and version_tuple(v) < version_tuple(minimum))
    ]
    if low:
        return ["substitute", f"{', '.join(low)} below the pinned SigNoz's minimum {minimum}"]
    return ["upstream", ", ".join(f"{what} {v}" for what, v in seen)]


def detect_artifact(versions=(), fixture_marker=False):
    """(source, evidence) of an installed release from the version strings it reports (API, install dir) and
    whether its tree carries a fixture's marker file (conf/fixture-version)."""
    found = [str(v) for v in versions if v not in (None, "")]
    marked = [v for v in found if "fixture" in v.lower()]
    if marked or fixture_marker:
        evidence = [f"version {v}" for v in marked] + (["conf/fixture-version present"] if fixture_marker else [])
        return ["fixture", ", ".join(evidence)]
    return ["upstream", ", ".join(f"version {v}" for v in found) or "no fixture marker"]


# the distribution versions.yml pins for the dev-site agent (roles/otel_agent); any other build is a substitute
OTEL_AGENT_UPSTREAM = "otelcol-contrib"


def detect_otel_agent(command="", version=""):
    """(source, evidence) of the agent's collector from the build info its `components` subcommand prints: the
    contrib distribution is upstream; another build (the core collector from Debian's sources) is a substitute."""
    if not command:
        return ["substitute", "no collector build answered `components`"]
    if command == OTEL_AGENT_UPSTREAM:
        return ["upstream", f"{command} {version}".strip()]
    return ["substitute", f"build {command} {version}, not the {OTEL_AGENT_UPSTREAM} distribution".replace("  ", " ")]


def detect_wireguard(wireguard_go_running=False, implementation=""):
    """(source, evidence) of a WireGuard interface: wireguard-go (a process, or `wg show` naming a userspace
    implementation) is a substitute for the kernel's."""
    if (
        wireguard_go_running
        or "wireguard-go" in str(implementation).lower()
        or "userspace" in str(implementation).lower()
    ):
        return ["substitute", "userspace wireguard-go runs the interface (not kernel WireGuard)"]
    return ["upstream", "kernel WireGuard"]


def verify_source(row, declared=None, lab=True):
    """The verify row's source and remarks: detected (row['source']) wins; the declaration (forge_substitutes)
    must match it; outside the lab a detected substitute or fixture fails the row.

    Returns (source, ok, remarks)."""
    detected = row.get("source") or "upstream"
    if detected not in SOURCES:
        raise FilterError(f"row {row.get('component')!r}: source is {detected!r}; expected one of {', '.join(SOURCES)}")
    kind = (declared or {}).get("kind", "upstream") if isinstance(declared, dict) else "upstream"
    if kind not in SOURCES:
        raise FilterError(
            f"forge_substitutes.{row.get('component')}.kind is {kind!r}; expected one of {', '.join(SOURCES)}"
        )
    remarks = []
    ok = row.get("ok")
    if row.get("evidence"):
        remarks.append(f"detected: {row['evidence']}")
    if kind != detected:
        remarks.append(f"MISMATCH: forge_substitutes declares {kind}, verify detects {detected}")
    if not lab and detected != "upstream":
        remarks.append(f"REFUSED: a {detected} outside the lab")
        ok = False
    if declared and isinstance(declared, dict) and declared.get("what"):
        remarks.append(f"{kind.upper()}: {declared['what']}")
    return detected, ok, remarks


def detected_row(row, kind, evidence):
    """The verify row with what verify detected: row | forge_detected_row(source, evidence)."""
    if not isinstance(row, dict):
        raise FilterError(f"forge_detected_row: expected a verify row (dict), got {type(row).__name__}")
    return {**row, "source": kind, "evidence": evidence}
