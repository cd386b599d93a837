#!/usr/bin/env python3
"""TEST-ONLY synthetic trading workload (molecule default, tests/test_signoz_tier.py): OTLP/JSON to the local agent.

    otlp_workload.py RUN_ID SECONDS RATE [ENDPOINT]

RATE is one number for all three signals, or SPANS:POINTS:LOGS (bench/agent_budget.py: 1000:50:500).
Every second, that many spans, metric points and log records, each carrying a unique string
``<RUN_ID>-<signal>-<n>`` (the span name, the log body, the data point's attribute ``seq``), in the seed's
names (quantum_forge_trades_per_minute, a quantum-forge service). Prints one JSON line at the end: what the
agent accepted per signal (HTTP 200). Standard library only: the Python OpenTelemetry SDK is not packaged for
Debian 12, so this speaks the OTLP/HTTP JSON encoding the SDK's exporter would send as protobuf.
"""

import json
import sys
import time
import urllib.request


def post(endpoint, path, body):
    req = urllib.request.Request(
        f"{endpoint}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def main(run_id, seconds, rate, endpoint="http://127.0.0.1:4318"):
    rates = dict(
        zip(
            ("traces", "metrics", "logs"),
            [int(r) for r in rate.split(":")] if ":" in rate else [int(rate)] * 3,
            strict=True,
        )
    )
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "quantum-forge-engine"}}]}
    sent = {"traces": 0, "metrics": 0, "logs": 0}
    n = {"traces": 0, "metrics": 0, "logs": 0}
    end = time.time() + seconds
    while time.time() < end:
        tick = time.time()
        now = str(int(tick * 1e9))
        ids = {signal: range(n[signal], n[signal] + rates[signal]) for signal in n}
        spans = [
            {
                "traceId": f"{i + 1:032x}",
                "spanId": f"{i + 1:016x}",
                "name": f"{run_id}-traces-{i}",
                "kind": 1,
                "startTimeUnixNano": now,
                "endTimeUnixNano": now,
            }
            for i in ids["traces"]
        ]
        points = [
            {
                "asInt": "1",
                "timeUnixNano": now,
                "attributes": [{"key": "seq", "value": {"stringValue": f"{run_id}-metrics-{i}"}}],
            }
            for i in ids["metrics"]
        ]
        logs = [
            {"timeUnixNano": now, "severityText": "INFO", "body": {"stringValue": f"{run_id}-logs-{i}"}}
            for i in ids["logs"]
        ]
        bodies = {
            "traces": ("/v1/traces", {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}),
            "metrics": (
                "/v1/metrics",
                {
                    "resourceMetrics": [
                        {
                            "resource": resource,
                            "scopeMetrics": [
                                {
                                    "metrics": [
                                        {"name": "quantum_forge_trades_per_minute", "gauge": {"dataPoints": points}}
                                    ]
                                }
                            ],
                        }
                    ]
                },
            ),
            "logs": ("/v1/logs", {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": logs}]}]}),
        }
        for signal, (path, body) in bodies.items():
            if rates[signal] and post(endpoint, path, body):
                sent[signal] += rates[signal]
            n[signal] += rates[signal]
        time.sleep(max(0.0, 1.0 - (time.time() - tick)))
    print(json.dumps(sent))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
