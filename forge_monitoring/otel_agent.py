"""The dev-site OpenTelemetry agent's configuration (roles/otel_agent), composed from what the installed
collector build really has.

The role runs ``<collector> components`` on the host and hands its YAML output to
:func:`forge_otel_components`; :func:`forge_otel_agent_config` then builds the collector config from those
components and the role's settings. Nothing in the inventory lists the components: a contrib build gets
host metrics, the scrapes, the resource attributes, the health_check extension and a persistent queue; the core
build of the tests (scripts/build-otelcol-debian.sh) gets what it has, and ``left_out`` names every piece it
could not place, with the component that would have carried it.

Config keys are those of tests/contracts/otelcol-contrib-0.159.0.yml (each cited there); the config is checked
by the binary's own ``validate`` before it replaces the live one.

The sending queue (:func:`forge_otel_queue`) holds the configured outage of the host's expected rate, counted in
items (spans, data points, log records: sizer ``items``), capped by what the buffer may hold: the agent's daily
disk budget for the persistent queue (file_storage), a share of the memory limiter's limit for the in-memory
queue. It reports the outage the queue really covers.
"""

from __future__ import annotations

import math

import yaml

from .errors import FilterError, need

SIGNALS = ("traces", "metrics", "logs")
KINDS = ("receivers", "processors", "exporters", "extensions", "connectors")
# the in-memory queue may take this share of the memory limiter's limit (the rest is the pipeline's working set)
MEMORY_QUEUE_SHARE = 0.25
HEALTH_PORT = 13133
ZPAGES_PORT = 55679
# the collector's own metrics: upstream's default reader, Prometheus pull on localhost:8888 (not configured here)
TELEMETRY_URL = "http://localhost:8888/metrics"


def forge_otel_components(text):
    """The components a collector build has, from the YAML its ``components`` subcommand prints.

    Returns {version, command, receivers: [names], processors, exporters, extensions, connectors}.
    """
    need("forge_otel_components", text, str, "the stdout of `<collector> components` (YAML)")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FilterError(f"forge_otel_components: the components output is not YAML: {exc}") from exc
    if not isinstance(data, dict) or "receivers" not in data or "exporters" not in data:
        raise FilterError(
            "forge_otel_components: expected the YAML of `<collector> components` (buildinfo, receivers, processors, "
            f"exporters, extensions), got {str(text)[:120]!r}"
        )
    info = data.get("buildinfo") or {}
    out = {"version": str(info.get("version", "")), "command": str(info.get("command", ""))}
    for kind in KINDS:
        out[kind] = sorted(str(c["name"]) for c in data.get(kind) or [] if isinstance(c, dict) and c.get("name"))
    return out


def forge_otel_queue(items_per_s, outage_hours, item_bytes, *, persistent, disk_budget_mb, memory_limit_mib):
    """Size the exporter's sending queue in items for ``outage_hours`` of ``items_per_s``.

    The cap: the disk budget (persistent queue) or MEMORY_QUEUE_SHARE of the memory limiter's limit (in memory).
    Returns {queue_size, sizer: items, wanted, cap, capped_by, covers_s, persistent}.
    """
    for name, value in (("items_per_s", items_per_s), ("outage_hours", outage_hours), ("item_bytes", item_bytes)):
        need("forge_otel_queue", value, (int, float), f"{name}: a positive number")
        if value <= 0:
            raise FilterError(f"forge_otel_queue: {name} must be a positive number, got {value!r}")
    budget_mb = disk_budget_mb if persistent else memory_limit_mib * MEMORY_QUEUE_SHARE
    need("forge_otel_queue", budget_mb, (int, float), "disk_budget_mb / memory_limit_mib: a positive number")
    if budget_mb <= 0:
        raise FilterError(
            f"forge_otel_queue: the {'disk budget' if persistent else 'memory limit'} must be positive, "
            f"got {budget_mb!r} MB"
        )
    wanted = math.ceil(items_per_s * outage_hours * 3600)
    cap = max(1, int(budget_mb * 1024 * 1024 // item_bytes))
    size = min(wanted, cap)
    return {
        "queue_size": size,
        "sizer": "items",
        "wanted": wanted,
        "cap": cap,
        "capped_by": "" if size == wanted else ("disk budget" if persistent else "memory limit"),
        "covers_s": int(min(size / items_per_s, outage_hours * 3600)),
        "persistent": bool(persistent),
    }


def _need_keys(value, keys, what):
    need("forge_otel_agent_config", value, dict, what)
    missing = [k for k in keys if k not in value]
    if missing:
        raise FilterError(f"forge_otel_agent_config: {what} lacks {', '.join(missing)}")


def _exporter(have, protocol):
    exporter = {"http": "otlp_http", "grpc": "otlp_grpc"}.get(protocol)
    if exporter is None:
        raise FilterError(f"forge_otel_agent_config: protocol must be http or grpc, got {protocol!r}")
    for kind, name in (("receivers", "otlp"), ("processors", "memory_limiter"), ("processors", "batch"),
                       ("exporters", exporter)):  # fmt: skip
        if name not in have[kind]:
            raise FilterError(
                f"forge_otel_agent_config: the collector build has no {name} {kind[:-1]} (it has "
                f"{', '.join(sorted(have[kind])) or 'none'}); the agent needs it"
            )
    return exporter


def _receivers(have, settings, left_out):
    """(receivers config, the metrics pipeline's receivers)."""
    receivers = {
        "otlp": {"protocols": {"grpc": {"endpoint": settings["otlp_grpc_endpoint"]},
                               "http": {"endpoint": settings["otlp_http_endpoint"]}}}
    }  # fmt: skip
    metrics = ["otlp"]
    if "hostmetrics" in have["receivers"]:
        receivers["hostmetrics"] = {
            "collection_interval": settings.get("hostmetrics_interval", "30s"),
            # the scrapers the contract cites; CPU, memory, network and disk come from node_exporter's scrape
            "scrapers": {"load": {}, "filesystem": {}},
        }
        metrics.append("hostmetrics")
    else:
        left_out.append("host metrics: the build has no hostmetrics receiver (node_exporter still serves them)")
    scrapes = settings["scrapes"]
    need("forge_otel_agent_config", scrapes, list, "settings.scrapes: a list of {job, targets, interval}")
    if scrapes and "prometheus" in have["receivers"]:
        receivers["prometheus"] = {"config": {"scrape_configs": [
            {"job_name": s["job"], "scrape_interval": s.get("interval", "30s"),
             "static_configs": [{"targets": list(s["targets"])}]} for s in scrapes
        ]}}  # fmt: skip
        metrics.append("prometheus")
    elif scrapes:
        left_out.append("scrapes of " + ", ".join(s["job"] for s in scrapes) + ": the build has no prometheus receiver")
    return receivers, metrics


def _processors(have, settings, left_out):
    """(processors config, the pipelines' processor chain)."""
    processors = {"memory_limiter": dict(settings["memory_limiter"]), "batch": dict(settings["batch"])}
    chain = ["memory_limiter"]
    resource = settings["resource"]
    if resource and "resource" in have["processors"]:
        processors["resource"] = {"attributes": [
            {"key": k, "value": v, "action": "upsert"} for k, v in sorted(resource.items())
        ]}  # fmt: skip
        chain.append("resource")
    elif resource:
        left_out.append(
            "resource attributes "
            + ", ".join(sorted(resource))
            + ": the build has no resource processor (the senders must set them)"
        )
    return processors, [*chain, "batch"]


def _extensions(have, settings, left_out):
    """(extensions config, the service's extensions, the sending queue, the health URL)."""
    extensions, used = {}, []
    queue = settings["queue"]
    _need_keys(queue, ("queue_size", "sizer", "persistent"), "settings.queue")
    sending_queue = {"enabled": True, "sizer": queue["sizer"], "queue_size": queue["queue_size"]}
    if queue["persistent"] and "file_storage" in have["extensions"]:
        extensions["file_storage/queue"] = {"directory": settings["storage_dir"]}  # the role creates it (0700)
        used.append("file_storage/queue")
        sending_queue["storage"] = "file_storage/queue"
    elif queue["persistent"]:
        left_out.append("the persistent queue: the build has no file_storage extension (the queue is in memory)")
    if "health_check" in have["extensions"]:
        extensions["health_check"] = {"endpoint": f"127.0.0.1:{HEALTH_PORT}"}
        used.append("health_check")
        health_url = f"http://127.0.0.1:{HEALTH_PORT}/"
    elif "zpages" in have["extensions"]:
        extensions["zpages"] = {"endpoint": f"127.0.0.1:{ZPAGES_PORT}"}
        used.append("zpages")
        health_url = f"http://127.0.0.1:{ZPAGES_PORT}/debug/servicez"
    else:
        health_url = TELEMETRY_URL
    return extensions, used, sending_queue, health_url


def forge_otel_agent_config(components, settings):
    """The agent's collector config for a build with ``components`` (forge_otel_components).

    settings: {otlp_grpc_endpoint, otlp_http_endpoint (localhost), exporter_endpoint (https URL of the ingest
    gateway over OTLP/HTTP, host:port for gRPC), protocol (http|grpc), tls {ca_file, cert_file, key_file},
    memory_limiter {check_interval, limit_mib, spike_limit_mib}, batch {...}, queue (forge_otel_queue),
    storage_dir, resource {key: value}, scrapes [{job, targets, interval}], hostmetrics_interval}.

    Returns {config, health_url, left_out: [what could not be placed, and why]}.
    """
    _need_keys(components, ("receivers", "processors", "exporters", "extensions"), "components")
    _need_keys(
        settings,
        ("otlp_grpc_endpoint", "otlp_http_endpoint", "exporter_endpoint", "protocol", "tls", "memory_limiter",
         "batch", "queue", "resource", "scrapes"),
        "settings",
    )  # fmt: skip
    have = {kind: set(components.get(kind) or []) for kind in KINDS}
    left_out = []
    exporter = _exporter(have, settings["protocol"])
    receivers, metrics_receivers = _receivers(have, settings, left_out)
    processors, chain = _processors(have, settings, left_out)
    extensions, service_extensions, sending_queue, health_url = _extensions(have, settings, left_out)
    tls = settings["tls"]
    _need_keys(tls, ("ca_file", "cert_file", "key_file"), "settings.tls")
    exporters = {
        exporter: {
            "endpoint": settings["exporter_endpoint"],
            "tls": {"ca_file": tls["ca_file"], "cert_file": tls["cert_file"], "key_file": tls["key_file"],
                    "min_version": "1.3"},
            "sending_queue": sending_queue,
            # never give up on a batch while the queue holds it: an outage shorter than the queue loses nothing
            "retry_on_failure": {"enabled": True, "max_elapsed_time": "0s", "max_interval": "30s"},
        }
    }  # fmt: skip
    pipelines = {
        "traces": {"receivers": ["otlp"], "processors": list(chain), "exporters": [exporter]},
        "metrics": {"receivers": metrics_receivers, "processors": list(chain), "exporters": [exporter]},
        "logs": {"receivers": ["otlp"], "processors": list(chain), "exporters": [exporter]},
    }
    service = {"pipelines": pipelines}
    if service_extensions:
        service["extensions"] = service_extensions
    config = {"receivers": receivers, "processors": processors, "exporters": exporters, "service": service}
    if extensions:
        config["extensions"] = extensions
    return {"config": config, "health_url": health_url, "left_out": left_out}
