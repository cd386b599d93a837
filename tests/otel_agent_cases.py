"""Shared by the otel_agent tests (tests/unit/test_filter_otel_agent.py, test_otel_agent_contract.py): the agent's
settings as roles/otel_agent hands them to forge_otel_agent_config, and the two builds' component sets: the core
collector built from Debian's sources (what it printed for `components`, tests/unit/data/) and the contrib build
(written from its manifest, tests/contracts/otelcol-contrib-0.159.0.yml)."""

from pathlib import Path

from forge_monitoring.otel_agent import forge_otel_components, forge_otel_queue

DATA = Path(__file__).parent / "unit" / "data"
CORE = forge_otel_components((DATA / "otelcol-debian-components.txt").read_text())
CONTRIB = {
    "version": "0.159.0",
    "command": "otelcol-contrib",
    "receivers": ["filelog", "hostmetrics", "otlp", "prometheus"],
    "processors": ["batch", "memory_limiter", "resource"],
    "exporters": ["otlp_grpc", "otlp_http"],
    "extensions": ["file_storage", "health_check", "zpages"],
    "connectors": [],
}


def settings(**over):
    base = {
        "otlp_grpc_endpoint": "127.0.0.1:4317",
        "otlp_http_endpoint": "127.0.0.1:4318",
        "exporter_endpoint": "https://10.0.0.1:4318",
        "protocol": "http",
        "tls": {"ca_file": "/ca", "cert_file": "/c", "key_file": "/k"},
        "memory_limiter": {"check_interval": "1s", "limit_mib": 96, "spike_limit_mib": 19},
        "batch": {"timeout": "1s", "send_batch_size": 512, "send_batch_max_size": 1024},
        "queue": forge_otel_queue(20, 6, 256, persistent=True, disk_budget_mb=100, memory_limit_mib=96),
        "storage_dir": "/var/lib/otel-agent/queue",
        "resource": {"forge.site": "dev-a", "host.name": "dev-1", "deployment.environment": "dev"},
        "scrapes": [{"job": "node", "targets": ["10.0.0.5:9100"]}],
    }
    base.update(over)
    return base
