"""The secured link between the sites (issue 6) on the default scenario's hosts: PKI with mTLS, the nftables
firewall and the WireGuard tunnel, checked for real from the other hosts and from an outsider in no inventory
group (fm-mol-outsider, on fm-mol-out 10.214.99.0/24 only). Moved here from the former secure_link scenario
(issue 14; docs/testing.md maps the old names): the real services of site.yml answer where that scenario ran
stand-ins, side_effect.yml drives the renewal, syncconf and lockout cases.

Per-host checks use testinfra's `host`; checks between hosts run `docker exec` on the scenario's containers
(the controller has the docker CLI) and run once, on the VMS host.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

import tlsprobe  # noqa: E402
from molplay import docker_exec  # noqa: E402

VMS, DEV1, DEV2, OUT = "fm-mol-vms-1", "fm-mol-dev-1", "fm-mol-dev-2", "fm-mol-outsider"
VMS_WAN, VMS_OUT, HUB_TUN = "10.214.0.11", "10.214.99.11", "10.214.200.1"
TEXTFILE = "/var/lib/prometheus/node-exporter"
PRIVATE = {VMS: "10.214.10.11", DEV1: "10.214.20.11", DEV2: "10.214.20.12"}
# ClickHouse (HTTP, native, interserver), ZooKeeper (client, peer, election), SigNoz's API: the real services
# answer on vms-1 (ClickHouse and ZooKeeper on its private address), stand-ins on 0.0.0.0 where none runs (the
# ZooKeeper peer and election ports, side_effect.yml)
INTERNAL_PORTS = (8123, 9000, 9009, 2181, 2888, 3888, 8080)
FRONTEND_NAME = "monitoring.mol.forge.test"  # frontend_server_name from forge_domain
# host -> (certificate, usage, owner of its key): the ingest gateway's server certificate on vms-1, the
# agents' client certificate (roles/otel_agent) on the dev hosts
CERTS = {
    VMS: ("signoz_ingest", "server", "signoz-ingest"),
    DEV1: ("otel-agent", "client", "otel-agent"),
    DEV2: ("otel-agent", "client", "otel-agent"),
}
# the ports a dev host may reach on vms-1's WAN address (the front end's 80 redirect, 443, 3301) and on the
# hub's tunnel address (the ingest gateway's OTLP), and a sample of those it must not: SSH (controller only),
# the internal ports, node_exporter, OTLP off the tunnel, OpAMP, ClickHouse's prometheus port, a random high one
WAN_ALLOWED = {80, 443, 3301}
TUN_ALLOWED = {4317, 4318}
MUST_NOT = {22, *INTERNAL_PORTS, 9100, 4317, 4318, 4320, 9363, 13133, 8443, 33333}


def _name(host):
    return host.backend.get_hostname()


PROBE = (
    "import socket, sys, threading\n"
    "addr, state = sys.argv[1], {}\n"
    "def probe(port):\n"
    "    try:\n"
    "        socket.create_connection((addr, port), 3).close(); state[port] = 'open'\n"
    "    except socket.timeout:\n"
    "        state[port] = 'dropped'\n"
    "    except OSError:\n"
    "        state[port] = 'refused'\n"
    "threads = [threading.Thread(target=probe, args=(int(p),)) for p in sys.argv[2:]]\n"
    "[t.start() for t in threads]; [t.join() for t in threads]\n"
    "print(*(f'{p}:{s}' for p, s in sorted(state.items())))\n"
)


def _states(container, addr, ports):
    """{port: open | dropped (no answer in 3 s: the firewall) | refused (RST: nothing listens)} of TCP connections
    from container to addr, all at once."""
    r = docker_exec(
        container, f"python3 -c \"$(cat <<'EOF'\n{PROBE}EOF\n)\" {addr} {' '.join(map(str, sorted(ports)))}"
    )
    assert r.returncode == 0, r.stderr
    return {int(p): s for p, s in (item.split(":") for item in r.stdout.split())}


def _open(container, addr, ports):
    """The ports of `ports` on addr that accept a TCP connection from container."""
    return {p for p, s in _states(container, addr, ports).items() if s == "open"}


def _connects(container, addr, port):
    return _open(container, addr, [port]) == {port}


def _scan(container, addr):
    r = docker_exec(container, f"python3 /usr/local/lib/fm-mol-portscan.py {addr}", timeout=900)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[-1] == "65535", r.stdout  # "scanned 65535"
    return {int(p) for p in lines[:-2]}


def _metrics(host):
    return host.check_output(f"curl -sf http://{PRIVATE[_name(host)]}:9100/metrics")


# --- PKI ---------------------------------------------------------------------------------


@pytest.mark.hosts(VMS, DEV1, DEV2)
def test_pki_keys_stay_on_the_host_owned_by_the_service_user(host):
    name, usage, owner = CERTS[_name(host)]
    key = host.file(f"/etc/forge/pki/private/{name}.key")
    assert key.mode == 0o600 and key.user == owner and key.group == owner
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
        assert f"IP Address:{HUB_TUN}" in text and "DNS:ingest.mol.forge.test" in text


@pytest.mark.hosts(VMS, DEV1, DEV2)
def test_pki_ca_key_is_encrypted_on_the_controller_and_absent_on_hosts(host):
    # no CA key file on the host (listed one by one: `ls a b` fails as soon as either is missing, so its exit
    # status would pass with a CA key present)
    leaked = host.run("ls -d /etc/forge/pki/*.key /etc/forge/pki/private/ca* 2>/dev/null").stdout.split()
    assert leaked == [], leaked
    # pki_ca_dir is the scenario's ephemeral directory (molecule.yml)
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "ca.key")
    assert os.path.exists(path), "no CA key on the controller"
    # encrypted (PEM "Proc-Type: 4,ENCRYPTED" or PKCS#8 "ENCRYPTED PRIVATE KEY"): OpenSSL
    # opens it with the scenario's test-only vault passphrase and refuses it without
    for passin, ok in (("pass:molecule-test-only-passphrase", True), ("pass:", False), ("pass:wrong", False)):
        r = subprocess.run(
            ["openssl", "pkey", "-in", path, "-passin", passin, "-noout"], capture_output=True, check=False
        )
        assert (r.returncode == 0) is ok, (passin, r.stderr)


@pytest.mark.hosts(VMS, DEV1, DEV2)
def test_pki_expiry_metric_matches_the_certificate(host):
    name = CERTS[_name(host)][0]
    end = host.check_output(f"openssl x509 -in /etc/forge/pki/certs/{name}.crt -noout -enddate").split("=", 1)[1]
    epoch = int(host.check_output(f"date -u -d '{end}' +%s"))
    m = re.search(
        r'^forge_pki_certificate_not_after_timestamp_seconds\{[^}]*name="' + re.escape(name) + r'"[^}]*\} (\S+)$',
        _metrics(host),
        re.M,
    )
    assert m, "expiry metric not scraped"
    assert int(float(m.group(1))) == epoch


@pytest.mark.hosts(DEV1)
def test_pki_renews_only_under_the_threshold(host):
    r = json.loads(host.file("/var/lib/fm-mol-test/renewal.json").content_string)
    serial = {k: re.search(r"serial=(\w+)", r[k]).group(1) for k in ("first", "second", "third")}
    assert serial["first"] == serial["second"] and r["second_changed"] is False
    assert serial["third"] != serial["first"] and r["third_changed"] is True
    assert r["result"]["certificates"]["renew-probe"]["key"] == "/etc/forge/pki/private/renew-probe.key"


@pytest.mark.hosts(VMS)
def test_mtls_accepts_our_client_and_refuses_others(host):
    """The ingest gateway (roles/signoz_ingest, fixture release) on the hub's tunnel address, both OTLP ports
    (4317 gRPC, 4318 HTTP), probed from dev-1: its otel-agent certificate is accepted; no certificate is
    refused with the TLS alert certificate_required; a certificate of another CA with dev-1's own subject, and a
    self-signed one (prepare.yml), are refused with unknown_ca. The alert is what proves the refusal
    (molecule/shared/tlsprobe.py): "no 200" also holds when nothing listens."""
    other = "/var/tmp/fm-other-ca"
    made = docker_exec(
        DEV1,
        f"set -e; rm -rf {other}; mkdir -p {other}; cd {other};"
        " openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt"
        " -subj /CN=other-ca -days 2;"
        " openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout c.key -out c.csr"
        " -subj /CN=fm-mol-dev-1.mol.forge.test;"
        " printf 'extendedKeyUsage=clientAuth\\n' > ext;"
        " openssl x509 -req -in c.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out c.crt -days 2 -extfile ext",
    )
    assert made.returncode == 0, made.stderr
    subject = "openssl x509 -noout -subject -nameopt RFC2253 -in"
    ours = docker_exec(DEV1, f"{subject} /etc/forge/pki/certs/otel-agent.crt").stdout
    assert ours.strip() and docker_exec(DEV1, f"{subject} {other}/c.crt").stdout == ours
    # the site's CA signs neither stand-in
    for crt in (f"{other}/c.crt", "/etc/otelcol-mol/rogue.crt"):
        assert (
            docker_exec(DEV1, f"test -s {crt} && ! openssl verify -CAfile /etc/forge/pki/ca.crt {crt}").returncode == 0
        )
    clients = {
        "accepted": ("/etc/forge/pki/certs/otel-agent.crt", "/etc/forge/pki/private/otel-agent.key"),
        "refused TLSV13_ALERT_CERTIFICATE_REQUIRED": (),
        "refused TLSV1_ALERT_UNKNOWN_CA": (f"{other}/c.crt", f"{other}/c.key"),
    }
    rogue = ("/etc/otelcol-mol/rogue.crt", "/etc/otelcol-mol/rogue.key")
    for port in sorted(TUN_ALLOWED):
        for expected, cert in [*clients.items(), ("refused TLSV1_ALERT_UNKNOWN_CA", rogue)]:
            got = docker_exec(DEV1, tlsprobe.command(HUB_TUN, port, "/etc/forge/pki/ca.crt", *cert)).stdout.strip()
            assert got == expected, (port, cert, got)
    # and over HTTP, the accepted client's request is answered
    base = (
        "curl -sS -m 10 -o /dev/null -w '%{http_code}' --cacert /etc/forge/pki/ca.crt -X POST"
        " -H 'Content-Type: application/json' --data '{}'"
    )
    client = "--cert /etc/forge/pki/certs/otel-agent.crt --key /etc/forge/pki/private/otel-agent.key"
    ok = docker_exec(DEV1, f"{base} {client} https://{HUB_TUN}:4318/v1/traces")
    assert ok.returncode == 0 and ok.stdout.strip() == "200", (ok.stdout, ok.stderr)


# --- firewall ----------------------------------------------------------------------------


@pytest.mark.hosts(VMS)
def test_otlp_ports_only_through_the_tunnel(host):
    for dev in (DEV1, DEV2):
        assert _open(dev, HUB_TUN, TUN_ALLOWED) == TUN_ALLOWED, f"{dev} -> tunnel"
        assert _open(dev, VMS_WAN, TUN_ALLOWED) == set(), f"{dev} -> WAN"
    assert _open(OUT, VMS_OUT, TUN_ALLOWED) == set()


@pytest.mark.hosts(VMS)
def test_ui_ports_from_the_dev_network_not_from_the_outsider(host):
    for port in (443, 3301):
        for dev in (DEV1, DEV2):
            # the real nginx front end answers over TLS with the internal CA's certificate
            r = docker_exec(
                dev,
                f"curl -sS -o /dev/null -w '%{{http_code}}' -m 10 --cacert /etc/forge/pki/ca.crt"
                f" --resolve {FRONTEND_NAME}:{port}:{VMS_WAN} https://{FRONTEND_NAME}:{port}/healthz",
            )
            assert r.returncode == 0 and r.stdout == "200", (dev, port, r.stdout, r.stderr)
        assert not _connects(OUT, VMS_OUT, port), port


@pytest.mark.hosts(VMS)
def test_internal_ports_reachable_from_nowhere_off_host(host):
    """Every internal port answers on vms-1 itself (the real services; the stand-ins of side_effect.yml on the
    ZooKeeper peer and election ports) and from no other host: the firewall drops the attempt (no answer), so it is
    the firewall, not the bind address, that keeps them closed (nothing listening would answer RST at once)."""
    here = _open(VMS, PRIVATE[VMS], INTERNAL_PORTS) | _open(VMS, "127.0.0.1", INTERNAL_PORTS)
    assert here == set(INTERNAL_PORTS), sorted(set(INTERNAL_PORTS) - here)
    for container, addr in ((DEV1, VMS_WAN), (DEV1, HUB_TUN), (DEV2, VMS_WAN), (DEV2, HUB_TUN), (OUT, VMS_OUT)):
        assert _states(container, addr, INTERNAL_PORTS) == dict.fromkeys(INTERNAL_PORTS, "dropped"), container


@pytest.mark.hosts(VMS)
def test_targeted_probes_find_only_what_the_inventory_allows(host):
    """From each dev host: exactly the allowed ports of vms-1's WAN and tunnel addresses, none of the sample that
    must stay closed (the full scan runs once, from the outsider, below)."""
    for dev in (DEV1, DEV2):
        assert _open(dev, VMS_WAN, WAN_ALLOWED | MUST_NOT) == WAN_ALLOWED, dev
        assert _open(dev, HUB_TUN, TUN_ALLOWED | WAN_ALLOWED | MUST_NOT) == TUN_ALLOWED, dev


@pytest.mark.hosts(VMS)
def test_full_scan_from_the_outsider_finds_nothing(host):
    # The inventory allows nothing from 10.214.99.0/24 (SSH only from the controller's gateways, the front
    # end's 443, 3301 and 80 (redirect) from the dev WAN range, OTLP only on wg0 from the tunnel).
    assert _scan(OUT, VMS_OUT) == set()


@pytest.mark.hosts(VMS)
def test_drop_counters_are_exported(host):
    host.check_output("systemctl start forge-firewall-metrics.service")
    prom = host.file(f"{TEXTFILE}/forge_firewall.prom").content_string
    m = re.search(r'forge_firewall_dropped_packets_total\{table="forge_filter",counter="dropped_inbound"\} (\d+)', prom)
    assert m and int(m.group(1)) > 1000, prom  # the outsider's scan above was dropped
    assert 'forge_firewall_table_loaded{table="forge_filter"} 1' in prom
    assert "forge_firewall_dropped_packets_total" in _metrics(host)


@pytest.mark.hosts(VMS, DEV1, DEV2)
def test_firewall_owns_one_table_and_docker_dns_survives(host):
    chain = host.check_output("nft list chain inet forge_filter input")
    assert "policy drop" in chain
    assert re.search(r"ip saddr \{ 10\.214\.10\.1, 10\.214\.20\.1 \} tcp dport 22 accept", chain), chain
    # Docker's embedded-DNS NAT rules in the container are still there, and names resolve
    assert "DOCKER_OUTPUT" in host.check_output("nft list ruleset")
    assert host.run(f"getent hosts {VMS}").rc == 0
    assert "flush ruleset" not in host.file("/etc/forge/firewall/forge.nft").content_string
    assert host.run("nft -c -f /etc/forge/firewall/forge.nft").rc == 0
    assert host.service("forge-firewall").is_enabled


@pytest.mark.hosts(VMS)
def test_lockout_is_rolled_back(host):
    r = json.loads(host.file("/var/lib/fm-mol-test/lockout.json").content_string)
    assert r["refused"] is True and "rollback" in r["message"]
    assert r["locked_out"] is True  # the bad rules were live: the controller's SSH probe was dropped
    assert r["restored_after_s"] <= 60
    # the candidate went back with the rules: a rerun with the confirmed inventory changes nothing
    assert r["candidate_is_confirmed"] is True
    assert "lockout protection" in host.check_output("journalctl -t forge-firewall --no-pager")
    assert host.file("/var/lib/forge/firewall-rollbacks.log").content_string.count("\n") >= 1
    assert "forge_firewall_rollbacks_total" in host.file(f"{TEXTFILE}/forge_firewall_rollback.prom").content_string


# --- WireGuard ---------------------------------------------------------------------------


@pytest.mark.hosts(VMS, DEV1, DEV2)
def test_wireguard_tunnel_on_the_kernel_or_userspace_with_stable_keys(host):
    # the kernel's WireGuard where the kernel has it (the probe interface is removed at once), wireguard-go
    # (a wg-quick fallback, a tun device) where it has not: either way the one this machine can run
    kernel = host.run("ip link add fm-wgtest type wireguard && ip link del fm-wgtest").rc == 0
    kind = host.check_output("ip -d -o link show wg0")
    if kernel:
        assert " wireguard " in kind and host.run("pgrep -x wireguard-go").rc == 1, kind
    else:
        assert " tun " in kind and host.run("pgrep -x wireguard-go").rc == 0, kind
    assert host.file("/etc/wireguard/wg0.key").mode == 0o600
    pub = host.file("/etc/wireguard/wg0.pub").content_string.strip()
    assert host.check_output("wg show wg0 public-key") == pub
    assert "PrivateKey" not in host.file("/etc/wireguard/wg0.conf").content_string
    # keys are those of the first run (converge.yml), after the idempotence rerun and the side effects
    first = host.file("/var/lib/fm-mol-test/keys.first").content_string
    now = host.check_output("sha256sum /etc/wireguard/wg0.key /etc/wireguard/wg0.pub /etc/forge/pki/private/*.key")
    assert [ln for ln in now.splitlines() if "renew-probe" not in ln] == first.splitlines()


@pytest.mark.hosts(VMS)
def test_hub_peers_are_the_spokes_keys(host):
    peers = set(host.check_output("wg show wg0 peers").split())
    spokes = {docker_exec(c, "cat /etc/wireguard/wg0.pub").stdout.strip() for c in (DEV1, DEV2)}
    assert peers == spokes
    for dev in (DEV1, DEV2):
        assert docker_exec(dev, "wg show wg0 persistent-keepalive").stdout.split()[1] == "25"
        assert docker_exec(dev, f"ping -c 2 -W 2 {HUB_TUN}").returncode == 0


@pytest.mark.hosts(VMS)
def test_peer_changes_keep_the_tunnel_up(host):
    r = json.loads(host.file("/var/lib/fm-mol-test/syncconf.json").content_string)
    before, without, after = (r[k].split() for k in ("before", "without_dev2", "after"))
    assert before[:2] == without[:2] == after[:2]  # same interface index, same wireguard-go process
    assert len(before) == 4 and len(without) == 3 and before == after  # ifindex, pid, 2 / 1 / 2 peers
    assert r["drop_synced"] is True and r["readd_synced"] is True and r["ping_dev1_rc"] == 0


@pytest.mark.hosts(VMS, DEV1, DEV2)
def test_handshake_age_is_exported(host):
    for _ in range(10):
        host.run("systemctl start forge-wireguard-metrics.service")
        ages = re.findall(r"^forge_wireguard_peer_handshake_age_seconds\{[^}]*\} (\S+)$", _metrics(host), re.M)
        if ages and all(a not in ("+Inf", "Inf") for a in ages):
            break
        time.sleep(3)
    assert ages, "no handshake metric"
    assert all(float(a) < 300 for a in ages), ages
    assert len(ages) == (2 if _name(host) == VMS else 1)
