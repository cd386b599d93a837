"""The roles' inventory-only checks, moved here from roles/*/tasks/preflight.yml so they run before any host is
touched (the checks that need a host's facts stay in the roles). Single values are the schema's; these compare
two or more variables, with the role's default where the inventory does not set one."""

from __future__ import annotations

from forge_monitoring.db_exporters import forge_db_exporter_problems
from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import UNSET


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def problems(inv):  # noqa: PLR0912 (one branch per role)
    out = []
    for host in inv.managed:
        roles = inv.roles_of(host)

        def val(role, name, _host=host):
            return inv.value(_host, role, name)

        if "base" in roles:
            sources = [
                val("base", n) for n in ("base_chrony_pools", "base_chrony_servers", "base_chrony_serve_networks")
            ]
            if all(isinstance(s, list) and not s for s in sources):
                out.append(
                    f"{host}: base_chrony_servers, base_chrony_pools and base_chrony_serve_networks are all "
                    "empty; expected a time source (or networks to serve local time to)"
                )
        if "clickhouse" in roles:
            a, b = val("clickhouse", "clickhouse_signoz_user"), val("clickhouse", "clickhouse_admin_user")
            if a is not UNSET and a == b:
                out.append(
                    f"{host}: clickhouse_signoz_user and clickhouse_admin_user are both {a!r}; expected two names"
                )
        if "clickhouse_keeper" in roles:
            out += _distinct_ports(
                host,
                {n: val("clickhouse_keeper", n) for n in ("clickhouse_keeper_port", "clickhouse_keeper_raft_port")},
            )
        if "zookeeper" in roles:
            words = val("zookeeper", "zookeeper_4lw_whitelist")
            if isinstance(words, list) and not {"ruok", "srvr"} <= set(words):
                out.append(
                    f"{host}: zookeeper_4lw_whitelist is {words!r}; expected it to keep ruok and srvr "
                    "(the health checks use them)"
                )
        if "signoz_ingest" in roles:
            out += _distinct_ports(
                host, {n: val("signoz_ingest", n) for n in ("signoz_ingest_grpc_port", "signoz_ingest_http_port")}
            )
        if "db_exporters" in roles:
            out += _db_exporters(host, val)
        if "firewall" in roles:
            out += _firewall(inv, host, val)
        if "frontend" in roles:
            out += _frontend(host, val)
        if "pki" in roles:
            valid, renew = _int(val("pki", "pki_cert_valid_days")), _int(val("pki", "pki_renew_days"))
            if valid is not None and renew is not None and not 0 < renew < valid:
                out.append(
                    f"{host}: pki_renew_days is {renew}, pki_cert_valid_days {valid}; expected "
                    "0 < pki_renew_days < pki_cert_valid_days"
                )
    return out


def _distinct_ports(host, ports):
    values = [v for v in ports.values() if v is not UNSET]
    if len(values) == len(ports) and len(set(map(str, values))) < len(values):
        shown = ", ".join(f"{k}={v}" for k, v in ports.items())
        return [f"{host}: {shown}; expected different ports"]
    return []


def _firewall(inv, host, val):
    out = []
    confirm, rollback = (
        _int(val("firewall", "firewall_confirm_timeout")),
        _int(val("firewall", "firewall_rollback_timeout")),
    )
    if confirm is not None and rollback is not None and rollback <= confirm + 10:
        out.append(
            f"{host}: firewall_rollback_timeout is {rollback}; expected more than firewall_confirm_timeout "
            f"({confirm}) + 10 seconds"
        )
    probe = inv.var(host, "firewall_probe")
    if probe is UNSET:
        connection = inv.var(host, "ansible_connection", "ssh")
        probe = connection in ("ssh", "smart", "paramiko", "ansible.builtin.ssh")
    networks = val("firewall", "firewall_admin_networks")
    if probe is True and isinstance(networks, list) and not networks:
        out.append(
            f"{host}: firewall_admin_networks is []; expected the controller's networks (CIDR): the host "
            "is reached over SSH, and a firewall without them locks the controller out"
        )
    return out


def _frontend(host, val):
    out = []
    users = val("frontend", "frontend_authorized_users")
    if users is UNSET:
        users = val("frontend", "forge_authorized_users")
    if val("frontend", "frontend_oauth_enabled") is not False and users in ([], UNSET):
        out.append(
            f"{host}: forge_authorized_users is empty; expected the GitHub users the OAuth gate lets in, "
            "[{github, email, role: admin|viewer}] (or frontend_oauth_enabled: false where the UI must be open)"
        )
    cert, key = val("frontend", "frontend_tls_cert_src"), val("frontend", "frontend_tls_key_src")
    source = val("frontend", "frontend_tls_source")
    if UNSET not in (cert, key) and bool(cert) != bool(key):
        out.append(
            f"{host}: frontend_tls_cert_src is {cert!r} and frontend_tls_key_src {key!r}; expected both "
            "set (frontend_tls_source: files) or both empty"
        )
    if source == "pki" and cert not in (UNSET, ""):
        out.append(
            f"{host}: frontend_tls_cert_src is {cert!r} with frontend_tls_source pki; expected "
            "frontend_tls_source: files to serve it"
        )
    ports = {n: val("frontend", n) for n in ("frontend_https_port", "frontend_alt_https_port", "frontend_http_port")}
    out += _distinct_ports(host, ports)
    return out


def _db_exporters(host, val):
    """roles/db_exporters' lists and listen address as the role reads them (forge_monitoring/db_exporters.py, the one
    place of these rules; never the passwords)."""
    postgres, pgbouncer = val("db_exporters", "db_exporters_postgres"), val("db_exporters", "db_exporters_pgbouncer")
    address = val("db_exporters", "db_exporters_listen_address")
    if UNSET in (postgres, pgbouncer, address):
        return []
    try:
        return [f"{host}: {p}" for p in forge_db_exporter_problems(postgres, pgbouncer, address)]
    except FilterError as exc:
        return [f"{host}: {str(exc).removeprefix('forge_db_exporter_instances: ')}"]
