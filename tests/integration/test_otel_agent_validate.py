"""The config forge_otel_agent_config composes for the core collector build is accepted by that build's own
`validate` (the binary scripts/build-otelcol-debian.sh builds; scripts/test builds it before the tests run), and a
planted unknown key is refused by it: the same check roles/otel_agent runs before a config goes live."""

import subprocess
from pathlib import Path

import pytest
import yaml
from otel_agent_cases import CORE, settings

from forge_monitoring.otel_agent import forge_otel_agent_config

BINARY = Path(__file__).resolve().parents[2] / ".cache" / "otelcol-debian" / "otelcol-debian"
pytestmark = pytest.mark.skipif(not BINARY.exists(), reason="scripts/build-otelcol-debian.sh has not built it")


def _validate(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run([BINARY, "validate", f"--config={path}"], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_the_real_core_build_accepts_the_composed_config(tmp_path, protocol):
    over = {"protocol": protocol, "exporter_endpoint": "10.0.0.1:4317"} if protocol == "grpc" else {}
    # the role reads the components from the same binary
    components = subprocess.run([BINARY, "components"], capture_output=True, text=True, check=True).stdout
    assert "otlp_http" in components
    proc = _validate(tmp_path, forge_otel_agent_config(CORE, settings(**over))["config"])
    assert proc.returncode == 0, proc.stderr


def test_the_real_core_build_refuses_a_planted_key(tmp_path):
    config = forge_otel_agent_config(CORE, settings())["config"]
    config["exporters"]["otlp_http"]["sending_queue"]["queue_size_mib"] = 5
    proc = _validate(tmp_path, config)
    assert proc.returncode != 0 and "queue_size_mib" in proc.stderr
