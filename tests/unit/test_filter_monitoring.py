"""forge_monitoring/monitoring.py: the metric registry check and the alert condition parser."""

import copy

import pytest
import yaml
from conftest import ROOT

from forge_monitoring.errors import FilterError
from forge_monitoring.monitoring import forge_metric_problems, parse_condition

SEED = yaml.safe_load((ROOT / "playbooks/vars/monitoring.yml").read_text())


def _problems(metrics=None, alerts=None, dashboards=None):
    return forge_metric_problems(
        SEED["forge_metrics"] + (metrics or []),
        SEED["forge_alerts"] + (alerts or []),
        SEED["forge_dashboards"] + (dashboards or []),
    )


def test_the_seeds_rules_use_only_declared_metrics():
    assert _problems() == []
    assert len(SEED["forge_metrics"]) == 18
    assert len(SEED["forge_alerts"]) == 8
    assert sum(len(d["panels"]) for d in SEED["forge_dashboards"]) == 12


def test_the_seeds_metric_lists_alone_miss_six_metrics_its_rules_use():
    declared_by_seed = [m for m in SEED["forge_metrics"] if "note" not in m]
    problems = forge_metric_problems(declared_by_seed, SEED["forge_alerts"], SEED["forge_dashboards"])
    missing = sorted({p.split("uses metric ")[1].split(",")[0] for p in problems})
    assert missing == [
        "cpu_usage_percent",
        "gpu_temperature_celsius",
        "memory_usage_bytes",
        "postgresql_query_duration",
        "quantum_forge_phase_current",
        "traditional_calculation_accuracy",
    ]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"alerts": [{"name": "X", "condition": "nope_metric > 1", "severity": "warning", "channels": ["slack"]}]},
         "alert 'X': uses metric nope_metric, which forge_metrics does not declare"),
        ({"alerts": [{"name": "X", "condition": "when it is bad", "severity": "warning", "channels": ["slack"]}]},
         "alert 'X': condition 'when it is bad'; expected '<metric> <op>"),
        ({"alerts": [{"name": "X", "condition": "quantum_forge_pnl_total < 0", "severity": "urgent",
                      "channels": ["slack"]}]}, "severity is 'urgent'"),
        ({"alerts": [{"name": "X", "condition": "quantum_forge_pnl_total < 0", "severity": "info", "channels": []}]},
         "channels is []"),
        ({"alerts": ["text"]}, "alert 'text': expected {name, condition, severity, channels}"),
        ({"dashboards": [{"name": "D", "panels": [{"title": "P", "type": "stat", "metric": "ghost"}]}]},
         "dashboard 'D' panel 'P': uses metric ghost"),
        ({"dashboards": [{"name": "D", "panels": [{"title": "P", "type": "stat"}]}]},
         "has no metric, metrics or query"),
        ({"dashboards": [{"name": "D"}]}, "expected {name, panels: [...]}"),
        ({"metrics": [{"name": "quantum_forge_pnl_total", "type": "gauge"}]},
         "quantum_forge_pnl_total is declared twice"),
        ({"metrics": [{"name": "bad-name", "type": "gauge"}]},
         "name is 'bad-name'; expected a Prometheus metric name"),
        ({"metrics": [{"name": "ok_metric", "type": "meter"}]}, "type is 'meter'; expected one of gauge"),
    ],
)  # fmt: skip
def test_problems_name_the_item_and_the_expected_form(kwargs, expected):
    problems = _problems(**copy.deepcopy(kwargs))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("condition", "parsed"),
    [
        ("quantum_forge_trades_per_minute == 0 for 15m",
         {"metric": "quantum_forge_trades_per_minute", "op": "==", "value": 0.0, "for": "15m"}),
        ("quantum_forge_pnl_total < -1000", {"metric": "quantum_forge_pnl_total", "op": "<", "value": -1000.0,
                                             "for": None}),
        ("quantum_forge_phase_current < previous_value",
         {"metric": "quantum_forge_phase_current", "op": "<", "value": "previous_value", "for": None}),
        ("mathematical_intuition_accuracy < 0.6 for 1h",
         {"metric": "mathematical_intuition_accuracy", "op": "<", "value": 0.6, "for": "1h"}),
    ],
)  # fmt: skip
def test_parse_the_seeds_conditions(condition, parsed):
    assert parse_condition(condition) == parsed


@pytest.mark.parametrize("condition", [None, "", "x >", "> 5", "x > 5 for", "x > 5 for 5 minutes", "x ~ 5"])
def test_parse_rejects_malformed_conditions(condition):
    assert parse_condition(condition) is None


def test_non_list_arguments_raise_naming_the_filter():
    with pytest.raises(FilterError, match="forge_metric_problems: alerts must be a list"):
        forge_metric_problems([], {}, [])
