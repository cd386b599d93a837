"""The TLS front end for real (Debian nginx, curl, openssl s_client) with the oauth2-proxy FIXTURE
and stand-in fixtures behind it (molecule verify, testinfra). What the fixtures cannot prove is in
docs/testing.md."""

import base64
import hashlib
import json
import os
import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import yaml

testinfra_hosts = ["ansible://fm-fe-vms-1"]  # vms-2 (pki, no gate): test_frontend_pki.py

NAME = "monitoring.mol-fe.forge.test"
CA = "/usr/local/lib/forge-fixtures/test-root-ca.pem"
PORTS = (443, 3301)
ALLOWED, NOT_ALLOWED = "alice-admin", "mallory"


def curl(host, url, *args, port=443, jar=None):
    """(status, headers dict lower-case, body) of one request made inside the container."""
    resolve = f"--resolve {NAME}:{port}:127.0.0.1 --resolve vms-1:{port}:127.0.0.1"
    cookies = f"-b {jar} -c {jar}" if jar else ""
    out = host.check_output(f"curl -sS -D - --cacert {CA} {resolve} {cookies} {' '.join(args)} '{url}'")
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    return status, headers, body


def login(host, user, port=443, path="/services?x=1"):
    """Play browser and GitHub: start at a UI path, then come back from GitHub with a code."""
    jar = f"/tmp/jar-{user}-{port}"
    host.run(f"rm -f {jar}")
    status, headers, _ = curl(host, f"https://{NAME}:{port}{path}", port=port, jar=jar)
    assert status == 302, headers
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["location"]).query)
    state = urllib.parse.quote(query["state"][0], safe="")
    status, headers, body = curl(
        host, f"https://{NAME}:{port}/oauth2/callback?code=login:{user}&state={state}", port=port, jar=jar
    )
    return status, headers, body, jar


def s_client(host, port, *args):
    return host.run(
        f"openssl s_client -connect 127.0.0.1:{port} -servername {NAME} -CAfile {CA} {' '.join(args)} </dev/null 2>&1"
    )


def test_nginx_package_pinned_and_running(host):
    # the one pin, versions.yml (Debian's security archive keeps only the newest update, so the pin moves)
    pinned = yaml.safe_load((Path(__file__).resolve().parents[3] / "versions.yml").read_text())
    assert host.package("nginx").version == pinned["forge_versions"]["apt"]["nginx"]
    assert host.service("nginx").is_running and host.service("nginx").is_enabled


def test_listens_on_443_3301_and_80(host):
    listening = {line.split()[3] for line in host.check_output("ss -Htln").splitlines()}
    for port in (443, 3301, 80):
        assert f"0.0.0.0:{port}" in listening, listening


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_tls_versions_refused(host, port, version):
    # SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all, so the refusal is the server's
    r = s_client(host, port, version, "-cipher DEFAULT@SECLEVEL=0")
    assert r.rc != 0
    assert "alert protocol version" in r.stdout, r.stdout


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("version,label", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_tls12_and_13_accepted_and_verified(host, port, version, label):
    r = s_client(host, port, version)
    assert r.rc == 0, r.stdout
    assert re.search(rf"Protocol\s*:\s*{label}", r.stdout) or f"New, {label}" in r.stdout, r.stdout
    assert "Verify return code: 0 (ok)" in r.stdout


@pytest.mark.parametrize("port", PORTS)
def test_chain_with_intermediate_is_served(host, port):
    r = s_client(host, port, "-showcerts")
    assert r.stdout.count("-----BEGIN CERTIFICATE-----") == 2, r.stdout
    assert f"0 s:CN = {NAME}" in r.stdout
    assert "1 s:CN = forge-monitoring TEST intermediate CA" in r.stdout
    assert "i:CN = forge-monitoring TEST root CA" in r.stdout
    # the client trusts only the root: verification needs the served intermediate
    assert "Verify return code: 0 (ok)" in r.stdout


@pytest.mark.parametrize(
    "host_header,target",
    [
        ("vms-1", "https://vms-1/some/path?q=1"),
        (NAME, f"https://{NAME}/some/path?q=1"),
        ("evil.example", f"https://{NAME}/some/path?q=1"),
    ],
)
def test_http_redirects_to_https(host, host_header, target):
    out = host.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' -H 'Host: {host_header}' http://127.0.0.1/some/path?q=1"
    )
    assert out == f"301 {target}"


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("path", ["/healthz", "/"])
def test_security_headers_on_every_answer(host, port, path):
    _, headers, _ = curl(host, f"https://{NAME}:{port}{path}", port=port)
    assert headers["strict-transport-security"].startswith("max-age=63072000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "connect-src 'self' wss:" in csp
    assert headers["server"] == "nginx"  # no version


@pytest.mark.parametrize("port", PORTS)
def test_unauthenticated_user_is_sent_to_github_login(host, port):
    status, headers, _ = curl(host, f"https://{NAME}:{port}/dashboard", port=port)
    assert status == 302
    loc = urllib.parse.urlsplit(headers["location"])
    assert (loc.scheme, loc.netloc, loc.path) == ("https", "github.com", "/login/oauth/authorize")
    query = urllib.parse.parse_qs(loc.query)
    assert query["client_id"] == ["fixture-client-id"]
    assert query["redirect_uri"] == [f"https://{NAME}/oauth2/callback"]
    assert query["response_type"] == ["code"]
    assert query["state"][0].endswith(":/dashboard")  # nginx handed the original URI to the gate
    assert "_oauth2_proxy_csrf=" in headers["set-cookie"]


@pytest.mark.parametrize("port", PORTS)
def test_allowed_user_reaches_the_ui(host, port):
    status, headers, _, jar = login(host, ALLOWED, port=port)
    assert status == 302 and headers["location"] == "/services?x=1"
    assert "Secure" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]
    status, headers, body = curl(host, f"https://{NAME}:{port}/services?x=1", port=port, jar=jar)
    assert status == 200 and "SigNoz UI stand-in (FIXTURE)" in body
    echo = json.loads(headers["x-fixture-echo"])
    assert echo["path"] == "/services?x=1"
    assert echo["headers"]["x-forwarded-user"] == ALLOWED
    assert echo["headers"]["x-forwarded-email"] == f"{ALLOWED}@users.fixture.test"
    assert echo["headers"]["x-forwarded-proto"] == "https"
    assert echo["headers"]["x-forwarded-port"] == str(port)


def test_user_not_on_the_allow_list_gets_403(host):
    status, _, body, jar = login(host, NOT_ALLOWED)
    assert status == 403 and "unauthorized" in body
    status, headers, _ = curl(host, f"https://{NAME}/", jar=jar)
    assert status == 302 and "github.com/login/oauth/authorize" in headers["location"]


def test_forged_session_cookie_is_refused(host):
    value = base64.urlsafe_b64encode(json.dumps({"user": ALLOWED, "email": "x@y"}).encode()).decode()
    forged = f"_oauth2_proxy={value}|9999999999|{hashlib.sha256(b'guess').hexdigest()}"
    status, headers, _ = curl(host, f"https://{NAME}/", f"-H 'Cookie: {forged}'")
    assert status == 302 and "github.com" in headers["location"]


WS_PROBE = (Path(__file__).resolve().parents[1] / "files" / "ws_probe.py").read_text()


def _ws(host, port, cookie=""):
    host.run("mkdir -p /tmp/fe-tests")
    host.run(f"cat > /tmp/fe-tests/ws_probe.py <<'EOF'\n{WS_PROBE}\nEOF")
    return json.loads(host.check_output(f"python3 /tmp/fe-tests/ws_probe.py {port} {NAME} {CA} '{cookie}'"))


@pytest.mark.parametrize("port", PORTS)
def test_websocket_upgrade_passes_through_to_the_upstream(host, port):
    _, _, _, jar = login(host, ALLOWED, port=port)
    line = [ln for ln in host.file(jar).content_string.splitlines() if "\t_oauth2_proxy\t" in ln]
    cookie = f"_oauth2_proxy={line[0].split(chr(9))[-1]}"
    r = _ws(host, port, cookie)
    assert r["status"] == 101, r["head"]
    accept = base64.b64encode(hashlib.sha1((r["key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    assert f"sec-websocket-accept: {accept.decode()}".lower() in r["head"].lower()
    assert r["reply"] == "echo:hello-through-nginx"


def test_websocket_without_session_is_gated(host):
    assert _ws(host, 443)["status"] == 302


def test_access_log_is_json_lines_with_the_user(host):
    login(host, ALLOWED)
    curl(host, f"https://{NAME}/services?x=1", jar=f"/tmp/jar-{ALLOWED}-443")
    lines = host.file("/var/log/nginx/frontend-access.log").content_string.strip().splitlines()
    records = [json.loads(line) for line in lines[-50:]]
    mine = [r for r in records if r["uri"] == "/services?x=1" and r["status"] == 200]
    assert mine and mine[-1]["user"] == ALLOWED and mine[-1]["tls_protocol"].startswith("TLSv1.")
    assert {"time", "remote_addr", "status", "request_time", "upstream_addr"} <= set(mine[-1])


def test_oauth2_proxy_release_layout_user_and_secrets(host):
    assert "v7.15.3" in host.check_output("/opt/oauth2-proxy/current/oauth2-proxy --version")
    assert host.file("/opt/oauth2-proxy/current").linked_to == "/opt/oauth2-proxy/7.15.3"
    unit = host.file("/etc/systemd/system/oauth2-proxy.service").content_string
    assert "ExecStart=/opt/oauth2-proxy/7.15.3/oauth2-proxy --config=/etc/oauth2-proxy/oauth2-proxy.cfg" in unit
    pid = host.check_output("systemctl show -p MainPID --value oauth2-proxy")
    assert host.check_output(f"ps -o user= -p {pid}") == "oauth2-proxy"
    cmdline = host.file(f"/proc/{pid}/cmdline").content_string
    config = host.file("/etc/oauth2-proxy/oauth2-proxy.cfg").content_string
    for secret in ("fixture-client-secret-not-real", "0123456789abcdef0123456789abcdef"):
        assert secret not in cmdline and secret not in config
    for name in ("client-secret", "cookie-secret"):
        f = host.file(f"/etc/oauth2-proxy/{name}")
        assert (f.user, f.group, f.mode) == ("root", "oauth2-proxy", 0o640)
    assert 'github_users = ["alice-admin", "victor-viewer"]' in config
    assert host.file("/etc/nginx/tls/frontend.key").mode == 0o600


def test_broken_config_is_refused_and_the_live_one_keeps_running(host):
    """A rendered config nginx -t refuses never replaces the live one; nginx keeps serving."""
    before = host.file("/etc/nginx/nginx.conf").sha256sum
    master = host.check_output("cat /run/nginx.pid")
    rc, out = _converge("-e", json.dumps({"frontend_extra_server_directives": ["no_such_directive on;"]}))
    assert rc != 0
    # nginx -t's own message, through the template's validate step (the callback may wrap it)
    assert re.search(r'unknown directive\s+"no_such_directive"', out), out[-3000:]
    assert host.file("/etc/nginx/nginx.conf").sha256sum == before
    assert host.check_output("cat /run/nginx.pid") == master
    status, _, body = curl(host, f"https://{NAME}/healthz")
    assert (status, body.strip()) == (200, "ok")


def _converge(*extra):
    """molecule/frontend's converge.yml with extra ansible-playbook arguments: (returncode, stdout + stderr)."""
    env = dict(os.environ)
    project = env["MOLECULE_PROJECT_DIRECTORY"]
    env.setdefault("ANSIBLE_ROLES_PATH", f"{project}/roles")
    env.setdefault("ANSIBLE_FILTER_PLUGINS", f"{project}/filter_plugins")
    run = subprocess.run(
        ["ansible-playbook", "-i", os.path.dirname(env["MOLECULE_INVENTORY_FILE"]),
         f"{env['MOLECULE_SCENARIO_DIRECTORY']}/converge.yml", *extra],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    return run.returncode, run.stdout + run.stderr


def _manifest_with_oauth2_proxy(version):
    versions = yaml.safe_load((Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "versions.yml").read_text())
    manifest = versions["forge_versions"]["artifacts"]
    manifest["oauth2-proxy"]["version"] = version
    return manifest


def test_upgrade_flips_current_and_back(host):
    """A working release (the fixture's NEXT) goes through the deploy-and-gate path: started, /ping answers,
    promoted to current with the old one as previous; the pinned release deployed again is promoted back."""
    good, nxt = "7.15.3", "7.15.4-fixture"
    before = host.check_output("systemctl show -p MainPID --value oauth2-proxy")
    rc, out = _converge("-e", json.dumps({"artifact_manifest": _manifest_with_oauth2_proxy(nxt)}))
    assert rc == 0, out[-3000:]
    assert host.file("/opt/oauth2-proxy/current").linked_to == f"/opt/oauth2-proxy/{nxt}"
    assert host.file("/opt/oauth2-proxy/previous").linked_to == f"/opt/oauth2-proxy/{good}"
    assert (
        f"ExecStart=/opt/oauth2-proxy/{nxt}/oauth2-proxy "
        in host.file("/etc/systemd/system/oauth2-proxy.service").content_string
    )
    assert host.check_output("systemctl show -p MainPID --value oauth2-proxy") != before
    assert f"v{nxt}" in host.check_output("/opt/oauth2-proxy/current/oauth2-proxy --version")
    rc, out = _converge()
    assert rc == 0, out[-3000:]
    assert host.file("/opt/oauth2-proxy/current").linked_to == f"/opt/oauth2-proxy/{good}"
    assert host.file("/opt/oauth2-proxy/previous").linked_to == f"/opt/oauth2-proxy/{nxt}"
    assert host.check_output("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:4180/ping") == "200"


def test_broken_release_is_rolled_back_and_removed(host):
    """oauth2-proxy goes through roles/artifact's deploy-and-gate path: a release whose /ping answers 503 (the
    fixture's BROKEN build, molecule/fixtures/oauth2-proxy-fixture) is started, fails the gate, and the unit goes
    back to the last known good release, which answers again; the failed release is removed."""
    good = "7.15.3"
    broken = "7.15.4-fixture-broken"
    manifest = _manifest_with_oauth2_proxy(broken)
    rc, out = _converge("-e", json.dumps({"artifact_manifest": manifest, "artifact_deploy_health_retries": 3}))
    assert rc != 0, out[-3000:]
    flat = re.sub(r"\s+", " ", out)
    assert f"oauth2-proxy {broken} on fm-fe-vms-1 failed to start or its health check" in flat, out[-3000:]
    assert f"running the last known good {good} again, the failed release removed" in flat, out[-3000:]
    assert host.file("/opt/oauth2-proxy/current").linked_to == f"/opt/oauth2-proxy/{good}"
    assert not host.file(f"/opt/oauth2-proxy/{broken}").exists
    unit = host.file("/etc/systemd/system/oauth2-proxy.service").content_string
    assert f"ExecStart=/opt/oauth2-proxy/{good}/oauth2-proxy " in unit
    assert host.check_output("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:4180/ping") == "200"
    assert "v7.15.3" in host.check_output("/opt/oauth2-proxy/current/oauth2-proxy --version")
