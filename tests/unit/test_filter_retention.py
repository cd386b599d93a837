"""forge_retention / retention_plan: growth, TTLs, hot/cold split, steady state and fill date."""

import datetime
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.retention import MONTH_DAYS, forge_retention, retention_plan, usage_at

START = "2026-01-01"
# The seed gives only the total (50 GB/month); this split (40 % traces, 40 % logs, 20 % metrics) is an assumption.
SEED_SPLIT = {"traces": {"monthly_gb": 20}, "logs": {"monthly_gb": 20}, "metrics": {"monthly_gb": 10}}


def test_defaults_ttls_and_durations():
    plan = retention_plan(None, None, 500, start=START)
    sig = plan["signals"]
    classes = (sig["traces"]["class"], sig["metrics"]["class"], sig["logs"]["class"])
    assert classes == ("trading", "trading", "compliance")
    assert sig["traces"]["ttl_days"] == 183
    assert sig["traces"]["ttl_seconds"] == 183 * 86400
    assert sig["traces"]["ttl_duration"] == "4392h"
    assert sig["logs"]["ttl_duration"] == "8760h"
    assert sig["logs"]["ttl_seconds"] == 31536000


def test_growth_from_rate_bytes_compression():
    plan = retention_plan({"traces": {"rate": 100, "bytes": 1000, "compression": 10}}, None, 500, start=START)
    # 100 spans/s * 1000 B / 10 = 10 kB/s = 0.864 GB/day
    assert plan["signals"]["traces"]["daily_gb"] == pytest.approx(0.864)
    assert plan["signals"]["traces"]["monthly_gb"] == pytest.approx(0.864 * 30.44)


def test_default_estimates_are_close_to_the_seed_and_fit():
    plan = retention_plan(None, None, 500, start=START)
    assert plan["total"]["monthly_gb"] == pytest.approx(48.60, abs=0.01)
    assert plan["needed_gb"] == pytest.approx(492.15, abs=0.01)
    assert plan["fits"] is True
    assert plan["fill_date"] is None


def test_seed_all_trading_fits():
    """Seed literally: 50 GB/month, 6 months retention (the compliance class unused) on 500 GB fits."""
    est = {"traces": {"monthly_gb": 25}, "logs": {"monthly_gb": 0}, "metrics": {"monthly_gb": 25}}
    plan = forge_retention(est, None, 500, start=START)
    assert plan["total"]["monthly_gb"] == pytest.approx(50)
    assert plan["steady_state_gb"] == pytest.approx(300.59, abs=0.01)
    assert plan["needed_gb"] == pytest.approx(360.71, abs=0.01)
    assert plan["fits"] is True
    assert plan["fill_date"] is None


def test_seed_with_logs_kept_a_year_does_not_fit():
    """Seed: 50 GB/month, trading 6 months + logs as compliance 1 year, 500 GB, 20 % headroom.

    With 40 % of the growth in logs the steady state is 420.2 GB; with headroom 504.2 GB > 500 GB: it does not
    fit. The headroom is used up on day 359 (2026-12-26 when ingestion starts 2026-01-01); the disk itself never
    fills (420.2 GB < 500 GB).
    """
    plan = retention_plan(SEED_SPLIT, None, 500, start=START)
    assert plan["total"]["monthly_gb"] == pytest.approx(50)
    assert plan["steady_state_gb"] == pytest.approx(420.17, abs=0.01)
    assert plan["needed_gb"] == pytest.approx(504.20, abs=0.01)
    assert plan["fits"] is False
    assert plan["fill_day"] == pytest.approx(359.67, abs=0.01)
    assert plan["fill_date"] == "2026-12-26"
    assert plan["disk_full_date"] is None
    with pytest.raises(FilterError) as err:
        forge_retention(SEED_SPLIT, None, 500, start=START)
    msg = str(err.value)
    assert msg.startswith("forge_retention: retention needs 504.2 GB (")
    assert "but the disk has 500 GB" in msg
    assert "2026-12-26" in msg
    assert "never fills" in msg
    assert forge_retention(SEED_SPLIT, None, 500, start=START, allow_overflow=True) == plan


def test_seed_split_with_a_cold_volume_fits():
    plan = retention_plan(SEED_SPLIT, None, 500, cold_disk_gb=500, start=START)
    assert plan["fits"] is True
    logs = plan["signals"]["logs"]
    assert logs["move_to_cold_days"] < logs["ttl_days"]
    assert logs["move_to_cold_duration"] == f"{logs['move_to_cold_days'] * 24}h"
    assert plan["hot_needed_gb"] <= 500
    assert plan["cold_needed_gb"] <= 500


def test_cold_split_moves_early_when_hot_is_small():
    plan = retention_plan(SEED_SPLIT, None, 100, cold_disk_gb=1000, start=START)
    assert plan["fits"] is True
    for sig in plan["signals"].values():
        assert sig["move_to_cold_days"] is not None
        assert sig["move_to_cold_days"] < sig["ttl_days"]
    assert plan["hot_needed_gb"] <= 100


def test_cold_volume_too_small_reports_the_fill_date():
    plan = retention_plan(SEED_SPLIT, None, 100, cold_disk_gb=50, start=START)
    assert plan["fits"] is False
    assert plan["fill_date"] is not None


def test_disk_full_date_when_data_exceeds_the_disk():
    plan = retention_plan({"logs": {"monthly_gb": 100}}, None, 500, start=START)
    assert plan["fits"] is False
    # logs alone: 100/30.44 GB/day, plus default traces+metrics; the disk fills before the year is over
    assert plan["disk_full_date"] is not None
    assert plan["fill_date"] <= plan["disk_full_date"]


def test_signal_classes_are_configurable():
    retention = {"classes": {"trading": 30, "audit": 730}, "signals": {"logs": "trading", "traces": "audit"}}
    plan = retention_plan(None, retention, 5000, start=START)
    assert plan["signals"]["logs"]["ttl_days"] == 30
    assert plan["signals"]["traces"]["ttl_days"] == 730
    assert plan["signals"]["metrics"]["ttl_days"] == 30


def test_zero_rate_signal_grows_nothing():
    plan = retention_plan({"traces": {"rate": 0}}, None, 500, start=START)
    assert plan["signals"]["traces"]["daily_gb"] == 0


def test_start_accepts_date_object():
    plan = retention_plan(SEED_SPLIT, None, 500, start=datetime.date(2026, 1, 1))
    assert plan["fill_date"] == "2026-12-26"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"estimates": {"spans": {}}}, r"unknown signal 'spans'"),
        ({"estimates": [1]}, r"estimates must be a dict"),
        ({"estimates": {"traces": 5}}, r"estimates.traces must be a dict"),
        ({"estimates": {"traces": {"rate": -1}}}, r"estimates.traces.rate must be a number >= 0, got -1"),
        ({"estimates": {"traces": {"rate": "10"}}}, r"estimates.traces.rate must be a number"),
        ({"estimates": {"traces": {"bytes": 0}}}, r"estimates.traces.bytes must be a positive number"),
        ({"estimates": {"logs": {"compression": True}}}, r"estimates.logs.compression must be a positive number"),
        ({"estimates": {"logs": {"size": 3}}}, r"unknown key 'size'"),
        ({"estimates": {"logs": {"monthly_gb": 3, "rate": 1}}}, r"monthly_gb replaces"),
        ({"estimates": {"logs": {"monthly_gb": float("inf")}}}, r"monthly_gb must be a number"),
        ({"retention": {"days": 3}}, r"retention must be a dict"),
        ({"retention": {"classes": {"trading": 0}}}, r"retention.classes.trading must be a whole number"),
        ({"retention": {"classes": {"trading": 1.5}}}, r"retention.classes.trading must be a whole number"),
        ({"retention": {"signals": {"logs": "forever"}}}, r"retention.signals.logs is 'forever'"),
        ({"retention": {"signals": {"events": "trading"}}}, r"unknown signal 'events'"),
        ({"disk_gb": 0}, r"disk_gb must be a positive number"),
        ({"disk_gb": "500"}, r"disk_gb must be a positive number"),
        ({"cold_disk_gb": -1}, r"cold_disk_gb must be a number >= 0"),
        ({"headroom": -0.1}, r"headroom must be a number >= 0"),
        ({"start": "01/01/2026"}, r"start must be a date 'YYYY-MM-DD'"),
    ],
)
def test_invalid_input(kwargs, pattern):
    args = {"estimates": None, "retention": None, "disk_gb": 500, "start": START, **kwargs}
    positional = [args.pop("estimates"), args.pop("retention"), args.pop("disk_gb")]
    for func in (retention_plan, forge_retention):
        with pytest.raises(FilterError, match=pattern) as err:
            func(*positional, **args)
        assert str(err.value).startswith("forge_retention: ")


rates = st.floats(min_value=0, max_value=1e5, allow_nan=False)
days = st.integers(min_value=1, max_value=3650)


@settings(max_examples=200, deadline=None)
@given(a=days, b=days)
def test_ttl_monotonic_in_retention_days(a, b):
    lo, hi = sorted((a, b))
    p_lo = retention_plan(None, {"classes": {"trading": lo}}, 500, start=START)
    p_hi = retention_plan(None, {"classes": {"trading": hi}}, 500, start=START)
    for sig in ("traces", "metrics"):
        assert p_lo["signals"][sig]["ttl_seconds"] <= p_hi["signals"][sig]["ttl_seconds"]
        assert int(p_lo["signals"][sig]["ttl_duration"][:-1]) <= int(p_hi["signals"][sig]["ttl_duration"][:-1])


@settings(max_examples=200, deadline=None)
@given(rate=rates, size=st.floats(min_value=1, max_value=1e5), ratio=st.floats(min_value=0.5, max_value=100))
def test_growth_linear_in_rate(rate, size, ratio):
    one = retention_plan({"logs": {"rate": rate, "bytes": size, "compression": ratio}}, None, 500, start=START)
    two = retention_plan({"logs": {"rate": 2 * rate, "bytes": size, "compression": ratio}}, None, 500, start=START)
    assert two["signals"]["logs"]["daily_gb"] == pytest.approx(2 * one["signals"]["logs"]["daily_gb"], rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    monthly=st.tuples(*[st.floats(min_value=0, max_value=1000, allow_nan=False)] * 3),
    trading=days,
    compliance=days,
    headroom=st.floats(min_value=0, max_value=2),
    disk=st.floats(min_value=1, max_value=1e5),
)
def test_steady_state_and_fit(monthly, trading, compliance, headroom, disk):
    est = {sig: {"monthly_gb": m} for sig, m in zip(("traces", "logs", "metrics"), monthly, strict=True)}
    ret = {"classes": {"trading": trading, "compliance": compliance}}
    plan = retention_plan(est, ret, disk, headroom=headroom, start=START)
    steady = sum(s["daily_gb"] * s["ttl_days"] for s in plan["signals"].values())
    assert plan["steady_state_gb"] == pytest.approx(steady)
    assert plan["needed_gb"] == pytest.approx(steady * (1 + headroom))
    assert plan["fits"] == (plan["fill_date"] is None)
    if plan["needed_gb"] <= disk * (1 - 1e-9):
        assert plan["fits"]
    if plan["needed_gb"] >= disk * (1 + 1e-9):
        assert not plan["fits"]
        assert 0 <= plan["fill_day"] <= max(trading, compliance)
    for sig in plan["signals"].values():
        assert sig["monthly_gb"] == pytest.approx(sig["daily_gb"] * MONTH_DAYS)
        assert math.isclose(sig["ttl_seconds"], sig["ttl_days"] * 86400)


@settings(max_examples=150, deadline=None)
@given(
    monthly=st.tuples(*[st.floats(min_value=0.1, max_value=200)] * 3),
    hot=st.floats(min_value=10, max_value=1000),
    cold=st.floats(min_value=1, max_value=5000),
)
def test_cold_split_never_moves_at_or_after_the_ttl(monthly, hot, cold):
    est = {sig: {"monthly_gb": m} for sig, m in zip(("traces", "logs", "metrics"), monthly, strict=True)}
    plan = retention_plan(est, None, hot, cold_disk_gb=cold, start=START)
    for sig in plan["signals"].values():
        if sig["move_to_cold_days"] is not None:
            assert 1 <= sig["move_to_cold_days"] < sig["ttl_days"]
    if plan["fits"]:
        assert plan["hot_needed_gb"] <= hot * (1 + 1e-9)
        assert plan["cold_needed_gb"] <= cold * (1 + 1e-9)


def test_usage_grows_until_each_ttl_then_stays_flat():
    plan = retention_plan(None, None, 500, start="2026-01-01")
    assert usage_at(plan, 0) == {s: {"hot": 0, "cold": 0} for s in plan["signals"]}
    at_ttl = usage_at(plan, 365)
    later = usage_at(plan, 700)
    for sig, s in plan["signals"].items():
        assert at_ttl[sig]["hot"] == pytest.approx(s["steady_gb"])
        assert later[sig] == at_ttl[sig]
    half = usage_at(plan, 100)
    assert half["logs"]["hot"] == pytest.approx(plan["signals"]["logs"]["daily_gb"] * 100)


def test_usage_moves_to_cold_after_the_move_age():
    plan = retention_plan({"logs": {"monthly_gb": 20}, "traces": {"monthly_gb": 20}, "metrics": {"monthly_gb": 10}},
                          None, 500, cold_disk_gb=500, start="2026-01-01")  # fmt: skip
    move = plan["move_to_cold_days"]
    used = usage_at(plan, 365)["logs"]
    daily = plan["signals"]["logs"]["daily_gb"]
    assert used["hot"] == pytest.approx(daily * move)
    assert used["cold"] == pytest.approx(daily * (365 - move))


@pytest.mark.parametrize("day", [-1, "10", True])
def test_usage_rejects_bad_days(day):
    with pytest.raises(FilterError, match="forge_retention: day"):
        usage_at(retention_plan(None, None, 500), day)


@pytest.mark.parametrize("shards", [0, 1.5, True, "2"])
def test_shards_must_be_whole_and_positive(shards):
    with pytest.raises(FilterError, match="forge_retention: shards"):
        retention_plan(None, None, 500, shards=shards)
