"""secure_link scenario (issue 6): PKI with mTLS, the nftables firewall and the WireGuard
tunnel, checked for real from the other hosts and from an outsider in no inventory group.

Per-host checks use testinfra's `host`; checks between hosts run `docker exec` on the
scenario's containers (the controller has the docker CLI) and run once, on the VMS host.
"""

import glob
import json
import os
import re
import subprocess
import time

import pytest

VMS, DEV1, DEV2, OUT = "fm-sec-vms-1", "fm-sec-dev-1", "fm-sec-dev-2", "fm-sec-outsider"
VMS_WAN, VMS_OUT, HUB_TUN = "10.216.0.11", "10.216.99.11", "10.216.200.1"
TEXTFILE = "/var/lib/prometheus/node-exporter"
PRIVATE = {VMS: "10.216.10.11", DEV1: "10.216.20.11", DEV2: "10.216.20.12"}
INTERNAL_PORTS = (8123, 9000, 9009, 2181, 2888, 3888, 8080)  # ClickHouse, ZooKeeper, SigNoz
FRONTEND_NAME = "monitoring.mol.forge.test"  # frontend_server_name from forge_domain
CERTS = {VMS: ("ingest-test", "server"), DEV1: ("agent-test", "client"), DEV2: ("agent-test", "client")}


def _name(host):
    return host.backend.get_hostname()


def _only(host, *names):
    if _name(host) not in names:
        pytest.skip(f"runs on {', '.join(names)}")


def _exec(container, script, timeout=300):
    return subprocess.run(
        ["docker", "exec", container, "sh", "-c", script], capture_output=True, text=True, timeout=timeout, check=False
    )


def _connects(container, addr, port):
    """True when a TCP connection from container to addr:port is accepted (3 s)."""
    probe = "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)"
    return _exec(container, f"python3 -c '{probe}' {addr} {port}", timeout=30).returncode == 0


def _scan(container, addr):
    r = _exec(container, f"python3 /usr/local/lib/fm-sec-portscan.py {addr}", timeout=900)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[-1] == "65535", r.stdout  # "scanned 65535"
    return {int(p) for p in lines[:-2]}


def _metrics(host):
    return host.check_output(f"curl -sf http://{PRIVATE[_name(host)]}:9100/metrics")


# --- PKI ---------------------------------------------------------------------------------


def test_pki_keys_stay_on_the_host_owned_by_the_service_user(host):
    _only(host, VMS, DEV1, DEV2)
    name, usage = CERTS[_name(host)]
    key = host.file(f"/etc/forge/pki/private/{name}.key")
    assert key.mode == 0o600 and key.user == "forge-svc" and key.group == "forge-svc"
    assert host.file("/etc/forge/pki/private").mode == 0o711
    crt = f"/etc/forge/pki/certs/{name}.crt"
    assert host.check_output(f"openssl verify -CAfile /etc/forge/pki/ca.crt {crt}").endswith(": OK")
    # the certificate belongs to the key that was generated here
    assert host.check_output(f"openssl pkey -in /etc/forge/pki/private/{name}.key -pubout") == host.check_output(
        f"openssl x509 -in {crt} -noout -pubkey"
    )
    text = host.check_output(f"openssl x509 -in {crt} -noout -text")
    assert ("TLS Web Server Authentication" if usage == "server" else "TLS Web Client Authentication") in text
    if usage == "server":
        assert "IP Address:10.216.200.1" in text and "DNS:vms-1" in text


def test_pki_ca_key_is_encrypted_on_the_controller_and_absent_on_hosts(host):
    _only(host, VMS, DEV1, DEV2)
    assert host.run("ls /etc/forge/pki/*.key /etc/forge/pki/private/ca*").rc != 0
    # pki_ca_dir defaults to <inventory_dir>-pki, beside molecule's inventory of this scenario
    keys = glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.secure_link/inventory-pki/ca.key"))
    assert keys, "no CA key on the controller"
    for path in keys:
        # encrypted (PEM "Proc-Type: 4,ENCRYPTED" or PKCS#8 "ENCRYPTED PRIVATE KEY"): OpenSSL
        # opens it with the scenario's test-only vault passphrase and refuses it without
        for passin, ok in (("pass:molecule-test-only-passphrase", True), ("pass:", False), ("pass:wrong", False)):
            r = subprocess.run(
                ["openssl", "pkey", "-in", path, "-passin", passin, "-noout"], capture_output=True, check=False
            )
            assert (r.returncode == 0) is ok, (passin, r.stderr)


def test_pki_expiry_metric_matches_the_certificate(host):
    _only(host, VMS, DEV1, DEV2)
    name, _ = CERTS[_name(host)]
    end = host.check_output(f"openssl x509 -in /etc/forge/pki/certs/{name}.crt -noout -enddate").split("=", 1)[1]
    epoch = int(host.check_output(f"date -u -d '{end}' +%s"))
    m = re.search(
        r'^forge_pki_certificate_not_after_timestamp_seconds\{[^}]*name="' + re.escape(name) + r'"[^}]*\} (\S+)$',
        _metrics(host),
        re.M,
    )
    assert m, "expiry metric not scraped"
    assert int(float(m.group(1))) == epoch


def test_pki_renews_only_under_the_threshold(host):
    _only(host, DEV1)
    r = json.loads(host.file("/var/lib/fm-sec-test/renewal.json").content_string)
    serial = {k: re.search(r"serial=(\w+)", r[k]).group(1) for k in ("first", "second", "third")}
    assert serial["first"] == serial["second"] and r["second_changed"] is False
    assert serial["third"] != serial["first"] and r["third_changed"] is True
    assert r["result"]["certificates"]["renew-probe"]["key"] == "/etc/forge/pki/private/renew-probe.key"


def test_mtls_accepts_our_client_and_refuses_others(host):
    _only(host, VMS)
    url = f"https://{HUB_TUN}:4318/"
    base = "curl -sS -m 10 --cacert /etc/forge/pki/ca.crt"
    client = "--cert /etc/forge/pki/certs/agent-test.crt --key /etc/forge/pki/private/agent-test.key"
    ok = _exec(DEV1, f"{base} {client} {url}")
    assert ok.returncode == 0 and ok.stdout.strip() == "client fm-sec-dev-1.mol.forge.test", ok.stderr
    none = _exec(DEV1, f"{base} {url}")
    assert none.returncode != 0, none.stdout
    other = _exec(
        DEV1,
        "set -e; d=$(mktemp -d); cd $d;"
        " openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt"
        " -subj /CN=other-ca -days 2 2>/dev/null;"
        " openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout c.key -out c.csr"
        " -subj /CN=fm-sec-dev-1.mol.forge.test 2>/dev/null;"
        " printf 'extendedKeyUsage=clientAuth\\n' > ext;"
        " openssl x509 -req -in c.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out c.crt -days 2"
        " -extfile ext 2>/dev/null;"
        f" {base} --cert c.crt --key c.key {url}",
    )
    assert other.returncode != 0, other.stdout


# --- firewall ----------------------------------------------------------------------------


def test_otlp_ports_only_through_the_tunnel(host):
    _only(host, VMS)
    for dev in (DEV1, DEV2):
        for port in (4317, 4318):
            assert _connects(dev, HUB_TUN, port), f"{dev} -> tunnel :{port}"
            assert not _connects(dev, VMS_WAN, port), f"{dev} -> WAN :{port}"
    for port in (4317, 4318):
        assert not _connects(OUT, VMS_OUT, port)


def test_ui_ports_from_the_dev_network_not_from_the_outsider(host):
    _only(host, VMS)
    for port in (443, 3301):
        for dev in (DEV1, DEV2):
            # the real nginx front end answers over TLS with the internal CA's certificate
            r = _exec(
                dev,
                f"curl -sS -o /dev/null -w '%{{http_code}}' -m 10 --cacert /etc/forge/pki/ca.crt"
                f" --resolve {FRONTEND_NAME}:{port}:{VMS_WAN} https://{FRONTEND_NAME}:{port}/healthz",
            )
            assert r.returncode == 0 and r.stdout == "200", (dev, port, r.stdout, r.stderr)
        assert not _connects(OUT, VMS_OUT, port), port


def test_internal_ports_reachable_from_nowhere_off_host(host):
    _only(host, VMS)
    for port in INTERNAL_PORTS:
        assert host.run(f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 3)'").rc == 0
        for container, addr in ((DEV1, VMS_WAN), (DEV1, HUB_TUN), (DEV2, VMS_WAN), (OUT, VMS_OUT)):
            assert not _connects(container, addr, port), f"{container} -> {addr}:{port}"


def test_full_scans_find_only_what_the_inventory_allows(host):
    _only(host, VMS)
    # The inventory allows nothing from 10.216.99.0/24 (SSH only from the controller's
    # gateways, the front end's 443, 3301 and 80 (redirect) from the dev WAN range, OTLP
    # only on wg0 from the tunnel).
    assert _scan(OUT, VMS_OUT) == set()
    assert _scan(DEV1, VMS_WAN) == {80, 443, 3301}
    assert _scan(DEV1, HUB_TUN) == {4317, 4318}


def test_drop_counters_are_exported(host):
    _only(host, VMS)
    host.check_output("systemctl start forge-firewall-metrics.service")
    prom = host.file(f"{TEXTFILE}/forge_firewall.prom").content_string
    m = re.search(r'forge_firewall_dropped_packets_total\{table="forge_filter",counter="dropped_inbound"\} (\d+)', prom)
    assert m and int(m.group(1)) > 1000, prom  # the scans above were dropped
    assert 'forge_firewall_table_loaded{table="forge_filter"} 1' in prom
    assert "forge_firewall_dropped_packets_total" in _metrics(host)


def test_firewall_owns_one_table_and_docker_dns_survives(host):
    _only(host, VMS, DEV1, DEV2)
    chain = host.check_output("nft list chain inet forge_filter input")
    assert "policy drop" in chain
    assert re.search(r"ip saddr \{ 10\.216\.10\.1, 10\.216\.20\.1 \} tcp dport 22 accept", chain), chain
    # Docker's embedded-DNS NAT rules in the container are still there, and names resolve
    assert "DOCKER_OUTPUT" in host.check_output("nft list ruleset")
    assert host.run("getent hosts fm-sec-vms-1").rc == 0
    assert "flush ruleset" not in host.file("/etc/forge/firewall/forge.nft").content_string
    assert host.run("nft -c -f /etc/forge/firewall/forge.nft").rc == 0
    assert host.service("forge-firewall").is_enabled


def test_lockout_is_rolled_back(host):
    _only(host, VMS)
    r = json.loads(host.file("/var/lib/fm-sec-test/lockout.json").content_string)
    assert r["refused"] is True and "rollback" in r["message"]
    assert r["locked_out"] is True  # the bad rules were live: the controller's SSH probe was dropped
    assert r["restored_after_s"] <= 60
    assert "lockout protection" in host.check_output("journalctl -t forge-firewall --no-pager")
    assert host.file("/var/lib/forge/firewall-rollbacks.log").content_string.count("\n") >= 1
    assert "forge_firewall_rollbacks_total" in host.file(f"{TEXTFILE}/forge_firewall_rollback.prom").content_string


# --- WireGuard ---------------------------------------------------------------------------


def test_wireguard_userspace_tunnel_with_stable_keys(host):
    _only(host, VMS, DEV1, DEV2)
    assert host.run("ip link add fm-wgtest type wireguard").rc != 0  # this kernel has no WireGuard
    assert host.run("pgrep -x wireguard-go").rc == 0  # so wg-quick fell back to userspace
    assert host.file("/etc/wireguard/wg0.key").mode == 0o600
    pub = host.file("/etc/wireguard/wg0.pub").content_string.strip()
    assert host.check_output("wg show wg0 public-key") == pub
    assert "PrivateKey" not in host.file("/etc/wireguard/wg0.conf").content_string
    # keys are those of the first run, after the idempotence rerun and the side effects
    first = host.file("/var/lib/fm-sec-test/keys.first").content_string
    now = host.check_output("sha256sum /etc/wireguard/wg0.key /etc/wireguard/wg0.pub /etc/forge/pki/private/*.key")
    assert [ln for ln in now.splitlines() if "renew-probe" not in ln] == first.splitlines()


def test_hub_peers_are_the_spokes_keys(host):
    _only(host, VMS)
    peers = set(host.check_output("wg show wg0 peers").split())
    spokes = {_exec(c, "cat /etc/wireguard/wg0.pub").stdout.strip() for c in (DEV1, DEV2)}
    assert peers == spokes
    for dev in (DEV1, DEV2):
        assert _exec(dev, "wg show wg0 persistent-keepalive").stdout.split()[1] == "25"
        assert _exec(dev, f"ping -c 2 -W 2 {HUB_TUN}").returncode == 0


def test_peer_changes_keep_the_tunnel_up(host):
    _only(host, VMS)
    r = json.loads(host.file("/var/lib/fm-sec-test/syncconf.json").content_string)
    before, without, after = (r[k].split() for k in ("before", "without_dev2", "after"))
    assert before[:2] == without[:2] == after[:2]  # same interface index, same wireguard-go process
    assert len(before) == 4 and len(without) == 3 and before == after  # ifindex, pid, 2 / 1 / 2 peers
    assert r["drop_synced"] is True and r["readd_synced"] is True and r["ping_dev1_rc"] == 0


def test_handshake_age_is_exported(host):
    _only(host, VMS, DEV1, DEV2)
    for _ in range(10):
        host.run("systemctl start forge-wireguard-metrics.service")
        ages = re.findall(r"^forge_wireguard_peer_handshake_age_seconds\{[^}]*\} (\S+)$", _metrics(host), re.M)
        if ages and all(a not in ("+Inf", "Inf") for a in ages):
            break
        time.sleep(3)
    assert ages, "no handshake metric"
    assert all(float(a) < 300 for a in ages), ages
    assert len(ages) == (2 if _name(host) == VMS else 1)
