"""Monitoring as code: the metric registry and the alert and dashboard definitions (playbooks/vars/monitoring.yml).

``forge_metric_problems`` is the preflight check: every metric an alert or a dashboard panel uses must be
declared in the registry. ``parse_condition`` reads the seed's alert condition form; the alert compiler
uses the same parser.
"""

from __future__ import annotations

import re

from forge_monitoring.errors import FilterError

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
METRIC_TYPES = ("gauge", "counter", "histogram", "summary")
SEVERITIES = ("critical", "high", "warning", "info")
CONDITION = re.compile(
    r"^\s*(?P<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?P<op>==|!=|<=|>=|<|>)\s*"
    r"(?P<value>-?\d+(?:\.\d+)?|previous_value)(?:\s+for\s+(?P<for>\d+[smhd]))?\s*$"
)


def parse_condition(condition):
    """'<metric> <op> <number|previous_value> [for <duration>]' -> {metric, op, value, for}; None if malformed."""
    if not isinstance(condition, str):
        return None
    match = CONDITION.match(condition)
    if not match:
        return None
    value = match.group("value")
    return {
        "metric": match.group("metric"),
        "op": match.group("op"),
        "value": value if value == "previous_value" else float(value),
        "for": match.group("for"),
    }


def forge_metric_problems(metrics, alerts, dashboards):
    """Problems of the registry, the alerts and the dashboards; each names the item and the expected form."""
    for name, value in (("metrics", metrics), ("alerts", alerts), ("dashboards", dashboards)):
        if not isinstance(value, list):
            raise FilterError(f"forge_metric_problems: {name} must be a list, got {type(value).__name__}")
    problems, declared = [], set()
    for i, metric in enumerate(metrics):
        name = metric.get("name") if isinstance(metric, dict) else None
        where = f"forge_metrics[{i}]" + (f" ({name})" if name else "")
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            problems.append(f"{where}: name is {name!r}; expected a Prometheus metric name like trades_total")
            continue
        if name in declared:
            problems.append(f"{where}: {name} is declared twice; expected one entry per metric")
        if metric.get("type") not in METRIC_TYPES:
            problems.append(f"{where}: type is {metric.get('type')!r}; expected one of {', '.join(METRIC_TYPES)}")
        declared.add(name)
    for alert in alerts:
        problems += _alert_problems(alert, declared)
    for dash in dashboards:
        problems += _dashboard_problems(dash, declared)
    return problems


def _alert_problems(alert, declared):
    if not isinstance(alert, dict) or not isinstance(alert.get("name"), str):
        return [f"alert {alert!r}: expected {{name, condition, severity, channels}}"]
    where = f"alert {alert['name']!r}"
    problems = []
    parsed = parse_condition(alert.get("condition"))
    if parsed is None:
        problems.append(
            f"{where}: condition {alert.get('condition')!r}; expected '<metric> <op> <number|previous_value> "
            f"[for <duration>]', e.g. 'quantum_forge_trades_per_minute == 0 for 15m'"
        )
    elif parsed["metric"] not in declared:
        problems.append(f"{where}: uses metric {parsed['metric']}, which forge_metrics does not declare")
    if alert.get("severity") not in SEVERITIES:
        problems.append(f"{where}: severity is {alert.get('severity')!r}; expected one of {', '.join(SEVERITIES)}")
    channels = alert.get("channels")
    if not isinstance(channels, list) or not channels:
        problems.append(f"{where}: channels is {channels!r}; expected a non-empty list like [email, slack]")
    return problems


def _dashboard_problems(dash, declared):
    if not isinstance(dash, dict) or not isinstance(dash.get("name"), str) or not isinstance(dash.get("panels"), list):
        return [f"dashboard {dash!r}: expected {{name, panels: [...]}}"]
    problems = []
    for panel in dash["panels"]:
        title = panel.get("title") if isinstance(panel, dict) else None
        where = f"dashboard {dash['name']!r} panel {title!r}"
        if not isinstance(panel, dict):
            problems.append(f"{where}: expected {{title, type, metric | metrics | query}}")
            continue
        used = ([panel["metric"]] if "metric" in panel else []) + list(panel.get("metrics") or [])
        if not used and not panel.get("query"):
            problems.append(f"{where}: has no metric, metrics or query")
        problems += [
            f"{where}: uses metric {m}, which forge_metrics does not declare" for m in used if m not in declared
        ]
    return problems
