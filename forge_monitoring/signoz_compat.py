"""Compatibility of a SigNoz version set: upgrade stops and minimum versions (versions.yml compatibility).

Pure functions; roles/signoz preflight calls ``signoz_compat_problems`` and refuses the run when it returns
anything. Versions are ``X.Y.Z`` with an optional ``v`` prefix and an optional suffix (``0.129.0-fixture``):
only X.Y.Z is compared.
"""

from __future__ import annotations

import re
import unicodedata

from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import hostvar

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+.][0-9A-Za-z.+-]*)?$")
COMPONENTS = ("signoz", "collector", "clickhouse")
RULES = {
    "signoz_min_clickhouse": ("signoz", "clickhouse"),
    "collector_min_clickhouse": ("collector", "clickhouse"),
    "signoz_min_collector": ("signoz", "collector"),
}


def signoz_version_tuple(version, what="version"):
    """(X, Y, Z) of a version string; FilterError naming ``what`` when it is not one."""
    m = _VERSION.match(str(version)) if isinstance(version, str | int | float) else None
    if not m or isinstance(version, bool):
        raise FilterError(f"signoz_compat: {what} is {version!r}; expected X.Y.Z (optionally v-prefixed)")
    # ClickHouse uses four parts (25.5.6.14): the first three decide
    return tuple(int(x) for x in m.groups())


def _ch(version, what):
    parts = str(version).split(".")
    return signoz_version_tuple(".".join(parts[:3]) if len(parts) > 3 else str(version), what)


def signoz_compat_problems(versions, compatibility, installed="", skip=()):
    """Every reason the version set cannot run, as sentences naming the versions ([] = compatible).

    versions: {signoz, collector, clickhouse} target versions; compatibility: forge_versions.compatibility;
    installed: the SigNoz version running now ('' = fresh install), checked against the upgrade stops;
    skip: components whose minimum versions are not checked (lab substitutes, e.g. ['clickhouse']).
    """
    if not isinstance(versions, dict) or not isinstance(compatibility, dict):
        raise FilterError("signoz_compat: versions and compatibility must be dicts")
    missing = [c for c in COMPONENTS if c not in versions]
    if missing:
        raise FilterError(f"signoz_compat: versions lacks {', '.join(missing)}; expected {', '.join(COMPONENTS)}")
    unknown = set(compatibility) - {*RULES, "signoz_upgrade_stops"}
    if unknown:
        raise FilterError(f"signoz_compat: unknown compatibility keys {', '.join(sorted(unknown))}")
    if not isinstance(skip, list | tuple) or set(skip) - set(COMPONENTS):
        raise FilterError(f"signoz_compat: skip must be a list of {', '.join(COMPONENTS)}, got {skip!r}")
    parsed = {
        c: (
            _ch(versions[c], f"versions.{c}")
            if c == "clickhouse"
            else signoz_version_tuple(versions[c], f"versions.{c}")
        )
        for c in COMPONENTS
    }
    problems = _minimum_problems(versions, parsed, compatibility, skip)
    if installed:
        problems += _upgrade_problems(versions["signoz"], parsed["signoz"], installed, compatibility)
    return problems


def _minimum_problems(versions, parsed, compatibility, skip):
    problems = []
    for rule, (subject, needs) in RULES.items():
        if needs in skip:
            continue
        entries = compatibility.get(rule) or []
        if not isinstance(entries, list):
            raise FilterError(f"signoz_compat: compatibility.{rule} must be a list of {{from, {needs}}}")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "from" not in entry or needs not in entry:
                raise FilterError(f"signoz_compat: compatibility.{rule}[{i}] must be {{from, {needs}}}")
            since = signoz_version_tuple(entry["from"], f"compatibility.{rule}[{i}].from")
            minimum = _ch(entry[needs], f"compatibility.{rule}[{i}].{needs}")
            if parsed[subject] >= since and parsed[needs] < minimum:
                problems.append(
                    f"{subject} {versions[subject]} needs {needs} >= {entry[needs]} "
                    f"(from {subject} {entry['from']} on); the manifest has {needs} {versions[needs]}"
                )
    return problems


def _upgrade_problems(target, new, installed, compatibility):
    problems = []
    old = signoz_version_tuple(installed, "installed")
    stops = compatibility.get("signoz_upgrade_stops") or []
    if not isinstance(stops, list):
        raise FilterError("signoz_compat: compatibility.signoz_upgrade_stops must be a list of versions")
    if new < old:
        problems.append(
            f"signoz {target} is older than the installed {installed}: migrations do not go back; "
            "use the rollback entry point (previous version) instead"
        )
    skipped = [s for s in stops if old < signoz_version_tuple(s, "compatibility.signoz_upgrade_stops[]") < new]
    if skipped:
        problems.append(
            f"signoz {installed} -> {target} jumps over the required upgrade stop(s) "
            f"{', '.join(skipped)}: upgrade to {skipped[0]} first"
        )
    return problems


_PINNED = ("signoz", "signoz-otel-collector")


def _pinned_clickhouse(forge_versions):
    """The one ClickHouse pin of versions.yml: the clickhouse-server package (four parts; three are compared)."""
    apt = forge_versions.get("apt")
    return apt.get("clickhouse-server") if isinstance(apt, dict) else None


def _clickhouse_version(hostvars, groups, host, forge_versions):
    """The package pin clickhouse_version of the ClickHouse host SigNoz on host uses (itself when it runs ClickHouse,
    else the clickhouse group's first host; roles/signoz vars/main.yml picks the same), else versions.yml's pin."""
    pinned = _pinned_clickhouse(forge_versions)
    members = list((groups or {}).get("clickhouse") or [])
    source = host if host in members else (members[0] if members else None)
    if source is None:
        return pinned
    try:
        hv = hostvars[source]
    except (KeyError, TypeError):
        return pinned
    return hostvar(hv, "clickhouse_version", None) or pinned


def signoz_compat_inventory_problems(hostvars, groups, forge_versions):
    """The pinned version set (versions.yml) checked for every SigNoz host, on the controller (preflight.yml).

    Per host: the pinned signoz and signoz-otel-collector versions, the ClickHouse version of its store
    (the package pin clickhouse_version of the ClickHouse host, else forge_versions.apt['clickhouse-server'];
    compared by its major.minor.patch), and the ClickHouse minimums skipped when forge_substitutes lists
    clickhouse in the lab (forge_env: lab; never elsewhere). Upgrade paths need the running version: roles/signoz
    preflight checks them on the host. Returns sentences prefixed with the host name ([] = compatible).
    """
    if not isinstance(forge_versions, dict) or not isinstance(forge_versions.get("artifacts"), dict):
        raise FilterError("signoz_compat_inventory_problems: forge_versions must be versions.yml's dict")
    artifacts = forge_versions["artifacts"]
    if any(not isinstance(artifacts.get(n), dict) or "version" not in artifacts[n] for n in _PINNED):
        # nothing pinned to compare (roles/signoz preflight refuses a manifest without them on its hosts)
        return []
    problems = []
    for host in (groups or {}).get("signoz") or []:
        hv = hostvars[host]
        subs = hostvar(hv, "forge_substitutes", {})
        versions = {
            "signoz": artifacts["signoz"]["version"],
            "collector": artifacts["signoz-otel-collector"]["version"],
            "clickhouse": _clickhouse_version(hostvars, groups, host, forge_versions),
        }
        if versions["clickhouse"] in (None, ""):
            problems.append(
                f"{host}: no ClickHouse version (forge_versions.apt['clickhouse-server'] or clickhouse_version)"
            )
            continue
        # the lab's substitute skips the ClickHouse minimums; outside the lab nothing does (forge_env: lab only)
        lab = hostvar(hv, "forge_env", None) == "lab"
        skip = ["clickhouse"] if lab and isinstance(subs, dict) and "clickhouse" in subs else []
        found = signoz_compat_problems(versions, forge_versions.get("compatibility") or {}, skip=skip)
        problems += [f"{host}: {p}" for p in found]
    return problems


# ---- The SigNoz API the role calls, per version (tests/contracts/signoz-<version>.yml) ---------------------------
# POST /api/v2/users (invite with userRoles) came in v0.130.0; before it, POST /api/v1/invite with a role name.
INVITE_V2_FROM = (0, 130, 0)
TTL_SIGNALS = ("traces", "metrics", "logs")
# upstream types.IsPasswordValid (pkg/types/factor_password.go:18-19,162-199 at v0.129.0 and v0.138.0)
PASSWORD_SYMBOLS = frozenset('~!@#$%^&*()_+`-={}|[]\\:"<>?,./')
PASSWORD_MIN_BYTES = 12


def signoz_invite_api(version):
    """'v1_invite' (POST /api/v1/invite) below SigNoz 0.130.0, else 'v2_users' (POST /api/v2/users)."""
    return "v2_users" if signoz_version_tuple(version, "signoz version") >= INVITE_V2_FROM else "v1_invite"


def signoz_password_problems(password):
    """What upstream's password policy (types.IsPasswordValid) finds wrong with ``password`` ([] = valid).

    Go's rules exactly: length in bytes >= 12; at least one upper-case letter (Unicode Lu), one lower-case (Ll),
    one number (N*) and one symbol of PASSWORD_SYMBOLS; no other character. The password itself is never named.
    """
    if not isinstance(password, str):
        return ["it is not a string"]
    cats = [unicodedata.category(c) for c in password]
    problems = []
    if len(password.encode()) < PASSWORD_MIN_BYTES:
        problems.append(f"it is shorter than {PASSWORD_MIN_BYTES} bytes")
    for want, test in (
        ("an upper-case letter", lambda c, cat: cat == "Lu"),
        ("a lower-case letter", lambda c, cat: cat == "Ll"),
        ("a number", lambda c, cat: cat.startswith("N")),
        ("a symbol of " + "".join(sorted(PASSWORD_SYMBOLS)), lambda c, cat: c in PASSWORD_SYMBOLS),
    ):
        if not any(test(c, cat) for c, cat in zip(password, cats, strict=True)):
            problems.append(f"it lacks {want}")
    bad = sum(
        1
        for c, cat in zip(password, cats, strict=True)
        if not (cat.startswith("L") or cat.startswith("N") or c in PASSWORD_SYMBOLS)
    )
    if bad:
        problems.append(f"it has {bad} character(s) that are neither letters, numbers nor upstream's symbols")
    return problems


def signoz_ttl_requests(plan, cold_volume="cold"):
    """The POST /api/v1/settings/ttl query per signal from a forge_retention plan ({} = none).

    [{type, duration, coldStorage?, toColdDuration?, hours, move_hours}] in TTL_SIGNALS order; durations are
    Go durations in hours, as the plan's ttl_duration / move_to_cold_duration are.
    """
    if not plan:
        return []
    if not isinstance(plan, dict) or not isinstance(plan.get("signals"), dict):
        raise FilterError("signoz_ttl_requests: plan must be a forge_retention plan with signals")
    out = []
    for sig in TTL_SIGNALS:
        s = plan["signals"].get(sig)
        if not isinstance(s, dict) or not s.get("ttl_days"):
            raise FilterError(f"signoz_ttl_requests: the plan has no ttl_days for {sig}")
        req = {
            "type": sig,
            "duration": f"{int(s['ttl_days']) * 24}h",
            "hours": int(s["ttl_days"]) * 24,
            "move_hours": 0,
        }
        move = s.get("move_to_cold_days")
        if move:
            if not cold_volume:
                raise FilterError("signoz_ttl_requests: the plan moves data to cold but no cold volume is named")
            req.update(coldStorage=cold_volume, toColdDuration=f"{int(move) * 24}h", move_hours=int(move) * 24)
        out.append(req)
    return out


def signoz_ttl_todo(results):
    """From the GET /api/v1/settings/ttl results (registered loop over signoz_ttl_requests): the requests to POST.

    A signal whose TTL change is still running (status pending) is left alone (upstream answers 409 "TTL is
    already running"); one whose current hours (<type>_ttl_duration_hrs, <type>_move_ttl_duration_hrs, 0 when
    absent) equal the request is left alone too (idempotent).
    """
    todo = []
    for r in results or []:
        req, cur = r["item"], r.get("json") or {}
        if cur.get("status") == "pending":
            continue
        have = (
            int(cur.get(f"{req['type']}_ttl_duration_hrs") or 0),
            int(cur.get(f"{req['type']}_move_ttl_duration_hrs") or 0),
        )
        if have != (req["hours"], req["move_hours"]):
            todo.append(req)
    return todo
