"""forge_sizing: memory/CPU budgets per host (forge_monitoring/sizing.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.sizing import (
    COMPONENTS,
    DEFAULT_BUDGETS_MB,
    forge_components_for,
    forge_host_resources,
    forge_sizing,
)

VMS = ["clickhouse", "zookeeper", "signoz", "alertmanager", "ingest", "frontend"]
SEED_HOST = {"name": "vms-1", "ram_mb": 8192, "cores": 4, "disk_gb": 500}


def _host(ram_mb=8192, cores=4, disk_gb=500, name="vms-1"):
    return {"name": name, "ram_mb": ram_mb, "cores": cores, "disk_gb": disk_gb}


def test_seed_host_gives_clickhouse_the_remainder():
    out = forge_sizing(SEED_HOST, VMS)
    comps = out["components"]
    assert comps["signoz"]["memory_max_mb"] == 2048
    assert comps["alertmanager"]["memory_max_mb"] == 512
    assert comps["frontend"]["memory_max_mb"] == 1024
    assert comps["zookeeper"]["memory_max_mb"] == 512
    assert comps["ingest"]["memory_max_mb"] == 512
    assert out["os_reserve_mb"] == 2048
    # 8192 - (2048 + 512 + 1024 + 512 + 512 + 2048) = 1536
    assert comps["clickhouse"]["memory_max_mb"] == 1536
    assert comps["clickhouse"]["memory_high_mb"] == 1382
    assert out["totals"]["memory_allocated_mb"] == 8192
    assert out["totals"]["memory_unallocated_mb"] == 0
    assert out["totals"]["cpu_quota_percent"] == 360
    assert comps["clickhouse"]["cpu_quota_percent"] == 180


def test_alertmanager_budget_is_carried_by_the_signoz_unit():
    out = forge_sizing(SEED_HOST, VMS)
    assert out["components"]["alertmanager"]["units"] == ["signoz"]
    assert out["units"]["signoz"]["memory_max_mb"] == 2048 + 512
    assert out["units"]["signoz"]["components"] == ["signoz", "alertmanager"]
    assert "alertmanager" not in out["units"]


def test_frontend_splits_between_nginx_and_oauth2_proxy():
    out = forge_sizing(SEED_HOST, VMS)
    assert out["units"]["nginx"]["memory_max_mb"] + out["units"]["oauth2-proxy"]["memory_max_mb"] == 1024


def test_clickhouse_settings_follow_its_memory():
    out = forge_sizing(SEED_HOST, VMS)
    ch = out["clickhouse"]
    mib = 1024 * 1024
    assert ch["max_server_memory_usage"] == int(1536 * 0.8) * mib
    assert ch["max_memory_usage"] == ch["max_server_memory_usage"] // 2
    assert ch["max_server_memory_usage"] < out["components"]["clickhouse"]["memory_high_mb"] * mib
    assert 0 < ch["mark_cache_size"] < ch["max_server_memory_usage"]
    assert 0 < ch["uncompressed_cache_size"] < ch["mark_cache_size"]


def test_ingest_memory_limiter():
    out = forge_sizing(SEED_HOST, VMS)
    lim = out["ingest_memory_limiter"]
    assert lim["limit_mib"] == int(512 * 0.8)
    assert lim["spike_limit_mib"] == int(lim["limit_mib"] * 0.2)
    assert lim["limit_mib"] < out["units"]["ingest"]["memory_high_mb"]


def test_agent_budget_is_the_seeds():
    out = forge_sizing(_host(ram_mb=16384, cores=8, name="dev-1"), ["agent"])
    agent = out["components"]["agent"]
    assert agent["memory_max_mb"] == 200
    assert agent["cpu_quota_percent"] == 40  # 5 % of 8 cores
    parts = {u: out["units"][u] for u in ("otel-agent", "fluent-bit", "exporters")}
    assert sum(p["memory_max_mb"] for p in parts.values()) == 200
    assert sum(p["cpu_quota_percent"] for p in parts.values()) == 40
    assert out["agent_memory_limiter"]["limit_mib"] < parts["otel-agent"]["memory_max_mb"]
    assert "clickhouse" not in out


def test_budget_overrides():
    out = forge_sizing(_host(ram_mb=16384), VMS, {"signoz": 4096, "os": 1024})
    assert out["components"]["signoz"]["memory_max_mb"] == 4096
    assert out["os_reserve_mb"] == 1024
    assert out["components"]["clickhouse"]["memory_max_mb"] == 16384 - (4096 + 512 + 1024 + 512 + 512 + 1024)


def test_fixed_clickhouse_budget_leaves_the_rest_unallocated():
    out = forge_sizing(_host(ram_mb=16384), VMS, {"clickhouse": 4096})
    assert out["components"]["clickhouse"]["memory_max_mb"] == 4096
    assert out["totals"]["memory_unallocated_mb"] == 16384 - 6656 - 4096


def test_exact_fit_at_the_clickhouse_minimum():
    out = forge_sizing(_host(ram_mb=6656 + 1024), VMS)
    assert out["components"]["clickhouse"]["memory_max_mb"] == DEFAULT_BUDGETS_MB["clickhouse_min"]


def test_component_order_does_not_matter():
    assert forge_sizing(SEED_HOST, list(reversed(VMS))) == forge_sizing(SEED_HOST, VMS)


def test_refuses_when_fixed_budgets_exceed_ram():
    with pytest.raises(FilterError) as err:
        forge_sizing(_host(ram_mb=6144), VMS)
    msg = str(err.value)
    assert msg.startswith("forge_sizing: host vms-1 has 6144 MB RAM; the fixed budgets need 6656 MB (")
    for term in ("signoz 2048", "alertmanager 512", "frontend 1024", "os 2048", "zookeeper 512", "ingest 512"):
        assert term in msg
    assert "ClickHouse needs at least 1024 MB more (7680 MB in all)" in msg


def test_refuses_when_clickhouse_minimum_does_not_fit():
    with pytest.raises(FilterError, match=r"^forge_sizing: host vms-1 has 7000 MB RAM.*at least 1024 MB"):
        forge_sizing(_host(ram_mb=7000), VMS)


def test_refuses_fixed_clickhouse_below_minimum():
    with pytest.raises(FilterError, match=r"^forge_sizing: host vms-1 .*ClickHouse is fixed at 512 MB"):
        forge_sizing(_host(ram_mb=16384), VMS, {"clickhouse": 512})


@pytest.mark.parametrize(
    ("host", "components", "budgets", "pattern"),
    [
        (SEED_HOST, ["clickhouse", "grafana"], None, r"unknown component 'grafana'"),
        (SEED_HOST, ["signoz", "signoz"], None, r"listed twice"),
        (SEED_HOST, [], None, r"non-empty list"),
        (SEED_HOST, "signoz", None, r"non-empty list"),
        (SEED_HOST, VMS, {"postgres": 100}, r"unknown budget 'postgres'"),
        (SEED_HOST, VMS, {"signoz": 0}, r"budgets.signoz must be a positive number"),
        (SEED_HOST, VMS, {"signoz": "2G"}, r"budgets.signoz must be a positive number"),
        (SEED_HOST, VMS, [1], r"budgets must be a dict"),
        ({**SEED_HOST, "ram_mb": -1}, VMS, None, r"host vms-1: ram_mb must be a positive number, got -1"),
        ({**SEED_HOST, "ram_mb": "8192"}, VMS, None, r"ram_mb must be a positive number"),
        ({**SEED_HOST, "ram_mb": True}, VMS, None, r"ram_mb must be a positive number"),
        ({**SEED_HOST, "ram_mb": float("nan")}, VMS, None, r"ram_mb must be a positive number"),
        ({**SEED_HOST, "cores": 0}, VMS, None, r"cores must be a positive number"),
        ({**SEED_HOST, "cores": 0.5}, VMS, None, r"cores is 0.5; expected at least 1"),
        ({**SEED_HOST, "disk_gb": None}, VMS, None, r"disk_gb must be a positive number"),
        ({"ram_mb": 8192, "cores": 4, "disk_gb": 500}, VMS, None, r"non-empty 'name'"),
        ("vms-1", VMS, None, r"host must be a dict"),
    ],
)
def test_invalid_input(host, components, budgets, pattern):
    with pytest.raises(FilterError, match=pattern) as err:
        forge_sizing(host, components, budgets)
    assert str(err.value).startswith("forge_sizing: ")


placements = st.lists(st.sampled_from(COMPONENTS), min_size=1, unique=True)


@settings(max_examples=300, deadline=None)
@given(
    ram=st.integers(min_value=256, max_value=262144), cores=st.integers(min_value=1, max_value=128), comps=placements
)
def test_allocations_never_exceed_the_host(ram, cores, comps):
    try:
        out = forge_sizing(_host(ram_mb=ram, cores=cores), comps)
    except FilterError as err:
        assert str(err).startswith("forge_sizing: host vms-1 has ")
        return
    assert sum(c["memory_max_mb"] for c in out["components"].values()) + out["os_reserve_mb"] <= ram
    assert sum(u["memory_max_mb"] for u in out["units"].values()) + out["os_reserve_mb"] <= ram
    assert sum(c["cpu_quota_percent"] for c in out["components"].values()) <= cores * 100
    assert sum(u["cpu_quota_percent"] for u in out["units"].values()) <= cores * 100
    for entry in [*out["components"].values(), *out["units"].values()]:
        assert 0 < entry["memory_high_mb"] <= entry["memory_max_mb"]
        assert entry["cpu_quota_percent"] >= 1


@settings(max_examples=200, deadline=None)
@given(
    ram=st.integers(min_value=7680, max_value=262144),
    extra=st.integers(min_value=0, max_value=65536),
    cores=st.integers(min_value=1, max_value=64),
)
def test_more_ram_never_gives_clickhouse_less(ram, extra, cores):
    small = forge_sizing(_host(ram_mb=ram, cores=cores), VMS)
    big = forge_sizing(_host(ram_mb=ram + extra, cores=cores), VMS)
    assert big["components"]["clickhouse"]["memory_max_mb"] >= small["components"]["clickhouse"]["memory_max_mb"]
    for key, value in small["clickhouse"].items():
        assert big["clickhouse"][key] >= value


def test_host_resources_from_the_inventory_win_over_facts():
    facts = {"memtotal_mb": 24000, "processor_vcpus": 2, "mounts": [{"mount": "/", "size_total": 100e9}]}
    assert forge_host_resources("h", {"ram_mb": 8192, "cores": 4, "disk_gb": 500}, facts) == {
        "name": "h", "ram_mb": 8192, "cores": 4, "disk_gb": 500,
    }  # fmt: skip
    assert forge_host_resources("h", None, facts) == {"name": "h", "ram_mb": 24000, "cores": 2, "disk_gb": 100.0}


def test_host_resources_take_the_disk_holding_var_lib():
    facts = {
        "memtotal_mb": 4096,
        "processor_vcpus": 1,
        "mounts": [{"mount": "/", "size_total": 20e9}, {"mount": "/var/lib", "size_total": 500e9}],
    }
    assert forge_host_resources("h", {}, facts)["disk_gb"] == 500.0


@pytest.mark.parametrize(
    ("resources", "facts", "match"),
    [
        ("8GB", None, "forge_host_resources: host h: forge_host_resources must be a dict"),
        (None, None, "forge_host_resources: host h: no forge_host_resources in the inventory and no facts"),
        (None, {"processor_vcpus": 2}, "no facts"),
    ],
)
def test_host_resources_refuse_what_they_cannot_size(resources, facts, match):
    with pytest.raises(FilterError, match=match):
        forge_host_resources("h", resources, facts)


def test_components_follow_the_groups_once_each_in_placement_order():
    sized = {"clickhouse": ["clickhouse"], "signoz": ["signoz", "alertmanager"], "agents": ["agent"]}
    assert forge_components_for(["signoz", "clickhouse", "vms_site"], sized) == ["clickhouse", "signoz", "alertmanager"]
    assert forge_components_for([], sized) == []
    with pytest.raises(FilterError, match="forge_components_for"):
        forge_components_for(["a"], ["clickhouse"])
