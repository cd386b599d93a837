"""Every component and config key roles/otel_agent writes (forge_monitoring/otel_agent.py composes them) is in the
upstream contract of the pinned collector, tests/contracts/otelcol-contrib-<version>.yml: for the contrib build
(every piece placed) and for the core build the tests run (tests/unit/data/otelcol-debian-components.txt).
A planted key is caught."""

from pathlib import Path

import pytest
import yaml
from otel_agent_cases import CONTRIB, CORE, settings

from forge_monitoring import contracts
from forge_monitoring.otel_agent import forge_otel_agent_config

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("receivers", "processors", "exporters", "extensions")


def _contract():
    pins = {c: v for c, v, _ in contracts.pinned_versions(ROOT)}
    return contracts.load_contract(contracts.contract_path(ROOT / "tests" / "contracts", "otelcol-contrib",
                                                           pins["otelcol-contrib"]))  # fmt: skip


def _paths(value, prefix):
    """Dotted key paths of a config value; list items add no segment (a key covers what is under it)."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from _paths(sub, f"{prefix}.{key}")
    elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
        for item in value:
            yield from _paths(item, prefix)
    else:
        yield prefix


def _covered(path, keys):
    """A contract key covers the keys under it only where the contract lists none of them (a leaf)."""
    return any(path == k or (path.startswith(k + ".") and not any(o.startswith(k + ".") for o in keys)) for k in keys)


def violations(config, contract):
    names = {kind: {c["name"] for c in contract["components"].get(kind) or []} for kind in KINDS}
    keys = {k["key"].replace("[]", "") for k in contract["config_keys"]}
    out = []
    for kind in KINDS:
        for cid, body in (config.get(kind) or {}).items():
            ctype = cid.split("/", 1)[0]
            if ctype not in names[kind]:
                out.append(f"{kind}.{ctype}: no such component in the contract")
                continue
            for path in _paths(body, f"{kind}.{ctype}"):
                if path == f"{kind}.{ctype}":
                    continue
                if not _covered(path, keys):
                    out.append(f"{path}: not in the contract")
    for path in _paths(config.get("service") or {}, "service"):
        if not _covered(path, keys):
            out.append(f"{path}: not in the contract")
    return out


@pytest.mark.parametrize("build", [CORE, CONTRIB], ids=["core", "contrib"])
@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_the_composed_config_keeps_to_the_contract(build, protocol):
    over = {"protocol": protocol}
    if protocol == "grpc":
        over["exporter_endpoint"] = "10.0.0.1:4317"
    config = forge_otel_agent_config(build, settings(**over))["config"]
    assert violations(config, _contract()) == []


def test_a_planted_key_and_component_are_caught():
    config = forge_otel_agent_config(CORE, settings())["config"]
    config["exporters"]["otlp_http"]["sending_queue"]["queue_size_mib"] = 5
    config["processors"]["groupbytrace"] = {"wait_duration": "1s"}
    config["service"]["telemetry"] = {"logs": {"level": "debug"}}
    found = violations(yaml.safe_load(yaml.safe_dump(config)), _contract())
    assert "exporters.otlp_http.sending_queue.queue_size_mib: not in the contract" in found
    assert "processors.groupbytrace: no such component in the contract" in found
    assert "service.telemetry.logs.level: not in the contract" in found
