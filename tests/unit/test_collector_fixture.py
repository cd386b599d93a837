"""The signoz-otel-collector FIXTURE refuses what upstream refuses, read from the contract of the version it
pretends to be (tests/contracts/signoz-otel-collector-<X.Y.Z>.yml, packed as conf/fixture-contract.json).
Runs the fixture built by molecule/fixtures/build.py as a process; ClickHouse is a stub HTTP server here."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("fixture_build", ROOT / "molecule" / "fixtures" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)

VERSION = "0.144.7-fixture"


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    out = tmp_path_factory.mktemp("collector")
    filename, data = build.build("signoz-otel-collector", VERSION, build.VERSIONS["signoz-otel-collector"][VERSION])
    (out / filename).write_bytes(data)
    with tarfile.open(out / filename) as t:
        t.extractall(out, filter="data")
    return out / "signoz-otel-collector_linux_amd64" / "bin" / "signoz-otel-collector"


def run(binary, *args, env=None, timeout=30):
    full = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOZ_")}
    full.update(env or {})
    proc = subprocess.run([sys.executable, str(binary), *args], capture_output=True, text=True, env=full,
                          timeout=timeout, check=False)  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


class StubClickHouse:
    """ClickHouse's HTTP interface as far as the fixture uses it: records (database, query), answers 1 to counts;
    `deny` maps a system table to an ACCESS_DENIED answer."""

    def __init__(self, deny=()):
        self.queries, stub = [], self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                sql = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                db = parse_qs(urlsplit(self.path).query).get("database", [""])[0]
                stub.queries.append((db, sql))
                code, body = 200, "1\n"
                for table in deny:
                    if f"system.{table}" in sql:
                        code = 500
                        body = f"Code: 497. DB::Exception: Not enough privileges. (ACCESS_DENIED) system.{table}"
                if "FROM system.distribution_queue" in sql:
                    code, body = 404, "Code: 60. DB::Exception: Table system.distribution_queue doesn't exist."
                if "schema_migrations_v2" in sql and sql.startswith("SELECT"):
                    body = ""
                self.send_response(code)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self):
        return {"SIGNOZ_FIXTURE_CLICKHOUSE_HTTP_PORT": str(self.port)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(**changes):
    dsn = "tcp://127.0.0.1:9000/{db}?username=signoz&password=x"
    cfg = {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{free_port()}"}}}},
        "processors": {"batch": {"timeout": "1s"}},
        "exporters": {
            "clickhouselogsexporter": {"dsn": dsn.format(db="signoz_logs"), "use_new_schema": True},
            "metadataexporter": {"dsn": dsn.format(db="signoz_metadata"), "enabled": True},
        },
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{free_port()}"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "logs": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["clickhouselogsexporter", "metadataexporter"],
                }  # fmt: skip
            },
        },
    }
    for path, value in changes.items():
        node = cfg
        *parents, last = path.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return cfg


def check(binary, tmp_path, cfg):
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps(cfg))
    return run(binary, f"--config={path}", env={"SIGNOZ_FIXTURE_CHECK_CONFIG": "1"})


# --- CLI -----------------------------------------------------------------------------------------------------
def test_unknown_subcommand_and_flag_are_refused(collector):
    rc, out = run(collector, "migrate", "sync", "down")
    assert rc == 1 and 'unknown command "down" for "signoz-otel-collector migrate sync"' in out
    rc, out = run(collector, "migrate", "ready", "--dsn=tcp://x")
    assert rc == 1 and "unknown flag: --dsn" in out
    # --timeout belongs to migrate's subcommands, not to the gateway (cobra: a command's and its parents' flags)
    rc, out = run(collector, "--timeout=5m", "--config=/nonexistent")
    assert rc == 1 and "unknown flag: --timeout" in out


# --- config --------------------------------------------------------------------------------------------------
def test_a_config_within_the_contract_is_accepted(collector, tmp_path):
    rc, out = check(collector, tmp_path, config())
    assert rc == 0 and "configuration valid against the contract" in out, out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exporters__clickhouse": {"dsn": "tcp://x"}}, "'exporters' unknown type: 'clickhouse'"),
        ({"exporters__metadataexporter__cache_size": 5}, "has invalid keys: cache_size"),
        ({"processors__batch__send_batch_size_mib": 5}, "has invalid keys: send_batch_size_mib"),
        ({"exporters__clickhouselogsexporter__dsn": None}, "'clickhouselogsexporter': dsn is required"),
        ({"connectors": {"signozmeter": {"metrics_flush_interval": "1h"}}}, "connectors::signozmeter: must be used"),
        ({"processors__signozspanmetrics/delta": {"metrics_exporter": "signozclickhousemetrics"}},
         "metrics_exporter 'signozclickhousemetrics' is not a configured exporter"),
    ],
)  # fmt: skip
def test_what_upstream_refuses_is_refused(collector, tmp_path, change, message):
    rc, out = check(collector, tmp_path, config(**change))
    assert rc == 1 and message in out, out


# --- metadataexporter: accepted without enabled, but writes nothing (upstream's default false) ------------------
def _serve_and_send(collector, tmp_path, cfg, stub):
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps(cfg))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNOZ_")} | stub.env()
    proc = subprocess.Popen([sys.executable, str(collector), f"--config={path}"], env=env,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        otlp = cfg["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
        health = cfg["extensions"]["health_check"]["endpoint"]
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{health}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        body = json.dumps({"resourceLogs": [{"resource": {"attributes": [{"key": "service.name"}]}}]}).encode()
        req = urllib.request.Request(f"http://{otlp}/v1/logs", data=body, headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(req, timeout=5).status == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    return [db for db, sql in stub.queries if sql.startswith("INSERT")], err


def test_metadata_is_written_only_when_enabled(collector, tmp_path):
    stub = StubClickHouse()
    written, _ = _serve_and_send(collector, tmp_path, config(), stub)
    assert written == ["signoz_logs", "signoz_metadata"]
    stub = StubClickHouse()
    written, err = _serve_and_send(collector, tmp_path, config(exporters__metadataexporter__enabled=None), stub)
    assert written == ["signoz_logs"]
    assert "no metadata is written" in err


# --- ClickHouse grants ---------------------------------------------------------------------------------------
def test_migrate_ready_refuses_a_missing_grant_on_a_system_table(collector):
    env = {"SIGNOZ_OTEL_COLLECTOR_CLICKHOUSE_DSN": "tcp://127.0.0.1:9000?username=signoz&password=x"}
    stub = StubClickHouse()
    rc, out = run(collector, "migrate", "ready", "--timeout=1s", env=env | stub.env())
    assert rc == 0, out
    # a table the server lacks (18.16 has no system.distribution_queue) is logged, not refused
    assert "system table absent on this server" in out
    stub = StubClickHouse(deny=["distributed_ddl_queue"])
    rc, out = run(collector, "migrate", "ready", "--timeout=1s", env=env | stub.env())
    assert rc == 1 and "missing grant: SELECT ON system.distributed_ddl_queue" in out
