"""forge_otel_components, forge_otel_queue, forge_otel_agent_config (forge_monitoring/otel_agent.py).

tests/unit/data/otelcol-debian-components.txt is what the core collector built from Debian's sources
(scripts/build-otelcol-debian.sh) printed for `components`; the contrib build's set is written from its
manifest (tests/contracts/otelcol-contrib-0.159.0.yml). The core build's composed config is also run through
the real binary's `validate` (tests/integration/test_otel_agent_validate.py).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from otel_agent_cases import CONTRIB, CORE, settings  # noqa: E402  (tests/ is on the path)

from forge_monitoring.errors import FilterError
from forge_monitoring.otel_agent import (
    MEMORY_QUEUE_SHARE,
    forge_otel_agent_config,
    forge_otel_components,
    forge_otel_queue,
)


def test_components_are_read_from_the_binary_output():
    assert CORE["command"] == "otelcol-debian"
    assert CORE["receivers"] == ["otlp"]
    assert {"batch", "memory_limiter"} <= set(CORE["processors"])
    assert "otlp_http" in CORE["exporters"] and "zpages" in CORE["extensions"]


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "{receivers: [}", "buildinfo: {}\n"])
def test_components_refuse_what_is_not_the_subcommand_output(text):
    with pytest.raises(FilterError, match="forge_otel_components"):
        forge_otel_components(text)


def test_contrib_build_gets_every_piece():
    out = forge_otel_agent_config(CONTRIB, settings())
    cfg = out["config"]
    assert out["left_out"] == []
    assert set(cfg["receivers"]) == {"otlp", "hostmetrics", "prometheus"}
    scrape = cfg["receivers"]["prometheus"]["config"]["scrape_configs"][0]
    assert scrape["job_name"] == "node" and scrape["static_configs"] == [{"targets": ["10.0.0.5:9100"]}]
    assert cfg["service"]["pipelines"]["metrics"]["receivers"] == ["otlp", "hostmetrics", "prometheus"]
    assert cfg["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "resource", "batch"]
    queue = cfg["exporters"]["otlp_http"]["sending_queue"]
    assert queue["storage"] == "file_storage/queue" and queue["sizer"] == "items"
    assert cfg["extensions"]["file_storage/queue"]["directory"] == "/var/lib/otel-agent/queue"
    assert out["health_url"] == "http://127.0.0.1:13133/"
    assert set(cfg["service"]["extensions"]) == {"file_storage/queue", "health_check"}


def test_core_build_reports_every_loss_by_name():
    out = forge_otel_agent_config(CORE, settings())
    cfg = out["config"]
    assert list(cfg["receivers"]) == ["otlp"]
    lost = " | ".join(out["left_out"])
    for what in ("hostmetrics", "prometheus", "resource processor", "file_storage", "node"):
        assert what in lost
    assert "storage" not in cfg["exporters"]["otlp_http"]["sending_queue"]
    assert out["health_url"] == "http://127.0.0.1:55679/debug/servicez"
    assert cfg["service"]["pipelines"]["logs"]["processors"] == ["memory_limiter", "batch"]


def test_exporter_never_drops_a_retried_batch_and_speaks_tls13_with_the_client_certificate():
    exp = forge_otel_agent_config(CORE, settings())["config"]["exporters"]["otlp_http"]
    assert exp["retry_on_failure"]["max_elapsed_time"] == "0s"
    assert exp["tls"] == {"ca_file": "/ca", "cert_file": "/c", "key_file": "/k", "min_version": "1.3"}


def test_grpc_protocol_uses_the_grpc_exporter():
    cfg = forge_otel_agent_config(CORE, settings(protocol="grpc", exporter_endpoint="10.0.0.1:4317"))["config"]
    assert list(cfg["exporters"]) == ["otlp_grpc"]


@pytest.mark.parametrize(
    ("components", "over", "match"),
    [
        ({**CORE, "exporters": ["debug"]}, {}, "no otlp_http exporter"),
        ({**CORE, "processors": ["batch"]}, {}, "no memory_limiter processor"),
        (CORE, {"protocol": "udp"}, "protocol must be http or grpc"),
        (CORE, {"tls": {"ca_file": "/ca"}}, "settings.tls lacks cert_file, key_file"),
        ({"receivers": []}, {}, "components lacks processors"),
    ],
)
def test_config_refuses_a_build_or_settings_it_cannot_serve(components, over, match):
    with pytest.raises(FilterError, match=match):
        forge_otel_agent_config(components, settings(**over))


def test_queue_holds_the_outage_when_the_budget_allows():
    q = forge_otel_queue(2, 6, 256, persistent=True, disk_budget_mb=100, memory_limit_mib=96)
    assert q["queue_size"] == 2 * 6 * 3600 and q["capped_by"] == "" and q["covers_s"] == 6 * 3600


def test_queue_is_capped_by_the_disk_budget_and_says_how_long_it_covers():
    q = forge_otel_queue(1500, 6, 256, persistent=True, disk_budget_mb=100, memory_limit_mib=96)
    assert q["capped_by"] == "disk budget"
    assert q["queue_size"] == 100 * 1024 * 1024 // 256
    assert q["covers_s"] == q["queue_size"] // 1500 < 6 * 3600


@given(
    rate=st.floats(0.01, 1e5),
    hours=st.floats(0.01, 48),
    item=st.integers(16, 4096),
    persistent=st.booleans(),
    budgets=st.tuples(st.integers(1, 10_000), st.integers(8, 4096)),
)
def test_queue_never_exceeds_its_buffer_and_never_holds_more_than_asked(rate, hours, item, persistent, budgets):
    disk, mem = budgets
    q = forge_otel_queue(rate, hours, item, persistent=persistent, disk_budget_mb=disk, memory_limit_mib=mem)
    budget = disk if persistent else mem * MEMORY_QUEUE_SHARE
    assert 1 <= q["queue_size"] <= q["wanted"]
    assert q["queue_size"] * item <= max(budget * 1024 * 1024, item)
    assert (q["capped_by"] == "") == (q["queue_size"] == q["wanted"])
    assert q["covers_s"] <= hours * 3600 + 1


@pytest.mark.parametrize("bad", [0, -1, "6"])
def test_queue_refuses_a_non_positive_outage(bad):
    with pytest.raises(FilterError, match="forge_otel_queue"):
        forge_otel_queue(10, bad, 256, persistent=False, disk_budget_mb=100, memory_limit_mib=96)
