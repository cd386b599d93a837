"""vms-2: the certificate comes from the internal CA (roles/pki through tasks_from issue) and the
UI is served without the OAuth gate (frontend_oauth_enabled: false)."""

import json

NAME = "monitoring.mol-fe.forge.test"
testinfra_hosts = ["ansible://fm-fe-vms-2"]


def test_chain_from_the_internal_ca_verifies_against_its_bundle(host):
    r = host.run(
        "openssl s_client -connect 127.0.0.1:443 -servername vms-2 -CAfile /etc/forge/pki/ca.crt -showcerts"
        " </dev/null 2>&1"
    )
    assert r.rc == 0, r.stdout
    assert f"0 s:CN = {NAME}" in r.stdout
    assert "Verify return code: 0 (ok)" in r.stdout
    san = host.check_output("openssl x509 -in /etc/forge/pki/certs/frontend.crt -noout -ext subjectAltName")
    assert f"DNS:{NAME}" in san and "DNS:vms-2" in san
    assert host.file("/etc/forge/pki/private/frontend.key").mode == 0o600
    chain = host.file("/etc/nginx/tls/frontend-chain.pem").content_string
    assert chain.count("BEGIN CERTIFICATE") == 2  # issued certificate + CA bundle


def test_ui_without_gate_and_no_oauth2_proxy(host):
    out = host.check_output(
        f"curl -sS -D - --cacert /etc/forge/pki/ca.crt --resolve {NAME}:3301:127.0.0.1 https://{NAME}:3301/x"
    )
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/2 200") and "SigNoz UI stand-in (FIXTURE)" in body
    echo = json.loads([ln.split(":", 1)[1] for ln in head.splitlines() if ln.lower().startswith("x-fixture-echo")][0])
    assert "x-forwarded-user" not in echo["headers"]
    assert not host.file("/etc/systemd/system/oauth2-proxy.service").exists
    assert "auth_request" not in host.file("/etc/nginx/nginx.conf").content_string
