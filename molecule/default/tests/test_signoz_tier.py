"""The SigNoz tier inside site.yml on the default scenario's vms-1 (FIXTURE releases, ClickHouse 18.16 from
Debian as the store, the ingest certificate from roles/pki, nginx in front). The tier's own depth (start order,
upgrade, rollback, outage, the real otelcol sender) is molecule/signoz; what the fixtures prove: docs/testing.md."""

import pytest

VMS = "fm-mol-vms-1"
# the ingest gateway listens on the WireGuard hub's tunnel address (vms-1 is the hub)
TUNNEL = "10.214.200.1"


def _only_vms(host):
    if host.backend.get_hostname() != VMS:
        pytest.skip(f"runs on {VMS}")


def test_signoz_answers_through_nginx_on_443_and_3301(host):
    _only_vms(host)
    for port in (443, 3301):
        out = host.check_output(
            f"curl -s -m 10 --cacert /etc/forge/pki/ca.crt --resolve monitoring.mol.forge.test:{port}:127.0.0.1 "
            f"-w ' %{{http_code}}' https://monitoring.mol.forge.test:{port}/api/v1/health"
        )
        assert out == '{"status": "ok"} 200', (port, out)
    version = host.check_output("curl -s -m 10 http://127.0.0.1:8080/api/v1/version")
    assert '"v0.129.0-fixture"' in version


def test_fixture_releases_installed_and_services_running(host):
    _only_vms(host)
    assert host.file("/opt/signoz/current").linked_to == "/opt/signoz/0.129.0-fixture"
    assert host.file("/opt/signoz-otel-collector/current").linked_to == "/opt/signoz-otel-collector/0.144.5-fixture"
    for unit in ("clickhouse-server", "signoz", "signoz-ingest"):
        assert host.service(unit).is_running, unit
    # the migrator oneshot ran to completion before signoz
    assert host.check_output("systemctl show -p Result --value signoz-migrate.service") == "success"


def test_ingest_serves_the_pki_certificate_and_requires_a_client_certificate(host):
    _only_vms(host)
    assert host.run("openssl verify -CAfile /etc/forge/pki/ca.crt /etc/forge/pki/certs/signoz_ingest.crt").rc == 0
    key = host.file("/etc/forge/pki/private/signoz_ingest.key")
    assert (key.user, key.group, key.mode) == ("signoz-ingest", "signoz-ingest", 0o600)
    served = host.run(f"openssl s_client -connect {TUNNEL}:4318 -CAfile /etc/forge/pki/ca.crt </dev/null 2>&1").stdout
    assert "Verify return code: 0 (ok)" in served
    # no client certificate: the gateway refuses the request
    code = host.run(
        f"curl -s -m 5 -o /dev/null -w '%{{http_code}}' --cacert /etc/forge/pki/ca.crt -X POST "
        f"-H 'Content-Type: application/json' --data '{{}}' https://{TUNNEL}:4318/v1/traces"
    ).stdout
    assert code in ("000", "")
    # bound to the tunnel address only, never a wildcard or the WAN/private address
    sockets = host.check_output("ss -Htln '( sport = :4317 or sport = :4318 )'").splitlines()
    listeners = {line.split()[3] for line in sockets}
    assert listeners == {f"{TUNNEL}:4317", f"{TUNNEL}:4318"}
