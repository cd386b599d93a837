"""What roles/clickhouse, roles/signoz_ingest and roles/signoz render for ClickHouse and the collector, checked
against the upstream contracts (tests/contracts/): the signoz user's rights on ClickHouse 25.12, the ingest
pipeline of signoz-otel-collector, and DSNs that carry any password. Real ansible-playbook, no ClickHouse."""

import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from runner import ROOT, run_ansible

PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "collector_clickhouse_render.yml"
CONTRACTS = ROOT / "tests" / "contracts"
NASTY = "p@ss:w/o?r#d%41+x &y=z"


def _contract(name):
    return yaml.safe_load((CONTRACTS / name).read_text())


def _pinned_collector():
    versions = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]["artifacts"]
    return _contract(f"signoz-otel-collector-{versions['signoz-otel-collector']['version']}.yml")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    variables = {
        "forge_test_out": str(out),
        "ansible_python_interpreter": sys.executable,
        "vault_clickhouse_signoz_password": NASTY,
        "vault_clickhouse_admin_password": "admin-0123456789",
    }
    rc, output = run_ansible("ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(variables))
    assert rc == 0, output
    env = {}
    for name in ("ingest.env", "migrate.env"):
        env[name] = dict(
            line.split("=", 1) for line in (out / name).read_text().splitlines() if "=" in line and line[0] != "#"
        )
    return {
        "users": ET.parse(out / "forge-users.xml").getroot(),
        "ingest": yaml.safe_load((out / "ingest-config.yaml").read_text()),
        "env": env,
    }


def _go_dsn_password(dsn):
    """The password clickhouse-go reads from a DSN (net/url: the query ends at #, %XX and + decoded)."""
    return parse_qs(urlsplit(dsn).query, keep_blank_values=True)["password"]


def _expand(value, env):
    """${env:NAME} as the collector's env provider expands it."""
    return re.sub(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env[m.group(1)], value)


# --- ClickHouse rights ----------------------------------------------------------------------------------------
def test_signoz_user_reads_the_system_tables_the_migrator_and_signoz_need(rendered):
    user = rendered["users"].find("users/signoz")
    allowed = [d.text for d in user.findall("allow_databases/database")]
    # 25.12: <grants> cannot be combined with allow_databases (UsersConfigParser), so `system` must be listed
    assert user.find("grants") is None
    needed = set()
    for name in (
        "clickhouse-25.12.5.yml",
        _pinned_collector()["component"] + "-" + _pinned_collector()["version"] + ".yml",
    ):
        for right in _contract(name).get("clickhouse_rights", []):
            m = re.match(r"SELECT ON (\w+)\.(\w+)$", right["grant"])
            if m:
                needed.add(m.group(1))
    assert needed == {"system"}
    assert "system" in allowed, "system tables are not readable under select_from_system_db_requires_grant"
    # its own databases stay its only other ones (and they include the meter database the ingest writes)
    assert set(allowed) - {"system"} == {
        "signoz_traces",
        "signoz_metrics",
        "signoz_logs",
        "signoz_metadata",
        "signoz_analytics",
        "signoz_meter",
    }
    assert user.find("access_management") is None


# --- the ingest pipeline against the collector contract ------------------------------------------------------
def _keys(prefix, value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{prefix}.{k}"
            yield from _keys(f"{prefix}.{k}", v)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                yield from _keys(prefix, v)


def test_ingest_config_uses_only_components_and_keys_of_the_pinned_collector(rendered):
    contract = _pinned_collector()
    cfg = rendered["ingest"]
    known = {kind: {c["name"] for c in comps} for kind, comps in contract["components"].items()}
    keys = {k["key"] for k in contract["config_keys"]}
    for kind in ("receivers", "processors", "exporters", "extensions", "connectors"):
        for cid, body in (cfg.get(kind) or {}).items():
            ctype = cid.split("/")[0]
            assert ctype in known.get(kind, set()), f"{kind}.{cid}: not a component of the collector"
            for key in _keys(f"{kind}.{ctype}", body):
                assert key in keys or any(k.startswith(key + ".") for k in keys), f"{key}: not in the contract"


def test_metadataexporter_is_enabled(rendered):
    # upstream default false: without it the exporter starts and writes nothing (contract runtime fact)
    assert rendered["ingest"]["exporters"]["metadataexporter"]["enabled"] is True


def test_ingest_pipeline_has_upstreams_span_metrics_and_meter(rendered):
    cfg = rendered["ingest"]
    pipes = cfg["service"]["pipelines"]
    spanmetrics = [p for p in cfg["processors"] if p.startswith("signozspanmetrics")]
    assert spanmetrics and spanmetrics[0] in pipes["traces"]["processors"]
    sm = cfg["processors"][spanmetrics[0]]
    assert (
        sm["metrics_exporter"] in cfg["exporters"] and sm["aggregation_temporality"] == "AGGREGATION_TEMPORALITY_DELTA"
    )
    assert "signozmeter" in cfg["connectors"]
    for signal in ("traces", "metrics", "logs"):
        assert {"metadataexporter", "signozmeter"} <= set(pipes[signal]["exporters"]), signal
    meter = pipes["metrics/meter"]
    assert meter["receivers"] == ["signozmeter"] and meter["exporters"] == ["signozclickhousemeter"]
    assert urlsplit(cfg["exporters"]["signozclickhousemeter"]["dsn"]).path == "/signoz_meter"


# --- DSNs ----------------------------------------------------------------------------------------------------
def test_every_exporter_dsn_carries_a_password_with_url_delimiters(rendered):
    env = rendered["env"]["ingest.env"]
    ex = rendered["ingest"]["exporters"]
    dsns = {name: body.get("dsn") or body.get("datasource") for name, body in ex.items()}
    for name, dsn in dsns.items():
        assert _go_dsn_password(_expand(dsn, env)) == [NASTY], name
    assert len(dsns) == 5 and all(dsns.values())


def test_migrator_and_sync_check_dsns_carry_the_password(rendered):
    for name in ("ingest.env", "migrate.env"):
        dsn = rendered["env"][name]["SIGNOZ_OTEL_COLLECTOR_CLICKHOUSE_DSN"]
        assert _go_dsn_password(dsn) == [NASTY], name


def test_the_collector_fixture_of_the_pinned_version_accepts_the_rendered_config(rendered, tmp_path):
    """The fixture reads the same contract: the roles' config passes it (unknown keys would be refused)."""
    spec = importlib.util.spec_from_file_location("fixture_build", ROOT / "molecule" / "fixtures" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    version = _pinned_collector()["version"] + "-fixture"
    filename, data = build.build("signoz-otel-collector", version, build.VERSIONS["signoz-otel-collector"][version])
    (tmp_path / filename).write_bytes(data)
    with tarfile.open(tmp_path / filename) as t:
        t.extractall(tmp_path, filter="data")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(json.dumps(rendered["ingest"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOZ_")}
    env |= rendered["env"]["ingest.env"] | {"SIGNOZ_FIXTURE_CHECK_CONFIG": "1"}
    binary = tmp_path / "signoz-otel-collector_linux_amd64" / "bin" / "signoz-otel-collector"
    proc = subprocess.run([sys.executable, str(binary), f"--config={cfg}"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "configuration valid against the contract" in proc.stderr
