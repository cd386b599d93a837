"""Retention: ordered classes (compliance kept at least as long as trading), logs in the compliance class when
there is one (the compliance record), and a cold volume configured wherever the plan counts on one
(forge_host_resources.cold_disk_gb and clickhouse_cold_disk_path say the same volume: both or neither)."""

from __future__ import annotations

from forge_monitoring import retention
from forge_monitoring.hostvars import UNSET

# classes from the shortest-kept to the longest-kept: a later class never keeps data for less time
ORDER = ("trading", "compliance")
COMPLIANCE_SIGNAL = "logs"


def _policy(inv, host):
    policy = inv.var(host, "forge_retention_policy", None)
    if policy is UNSET or not isinstance(policy, dict | type(None)):
        return None
    policy = policy or {}
    classes = dict(retention.DEFAULT_CLASSES)
    given = policy.get("classes") or {}
    signals = dict(retention.DEFAULT_SIGNAL_CLASS)
    given_signals = policy.get("signals") or {}
    if not isinstance(given, dict) or not isinstance(given_signals, dict):
        return None  # the schema reports the shape
    classes.update(given)
    signals.update(given_signals)
    return classes, signals


def problems(inv):
    out = []
    for host in inv.hosts("clickhouse", "signoz"):
        found = _policy(inv, host)
        if found is None:
            continue
        classes, signals = found
        for earlier, later in zip(ORDER, ORDER[1:], strict=False):
            a, b = classes.get(earlier), classes.get(later)
            if isinstance(a, int) and isinstance(b, int) and b < a:
                out.append(
                    f"{host}: forge_retention_policy.classes.{later} is {b} days, shorter than {earlier} ({a} days); "
                    f"expected {later} >= {earlier}"
                )
        cls = signals.get(COMPLIANCE_SIGNAL)
        if "compliance" in classes and cls != "compliance":
            out.append(
                f"{host}: forge_retention_policy.signals.{COMPLIANCE_SIGNAL} is {cls!r}; expected compliance "
                f"(logs are the compliance record, kept {classes['compliance']} days)"
            )
    for host in inv.hosts("clickhouse"):
        res = inv.var(host, "forge_host_resources", None)
        cold_gb = res.get("cold_disk_gb", 0) if isinstance(res, dict) else 0
        path = inv.var(host, "clickhouse_cold_disk_path", "")
        if path is UNSET or not isinstance(cold_gb, int | float) or isinstance(cold_gb, bool):
            continue
        if cold_gb > 0 and not path:
            out.append(
                f"{host}: forge_host_resources.cold_disk_gb is {cold_gb:g} but clickhouse_cold_disk_path is empty; "
                "expected the cold volume's mount point (an absolute path) where the plan counts on one"
            )
        if path and not cold_gb:
            out.append(
                f"{host}: clickhouse_cold_disk_path is {path!r} but forge_host_resources.cold_disk_gb is "
                f"{cold_gb!r}; expected the cold volume's size in GB (> 0), or no clickhouse_cold_disk_path"
            )
    return out
