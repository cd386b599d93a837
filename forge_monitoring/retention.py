"""Retention and disk plan: compressed growth per signal, SigNoz TTLs, hot/cold split, steady state, fill date.

``retention_plan`` reports without raising when the plan does not fit (the capacity plan shows that answer);
the ``forge_retention`` filter refuses unless allow_overflow=True. Model and defaults: docs/sizing.md.
GB here is 10^9 bytes (disk vendors' and the seed's unit).
"""

from __future__ import annotations

import datetime
import math

from forge_monitoring.errors import FilterError

SIGNALS = ("traces", "logs", "metrics")
DAY_S = 86400
MONTH_DAYS = 30.44  # mean Gregorian month
GB = 1e9

# Rough per-signal defaults. SigNoz publishes no bytes-on-disk figures (reference/signoz.md §6); measure with
# system.parts and override. Rates are picked so the default total is close to the seed's 50 GB/month.
DEFAULT_ESTIMATES = {
    # spans/s; ~1 KB raw OTel span with resource + attributes; ~10x: ClickStack "estimating resources" page
    "traces": {"rate": 75.0, "bytes": 1000.0, "compression": 10.0},
    # lines/s; ~500 B raw log record with attributes; ~10x: same ClickStack page
    "logs": {"rate": 150.0, "bytes": 500.0, "compression": 10.0},
    # samples/s; 16 B raw (8 B timestamp + 8 B value) -> ~1.16 B/sample compressed (2021 SigNoz CTO talk)
    "metrics": {"rate": 3000.0, "bytes": 16.0, "compression": 16.0 / 1.16},
}
# Seed "Data Retention": 6 months trading data, 1 year compliance.
DEFAULT_CLASSES = {"trading": 183, "compliance": 365}
DEFAULT_SIGNAL_CLASS = {"traces": "trading", "metrics": "trading", "logs": "compliance"}


def retention_plan(estimates, retention, disk_gb, *, cold_disk_gb=0, headroom=0.2, start=None, shards=1):
    """The plan as a dict; never raises for a plan that does not fit (see ``fits`` and ``fill_date``).

    estimates / retention may be None (all defaults).
    estimates: {signal: {rate, bytes, compression} | {monthly_gb}}, merged over DEFAULT_ESTIMATES;
    retention: {classes: {class: days}, signals: {signal: class}}, merged over the seed's defaults;
    disk_gb / cold_disk_gb: hot and cold volume sizes; headroom: free fraction kept on top of the data;
    start: 'YYYY-MM-DD' the day ingestion starts (default today);
    shards: ClickHouse shards the data is spread over (each host of a shard stores 1/shards of it).
    """
    est = _estimates(estimates)
    classes, signal_class = _retention(retention)
    disk = _number("disk_gb", disk_gb, positive=True)
    cold = _number("cold_disk_gb", cold_disk_gb)
    head = _number("headroom", headroom)
    day0 = _start(start)
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise FilterError(f"forge_retention: shards must be a whole number >= 1, got {shards!r}")

    signals = {}
    for sig in SIGNALS:
        daily = est[sig] / shards
        days = classes[signal_class[sig]]
        signals[sig] = {
            "class": signal_class[sig],
            "daily_gb": daily,
            "monthly_gb": daily * MONTH_DAYS,
            "ttl_days": days,
            "ttl_seconds": days * DAY_S,
            "ttl_duration": f"{days * 24}h",
            "steady_gb": daily * days,
        }
    steady = sum(s["steady_gb"] for s in signals.values())
    needed = steady * (1 + head)
    hot_limit = disk / (1 + head)

    move_days = None
    if cold > 0:
        move_days = _move_days(signals, hot_limit)
        for s in signals.values():
            if move_days < s["ttl_days"]:
                s["move_to_cold_days"] = move_days
                s["move_to_cold_duration"] = f"{move_days * 24}h"
            else:
                s["move_to_cold_days"] = None
                s["move_to_cold_duration"] = None
    hot_segments = [(s["daily_gb"], 0, _hot_days(s)) for s in signals.values()]
    cold_segments = [(s["daily_gb"], _hot_days(s), s["ttl_days"]) for s in signals.values()]
    hot_steady = sum(d * (end - begin) for d, begin, end in hot_segments)
    cold_steady = sum(d * (end - begin) for d, begin, end in cold_segments)
    cold_limit = cold / (1 + head)

    fill_days = _first_reach([hot_segments, cold_segments], [hot_limit, cold_limit])
    hard_days = _first_reach([hot_segments, cold_segments], [disk, cold])
    total_daily = sum(s["daily_gb"] for s in signals.values())
    return {
        "signals": signals,
        "total": {"daily_gb": total_daily, "monthly_gb": total_daily * MONTH_DAYS},
        "steady_state_gb": steady,
        "headroom": head,
        "needed_gb": needed,
        "disk_gb": disk,
        "cold_disk_gb": cold,
        "move_to_cold_days": move_days,
        "hot_needed_gb": hot_steady * (1 + head),
        "cold_needed_gb": cold_steady * (1 + head),
        "shards": shards,
        "fits": fill_days is None,
        "start": day0.isoformat(),
        "fill_day": fill_days,
        "fill_date": _date(day0, fill_days),
        "disk_full_date": _date(day0, hard_days),
    }


def forge_retention(
    estimates, retention, disk_gb, *, cold_disk_gb=0, headroom=0.2, start=None, shards=1, allow_overflow=False
):
    """retention_plan, refusing (FilterError with the numbers) when it does not fit, unless allow_overflow."""
    plan = retention_plan(
        estimates, retention, disk_gb, cold_disk_gb=cold_disk_gb, headroom=headroom, start=start, shards=shards
    )
    if not plan["fits"] and not allow_overflow:
        parts = ", ".join(
            f"{sig} {s['daily_gb']:.2f} GB/day x {s['ttl_days']} d = {s['steady_gb']:.1f} GB"
            for sig, s in plan["signals"].items()
        )
        full = (
            f"the disk is full on {plan['disk_full_date']}" if plan["disk_full_date"] else "the disk itself never fills"
        )
        where = f"{plan['disk_gb']:g} GB" + (f" + {plan['cold_disk_gb']:g} GB cold" if plan["cold_disk_gb"] else "")
        raise FilterError(
            f"forge_retention: retention needs {plan['needed_gb']:.1f} GB ({parts}; "
            f"{plan['steady_state_gb']:.1f} GB + {plan['headroom']:.0%} headroom) but the disk has {where}; "
            f"the headroom is used up on {plan['fill_date']} (day {math.floor(plan['fill_day'])} from "
            f"{plan['start']}) and {full}; shorten retention, add disk, or pass allow_overflow=True"
        )
    return plan


def usage_at(plan, day):
    """GB each signal occupies on the hot and the cold volume ``day`` days after ingestion starts.

    Data grows linearly until a signal's TTL, then stays flat (expired parts are dropped as new ones arrive).
    """
    if isinstance(day, bool) or not isinstance(day, int | float) or day < 0:
        raise FilterError(f"forge_retention: day must be a number >= 0, got {day!r}")
    out = {}
    for sig, s in plan["signals"].items():
        hot_days = _hot_days(s)
        out[sig] = {
            "hot": s["daily_gb"] * min(day, hot_days),
            "cold": s["daily_gb"] * min(max(day - hot_days, 0), s["ttl_days"] - hot_days),
        }
    return out


def _estimates(estimates):
    estimates = {} if estimates is None else estimates
    if not isinstance(estimates, dict):
        raise FilterError(f"forge_retention: estimates must be a dict per signal, got {estimates!r}")
    daily = {}
    for sig in estimates:
        if sig not in SIGNALS:
            raise FilterError(f"forge_retention: unknown signal {sig!r}; expected some of {', '.join(SIGNALS)}")
    for sig in SIGNALS:
        given = estimates.get(sig) or {}
        if not isinstance(given, dict):
            raise FilterError(f"forge_retention: estimates.{sig} must be a dict, got {given!r}")
        if "monthly_gb" in given:
            extra = set(given) - {"monthly_gb"}
            if extra:
                raise FilterError(
                    f"forge_retention: estimates.{sig}: monthly_gb replaces rate/bytes/compression; "
                    f"drop {', '.join(sorted(extra))}"
                )
            daily[sig] = _number(f"estimates.{sig}.monthly_gb", given["monthly_gb"]) / MONTH_DAYS
            continue
        for key in given:
            if key not in ("rate", "bytes", "compression"):
                raise FilterError(
                    f"forge_retention: estimates.{sig}: unknown key {key!r}; expected rate, bytes, compression "
                    "or monthly_gb"
                )
        merged = {**DEFAULT_ESTIMATES[sig], **given}
        rate = _number(f"estimates.{sig}.rate", merged["rate"])
        size = _number(f"estimates.{sig}.bytes", merged["bytes"], positive=True)
        ratio = _number(f"estimates.{sig}.compression", merged["compression"], positive=True)
        daily[sig] = rate * size / ratio * DAY_S / GB
    return daily


def _retention(retention):
    retention = {} if retention is None else retention
    if not isinstance(retention, dict) or set(retention) - {"classes", "signals"}:
        raise FilterError(
            f"forge_retention: retention must be a dict {{classes: {{class: days}}, signals: {{signal: class}}}}, "
            f"got {retention!r}"
        )
    classes = dict(DEFAULT_CLASSES)
    given = retention.get("classes") or {}
    if not isinstance(given, dict):
        raise FilterError(f"forge_retention: retention.classes must be a dict of class -> days, got {given!r}")
    for cls, days in given.items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise FilterError(
                f"forge_retention: retention.classes.{cls} must be a whole number of days >= 1, got {days!r}"
            )
        classes[cls] = days
    signal_class = dict(DEFAULT_SIGNAL_CLASS)
    given = retention.get("signals") or {}
    if not isinstance(given, dict):
        raise FilterError(f"forge_retention: retention.signals must be a dict of signal -> class, got {given!r}")
    for sig, cls in given.items():
        if sig not in SIGNALS:
            raise FilterError(f"forge_retention: unknown signal {sig!r}; expected some of {', '.join(SIGNALS)}")
        if cls not in classes:
            raise FilterError(
                f"forge_retention: retention.signals.{sig} is {cls!r}; expected one of {', '.join(classes)}"
            )
        signal_class[sig] = cls
    return classes, signal_class


def _number(what, value, positive=False):
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        kind = "a positive number" if positive else "a number >= 0"
        raise FilterError(f"forge_retention: {what} must be {kind}, got {value!r}")
    return float(value)


def _start(start):
    if start is None:
        return datetime.date.today()
    if isinstance(start, datetime.date):
        return start
    try:
        return datetime.date.fromisoformat(str(start))
    except ValueError:
        raise FilterError(f"forge_retention: start must be a date 'YYYY-MM-DD', got {start!r}") from None


def _hot_days(sig):
    move = sig.get("move_to_cold_days")
    return sig["ttl_days"] if move is None else move


def _move_days(signals, hot_limit):
    """Largest whole number of days data stays hot so the hot volume's steady state fits (at least 1)."""
    longest = max(s["ttl_days"] for s in signals.values())
    best = 1
    for days in range(1, longest + 1):
        if sum(s["daily_gb"] * min(days, s["ttl_days"]) for s in signals.values()) <= hot_limit:
            best = days
        else:
            break
    return best


def _first_reach(volumes, limits):
    """First day (float) on which any volume's data exceeds its limit; None if none ever does.

    A volume is a list of (daily_gb, begin_day, end_day): the segment adds daily_gb per day between begin and
    end and stays flat after end (data older than the TTL is deleted as fast as new data arrives).
    """
    first = None
    for segments, limit in zip(volumes, limits, strict=True):
        if sum(d * (end - begin) for d, begin, end in segments) <= limit * (1 + 1e-12):
            continue
        points = sorted({0.0, *(float(b) for _, b, _ in segments), *(float(e) for _, _, e in segments)})
        for a, b in zip(points, points[1:], strict=False):
            used_a = _used(segments, a)
            slope = sum(d for d, begin, end in segments if begin <= a < end)
            if slope > 0 and used_a + slope * (b - a) > limit:
                day = a + (limit - used_a) / slope
                first = day if first is None else min(first, day)
                break
    return first


def _used(segments, t):
    return sum(d * min(max(t - begin, 0.0), end - begin) for d, begin, end in segments)


def _date(day0, days):
    return None if days is None else (day0 + datetime.timedelta(days=math.floor(days))).isoformat()
