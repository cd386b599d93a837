"""Run the SigNoz TEST FIXTURE (molecule/fixtures/signoz-fixture) as a process on loopback, without Docker.

The release is built by molecule/fixtures/build.py exactly as molecule gets it (the contract packed in) and
unpacked into a world-readable directory; a stub answers the fixture's ClickHouse ping. When the tests run
as root, the fixture runs as nobody, so an unwritable directory is unwritable for it, as for the signoz user.
"""

import contextlib
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
# the fixture is stdlib-only, like the Debian python3 it runs on in molecule; nobody can run this one
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
ROOT_EMAIL = "admin@example.org"
ROOT_PASSWORD = "Root-Passw0rd!x"

_spec = importlib.util.spec_from_file_location("fixture_build", ROOT / "molecule" / "fixtures" / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _ClickHouseStub(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"1\n")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def clickhouse_stub():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _ClickHouseStub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()


def unpack_release(version, contract_edit=None):
    """A world-readable directory with the fixture release of ``version`` (upstream layout, wrapper stripped).

    contract_edit(contract) may change the packed contract (to plant a rule the real contracts lack)."""
    base = Path(tempfile.mkdtemp(prefix="signoz-fixture-", dir="/tmp"))
    base.chmod(0o755)
    _, data = build.build("signoz", version, build.VERSIONS["signoz"][version])
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        t.extractall(base, filter="data")
    home = base / "signoz_linux_amd64"
    if contract_edit:
        path = home / "conf" / "fixture-contract.json"
        contract = json.loads(path.read_text())
        contract_edit(contract)
        path.write_text(json.dumps(contract))
    data_dir = base / "data"
    data_dir.mkdir()
    if os.geteuid() == 0:
        os.chown(data_dir, NOBODY, NOBODY)
    return base, home, data_dir


def base_env(home, data_dir, port, ch_port):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SIGNOZ_FIXTURE_HTTP_PORT": str(port),
        "SIGNOZ_FIXTURE_CLICKHOUSE_HTTP_PORT": str(ch_port),
        "SIGNOZ_FIXTURE_TTL_PENDING_SECONDS": "1",
        "SIGNOZ_SQLSTORE_SQLITE_PATH": str(data_dir / "signoz.db"),
        "SIGNOZ_TELEMETRYSTORE_CLICKHOUSE_DSN": "tcp://127.0.0.1:9000?username=signoz&password=x",
        "SIGNOZ_WEB_ENABLED": "true",
        "SIGNOZ_WEB_DIRECTORY": str(home / "web"),
        "SIGNOZ_EMAILING_TEMPLATES_DIRECTORY": str(home / "templates" / "email"),
        "SIGNOZ_TOKENIZER_JWT_SECRET": "s" * 32,
        "SIGNOZ_USER_ROOT_ENABLED": "true",
        "SIGNOZ_USER_ROOT_EMAIL": ROOT_EMAIL,
        "SIGNOZ_USER_ROOT_PASSWORD": ROOT_PASSWORD,
        "SIGNOZ_USER_ROOT_ORG_NAME": "forge",
        "SIGNOZ_PROMETHEUS_ACTIVE__QUERY__TRACKER_PATH": str(data_dir),
    }


def start(home, env, cwd, timeout=15):
    """(process, exit code or None): the fixture started with ``env`` in ``cwd``; None while it serves."""
    drop = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}
    proc = subprocess.Popen(
        [PYTHON, str(home / "bin" / "signoz"), "server"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **drop,
    )
    port = int(env["SIGNOZ_FIXTURE_HTTP_PORT"])
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return proc, proc.returncode
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return proc, None
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the fixture neither served nor exited")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


def cleanup(base):
    shutil.rmtree(base, ignore_errors=True)


def call(port, path, method="GET", body=None, token=None):
    """(status, content type, parsed JSON or text)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, ctype, raw = r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read().decode()
    return status, ctype, (json.loads(raw) if "json" in ctype else raw)


def login(port):
    _, _, ctx = call(port, f"/api/v2/sessions/context?email={ROOT_EMAIL}&ref=http://x")
    org = ctx["data"]["orgs"][0]["id"]
    _, _, tok = call(
        port, "/api/v2/sessions/email_password", "POST", {"email": ROOT_EMAIL, "password": ROOT_PASSWORD, "orgId": org}
    )
    return tok["data"]["accessToken"]
