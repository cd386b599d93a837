"""Invalid inventories, one per row: the real preflight play (the first play of site.yml) stops with the expected
message, and no host is contacted (the example hosts do not even resolve, so any contact would show as UNREACHABLE).

The base inventory is a copy of inventories/production with test values for its vault secrets and the one change
its plan asks for (a 500 GB cold volume mounted at /srv/clickhouse-cold, without which the seed's retention does not
fit; see test_production_example_*). Most rows are one-line changes to it: `line` edits one line of a file of
inventories/production as an operator would, `host`/`allvars` add a value. The rows run in parallel: each is a
separate ansible-playbook process. docs/preflight.md lists the checks class by class.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from runner import production_copy, run_ansible, vault_test_values

ROOT = Path(__file__).resolve().parents[2]
VMS, DEV1, DEV2 = "vms-1.example.internal", "dev-1.example.internal", "dev-2.example.internal"
ADDR = {VMS: "10.10.0.11", DEV1: "10.20.0.21", DEV2: "10.20.0.22"}
VMS_RESOURCES = {"ram_mb": 8192, "cores": 4, "disk_gb": 500, "cold_disk_gb": 500}


def host(name, **values):
    """A host_vars file: the base values of that host, plus the row's changes."""
    base = {"forge_private_address": ADDR[name]}
    if name == VMS:
        base["forge_host_resources"] = VMS_RESOURCES
        base["clickhouse_cold_disk_path"] = "/srv/clickhouse-cold/"
    return {f"host_vars/{name}.yml": {**base, **values}}


def line(rel, old, new):
    """One line of inventories/production/<rel> changed (the text must be there exactly once)."""
    return {("line", rel, old): new}


def hosts_edit(change):
    """hosts.yml with change(children of all) applied."""
    data = yaml.safe_load((ROOT / "inventories/production/hosts.yml").read_text())
    change(data["all"]["children"])
    return {"hosts.yml": data}


def vault_without(name):
    values = {k: v for k, v in vault_test_values().items() if k != name}
    return {"group_vars/all/vault.yml": values}


def allvars(**values):
    return {"group_vars/all/zz-row.yml": values}


def hosts_without(group):
    data = yaml.safe_load((ROOT / "inventories/production/hosts.yml").read_text())
    del data["all"]["children"]["vms_site"]["children"][group]
    return {"hosts.yml": data}


VERSIONS = yaml.safe_load((ROOT / "versions.yml").read_text())["forge_versions"]
# the lab's SigNoz fixture release (inventories/lab), as an operator would copy it
LAB_PINS = yaml.safe_load((ROOT / "inventories/lab/group_vars/all/signoz-fixtures.yml").read_text())
FIXTURE_SHA = LAB_PINS["lab_fixture_sha256"]["signoz"]["0.129.0-fixture"]
FIXTURE_URL = "https://fixtures.invalid/signoz/{version}/signoz_linux_amd64.tar.gz"


def signoz_release(version=None, **amd64):
    """The whole manifest of versions.yml with the signoz entry's version and amd64 fields changed."""
    signoz = VERSIONS["artifacts"]["signoz"]
    arch = {**signoz["arch"], "amd64": {**signoz["arch"]["amd64"], **amd64}}
    arch["amd64"] = {k: v for k, v in arch["amd64"].items() if v is not None}
    return {**VERSIONS["artifacts"], "signoz": {**signoz, "version": version or signoz["version"], "arch": arch}}


ALERT = {"name": "Ghost", "condition": "ghost_metric > 1", "severity": "warning", "channels": ["slack"]}
CASES = {
    # the inventory's shape
    "private address not an IP": (
        host(DEV1, forge_private_address="not-an-ip"),
        [f"{DEV1}: forge_private_address is 'not-an-ip'; expected an IP address"],
    ),
    "private address a wildcard": (
        host(DEV1, forge_private_address="0.0.0.0"),
        [f"{DEV1}: forge_private_address is 0.0.0.0; expected the host's private address"],
    ),
    "unknown environment": (
        host(DEV2, forge_env="staging"),
        [f"{DEV2}: forge_env is 'staging'; expected one of lab, production"],
    ),
    "group missing": (hosts_without("vpn_hub"), ["group vpn_hub: missing; expected it as a child of vms_site"]),
    "substitute in production": (
        host(VMS, forge_substitutes={"signoz": {"kind": "fixture", "what": "test"}}),
        [f"{VMS}: forge_substitutes lists signoz; production inventories never substitute"],
    ),
    # upstream only: fixtures and substitutes, declared or not (forge_monitoring/provenance.py)
    "the lab's SigNoz fixture release copied into production": (
        allvars(
            artifact_manifest=signoz_release("0.129.0-fixture", url=FIXTURE_URL, sha256=FIXTURE_SHA, checksum_url=None)
        ),
        [
            f"{VMS}: artifact_manifest.signoz.version is '0.129.0-fixture', a fixture's version; expected the "
            f"upstream release pinned in versions.yml (signoz {VERSIONS['artifacts']['signoz']['version']})",
            f"{VMS}: artifact_manifest.signoz.arch.amd64.url is '{FIXTURE_URL}' (host fixtures.invalid is a "
            "test-only name); expected the upstream release URL",
            f"{VMS}: artifact_manifest.signoz.arch.amd64.sha256 is {FIXTURE_SHA}, the sha256 of a fixture build",
        ],
    ),
    "the lab's agent collector (the core build from Debian sources) copied into production": (
        host(DEV1, otel_agent_artifact="otelcol-debian"),
        [
            f"{DEV1}: otel_agent_artifact is 'otelcol-debian'; another collector build than otelcol-contrib is a "
            "substitute: expected otelcol-contrib (versions.yml) in production"
        ],
    ),
    "two database exporters on one port": (
        host(
            DEV1,
            db_exporters_postgres=[
                {
                    "name": "primary",
                    "host": "10.20.0.30",
                    "user": "forge_monitor",
                    "password": "pw-Secret-1",
                    "listen_port": 9187,
                },
            ],
            db_exporters_pgbouncer=[
                {
                    "name": "pool",
                    "host": "10.20.0.30",
                    "user": "forge_monitor",
                    "password": "pw-Secret-1",
                    "listen_port": 9187,
                },
            ],
        ),
        [
            f"{DEV1}: db_exporters_pgbouncer (pool).listen_port 9187 is also the port of db_exporters_postgres "
            "(primary), expected one port per exporter"
        ],
    ),
    "a database exporter entry with libpq's key name, and the exporters on the LAN": (
        host(
            DEV1,
            db_exporters_listen_address="0.0.0.0",
            db_exporters_postgres=[
                {
                    "name": "primary",
                    "host": "10.20.0.30",
                    "dbname": "trading",
                    "user": "forge_monitor",
                    "password": "pw-Secret-1",
                    "listen_port": 9187,
                },
            ],
        ),
        [
            f"{DEV1}: db_exporters_listen_address is '0.0.0.0'; expected a loopback address",
            f"{DEV1}: db_exporters_postgres[0] has unknown keys dbname (known: name, host, user, password, "
            "listen_port, port, database, sslmode)",
        ],
    ),
    "a fixture build's sha256 under the upstream version": (
        allvars(artifact_manifest=signoz_release(sha256=FIXTURE_SHA, checksum_url=None)),
        [f"{VMS}: artifact_manifest.signoz.arch.amd64.sha256 is {FIXTURE_SHA}, the sha256 of a fixture build"],
    ),
    "a release from a checkout's molecule fixtures": (
        allvars(artifact_manifest=signoz_release(url="file:///home/ops/forge/molecule/fixtures/signoz.tar.gz")),
        [
            f"{VMS}: artifact_manifest.signoz.arch.amd64.url is 'file:///home/ops/forge/molecule/fixtures/signoz.tar.gz'"
            " (a file:// URL"
        ],
    ),
    "the lab's ClickHouse 18.16 pin copied into production": (
        host(VMS, clickhouse_version="18.16.1+ds-7.3+b2"),
        [
            f"{VMS}: clickhouse_version is '18.16.1+ds-7.3+b2' (ClickHouse 18.16.1); the pinned SigNoz needs "
            "ClickHouse >= "
        ],
    ),
    "a ClickHouse pin below the pinned SigNoz's minimum": (
        host(VMS, clickhouse_version="24.8.14.39"),
        [f"{VMS}: clickhouse_version is '24.8.14.39' (ClickHouse 24.8.14); the pinned SigNoz needs ClickHouse"],
    ),
    "a declared ClickHouse substitute in production": (
        host(
            VMS,
            clickhouse_version="18.16.1+ds-7.3+b2",
            forge_substitutes={"clickhouse": {"kind": "substitute", "what": "Debian 18.16"}},
        ),
        [
            f"{VMS}: forge_substitutes lists clickhouse; production inventories never substitute",
            f"{VMS}: clickhouse_version is '18.16.1+ds-7.3+b2'",
        ],
    ),
    "version minimums skipped in production": (
        allvars(signoz_compat_skip=["clickhouse"]),
        [f"{VMS}: signoz_compat_skip is ['clickhouse']; the version minimums are skipped only in the lab"],
    ),
    "userspace WireGuard forced in production": (
        host(DEV1, wireguard_userspace=True),
        [f"{DEV1}: wireguard_userspace is True; userspace WireGuard (wireguard-go) is a substitute"],
    ),
    "the fixtures' cache as the product's": (
        allvars(artifact_cache_dir="/srv/forge/.cache/fixtures/artifacts"),
        ["controller: artifact_cache_dir is '/srv/forge/.cache/fixtures/artifacts', the fixtures' cache"],
    ),
    # types and ranges, through the roles' argument specs
    "port not an int": (
        allvars(node_exporter_port="abc"),
        [f"{VMS}: node_exporter_port is 'abc'; expected a TCP/UDP port 1-65535"],
    ),
    "port out of range": (
        allvars(node_exporter_port=70000),
        [f"{DEV1}: node_exporter_port is 70000; expected a TCP/UDP port 1-65535"],
    ),
    "bool not a bool": (
        allvars(base_sysctl_apply="maybe"),
        [f"{DEV2}: base_sysctl_apply is 'maybe'; expected true or false"],
    ),
    "dict not a dict": (
        allvars(base_sysctl=["vm.swappiness=1"]),
        [f"{VMS}: base_sysctl is ['vm.swappiness=1']; expected a mapping"],
    ),
    "list not a list": (
        allvars(base_chrony_servers={"ntp": 1}),
        [f"{VMS}: base_chrony_servers is {{'ntp': 1}}; expected a list, each a DNS name or an IP address"],
    ),
    # ports on a host
    "two roles claim one port": (
        host(VMS, base_ports=[{"name": "debug", "port": 9100, "proto": "tcp", "sources": []}]),
        [f"{VMS}: port 9100/tcp is claimed 2 times: base debug, node_exporter node-exporter (node_exporter_port)"],
    ),
    "a role's port variable collides": (
        host(DEV1, node_exporter_port=123, base_ports=[{"name": "x", "port": 123, "proto": "tcp", "sources": []}]),
        [f"{DEV1}: port 123/tcp is claimed 2 times"],
    ),
    "declared port out of range": (
        host(VMS, node_exporter_ports=[{"name": "x", "port": 0, "proto": "tcp", "sources": []}]),
        [f"{VMS}: node_exporter x: port is 0; expected a port 1-65535 (node_exporter_ports)"],
    ),
    "declared port not data": (
        host(VMS, node_exporter_ports=["9100"]),
        [f"{VMS}: node_exporter_ports has '9100'; expected {{name, port, proto, sources}}"],
    ),
    # networks
    "site networks overlap": (
        allvars(forge_networks={"vms_site": "10.10.0.0/16", "dev_sites": "10.10.128.0/17"}),
        ["networks overlap: forge_networks.vms_site (10.10.0.0/16) and forge_networks.dev_sites (10.10.128.0/17)"],
    ),
    "network with host bits": (
        allvars(forge_networks={"vms_site": "10.10.0.0/16", "dev_sites": "10.20.0.1/16"}),
        ["forge_networks.dev_sites is '10.20.0.1/16'", "expected a network in CIDR form like 10.20.0.0/16"],
    ),
    "network not a CIDR": (
        allvars(forge_networks={"vms_site": "10.10.0.0/16", "dev_sites": "dev-lan"}),
        ["forge_networks.dev_sites is 'dev-lan'"],
    ),
    "VPN range inside a site": (
        allvars(wireguard_network="10.20.200.0/24"),
        ["networks overlap: forge_networks.dev_sites (10.20.0.0/16) and wireguard_network (10.20.200.0/24)"],
    ),
    # secrets
    "vault secret not defined": (
        allvars(signoz_admin_password="{{ vault_signoz_admin_password }}"),
        [f"{VMS}: vault_signoz_admin_password is not defined (needed by the inventory variable signoz_admin_password)"],
    ),
    # sizing and retention
    "RAM below the budgets": (
        host(VMS, forge_host_resources={**VMS_RESOURCES, "ram_mb": 4096}),
        [f"{VMS}: forge_sizing: host {VMS} has 4096 MB RAM; the fixed budgets need 6656 MB"],
    ),
    "resources not a dict": (
        host(VMS, forge_host_resources="8GB"),
        [f"{VMS}: forge_host_resources is '8GB'; expected {{ram_mb, cores, disk_gb[, cold_disk_gb]}}"],
    ),
    "zero cores": (
        host(VMS, forge_host_resources={**VMS_RESOURCES, "cores": 0}),
        [f"forge_sizing: host {VMS}: cores must be a positive number, got 0"],
    ),
    "unknown budget": (host(VMS, forge_sizing_budgets={"gpu": 1}), [f"host {VMS}: unknown budget 'gpu'"]),
    "agent host too small": (
        host(DEV1, forge_host_resources={"ram_mb": 1024, "cores": 1, "disk_gb": 20}),
        [f"{DEV1}: forge_sizing: host {DEV1} has 1024 MB RAM"],
    ),
    "retention does not fit the disk": (
        host(VMS, forge_host_resources={**VMS_RESOURCES, "cold_disk_gb": 0}),
        [f"{VMS}: retention does not fit: needs 504.2 GB", "(day 359)"],
    ),
    "negative ingest rate": (
        allvars(forge_ingest_estimates={"logs": {"rate": -1, "bytes": 500, "compression": 10}}),
        [f"{VMS}: forge_retention: forge_ingest_estimates.logs.rate must be a number >= 0, got -1"],
    ),
    "unknown data class": (
        allvars(forge_retention_policy={"signals": {"logs": "forever"}}),
        [f"{VMS}: forge_retention: forge_retention_policy.signals.logs is 'forever'; expected one of"],
    ),
    "negative headroom": (
        allvars(forge_retention_headroom=-0.5),
        [f"{VMS}: forge_retention: forge_retention_headroom must be a number >= 0, got -0.5"],
    ),
    # the metric registry
    "alert on an undeclared metric": (
        allvars(forge_alerts_extra=[ALERT]),
        ["alert 'Ghost': uses metric ghost_metric, which forge_metrics does not declare"],
    ),
    "panel on an undeclared metric": (
        allvars(forge_dashboards_extra=[{"name": "D", "panels": [{"title": "P", "type": "stat", "metric": "ghost"}]}]),
        ["dashboard 'D' panel 'P': uses metric ghost, which forge_metrics does not declare"],
    ),
    "malformed alert condition": (
        allvars(forge_alerts_extra=[{**ALERT, "condition": "when trading stops"}]),
        ["alert 'Ghost': condition 'when trading stops'; expected '<metric> <op> <number|previous_value>"],
    ),
    "metric declared twice": (
        allvars(forge_metrics_extra=[{"name": "quantum_forge_pnl_total", "type": "gauge"}]),
        ["quantum_forge_pnl_total is declared twice"],
    ),
    # addresses (forge_monitoring/checks/addresses.py, the schema's address and network formats)
    "a dev host's address on the monitoring site's network": (
        line(
            "host_vars/dev-1.example.internal.yml",
            "forge_private_address: 10.20.0.21",
            "forge_private_address: 10.10.0.21",
        ),
        [
            f"{DEV1}: forge_private_address is 10.10.0.21; expected an address inside its site's network "
            "forge_networks.dev_sites (10.20.0.0/16)"
        ],
    ),
    "two hosts with one address": (
        line(
            "host_vars/dev-2.example.internal.yml",
            "forge_private_address: 10.20.0.22",
            "forge_private_address: 10.20.0.21",
        ),
        [f"forge_private_address 10.20.0.21 is set on {DEV1}, {DEV2}; expected a different address per host"],
    ),
    "the tunnel network inside the dev sites' network": (
        line("group_vars/all/main.yml", "wireguard_cidr: 10.250.0.0/24", "wireguard_cidr: 10.20.250.0/24"),
        ["networks overlap: forge_networks.dev_sites (10.20.0.0/16) and wireguard_cidr (10.20.250.0/24)"],
    ),
    "the tunnel network without its prefix": (
        line("group_vars/all/main.yml", "wireguard_cidr: 10.250.0.0/24", "wireguard_cidr: 10.250.0.0"),
        [f"{DEV1}: wireguard_cidr is '10.250.0.0'; expected a network in CIDR form like 10.20.0.0/16"],
    ),
    "an admin network with host bits": (
        line("group_vars/all/main.yml", "  - 10.0.0.0/24", "  - 10.0.0.1/24"),
        [f"{VMS}: firewall_admin_networks[0] is '10.0.0.1/24'; expected a network in CIDR form"],
    ),
    # topology (forge_monitoring/checks/topology.py, with filter_plugins/clickhouse_topology.py)
    "no coordinator host": (
        hosts_edit(lambda c: c["vms_site"]["children"]["zookeeper"].update(hosts={})),
        ["group zookeeper: has no hosts; expected at least one in a production inventory"],
    ),
    "an even coordinator ensemble": (
        hosts_edit(lambda c: c["vms_site"]["children"]["zookeeper"]["hosts"].update({DEV1: None})),
        ["group zookeeper: 2 coordinator servers; an ensemble needs an odd number (1, 3, 5) to keep a quorum"],
    ),
    "a misspelled group": (
        hosts_edit(lambda c: c["vms_site"]["children"].update(zookeper=c["vms_site"]["children"].pop("zookeeper"))),
        ["group zookeper: unknown group name (did you mean zookeeper?)", "group zookeeper: missing"],
    ),
    "a ClickHouse shard numbered from 2": (
        host(VMS, clickhouse_shard=2),
        ["group clickhouse: shards are numbered [2]; expected 1..1 without gaps (set clickhouse_shard)"],
    ),
    "two replicas under one name": (
        {
            **hosts_edit(lambda c: c["vms_site"]["children"]["clickhouse"]["hosts"].update({DEV1: None})),
            **host(DEV1, clickhouse_replica=VMS),
        },
        [f"group clickhouse: clickhouse_replica '{VMS}' is used by"],
    ),
    "two VPN hubs": (
        hosts_edit(lambda c: c["vms_site"]["children"]["vpn_hub"]["hosts"].update({DEV1: None})),
        [
            f"group vpn_hub: has 2 host(s) ({VMS}, {DEV1}); expected exactly one WireGuard hub for the spokes",
            f"{DEV1}: is in both vpn_hub and vpn_spokes",
        ],
    ),
    "an agent host outside the tunnel": (
        hosts_edit(lambda c: c["dev_sites"]["children"]["vpn_spokes"]["hosts"].pop(DEV2)),
        [f"{DEV2}: is in agents but not in vpn_spokes; expected every agent host in vpn_spokes"],
    ),
    # enumerations and shapes at any depth (the schema)
    "a misspelled coordinator": (
        line("group_vars/vms_site.yml", "forge_coordinator: zookeeper", "forge_coordinator: zookeper"),
        [f"{VMS}: forge_coordinator is 'zookeper'; expected one of zookeeper, keeper"],
    ),
    "a user's role that does not exist": (
        line("group_vars/frontend.yml", "    role: admin", "    role: owner"),
        [f"{VMS}: forge_authorized_users[0].role is 'owner'; expected one of admin, viewer"],
    ),
    "a misspelled key in a user": (
        line("group_vars/frontend.yml", "    email: you@example.com", "    mail: you@example.com"),
        [f"{VMS}: forge_authorized_users[0] has unknown key(s) mail; expected a mapping {{github, email?, role}}"],
    ),
    "a string where a list is expected": (
        line("group_vars/clickhouse.yml", "  - 10.10.0.0/24", "  10.10.0.0/24"),
        [f"{VMS}: clickhouse_allowed_sources is '10.10.0.0/24'; expected a list, each a network in CIDR form"],
    ),
    "a certificate's usage": (
        host(DEV1, pki_certificates=[{"name": "engine", "usage": "mtls", "common_name": "engine.example.com"}]),
        [f"{DEV1}: pki_certificates[0].usage is 'mtls'; expected one of server, client"],
    ),
    "a disk size with its unit": (
        line("group_vars/dev_sites.yml", "  disk_gb: 200", "  disk_gb: 200GB"),
        [f"{DEV2}: forge_host_resources.disk_gb is '200GB'; expected a number > 0"],
    ),
    "the TLS source misspelled": (
        line("group_vars/frontend.yml", "frontend_tls_source: pki", "frontend_tls_source: acme"),
        [f"{VMS}: frontend_tls_source is 'acme'; expected one of pki, files"],
    ),
    # secrets, `| default('')` or not, with their forms (forge_monitoring/checks/secrets.py)
    "no OAuth client secret in the vault": (
        vault_without("vault_frontend_oauth_client_secret"),
        [
            f"{VMS}: vault_frontend_oauth_client_secret (read by roles/frontend as frontend_oauth_client_secret) is "
            "not defined; expected a vault-encrypted string"
        ],
    ),
    "no JWT secret in the vault": (
        vault_without("vault_signoz_jwt_secret"),
        [f"{VMS}: vault_signoz_jwt_secret (read by roles/signoz as signoz_jwt_secret) is not defined"],
    ),
    "a short JWT secret": (
        allvars(vault_signoz_jwt_secret="changeme-jwt-secret"),
        [
            f"{VMS}: vault_signoz_jwt_secret (read by roles/signoz as signoz_jwt_secret): it is 19 characters long; "
            "expected at least 32"
        ],
    ),
    "a root password outside SigNoz's policy": (
        allvars(vault_signoz_root_password="correct horse battery staple"),
        [
            f"{VMS}: vault_signoz_root_password (read by roles/signoz as signoz_root_password): it lacks an "
            "upper-case letter; it lacks a number"
        ],
    ),
    "a cookie secret of the wrong size": (
        allvars(vault_frontend_oauth_cookie_secret="0123456789abcdef0123"),
        [
            f"{VMS}: vault_frontend_oauth_cookie_secret (read by roles/frontend as frontend_oauth_cookie_secret): it "
            "is 20 bytes; expected 16, 24 or 32 bytes, or base64 of them"
        ],
    ),
    "a short CA passphrase": (
        allvars(vault_pki_ca_passphrase="forge-ca"),
        [
            f"{DEV1}: vault_pki_ca_passphrase (read by roles/pki as pki_ca_passphrase): it is 8 characters long; "
            "expected at least 16"
        ],
    ),
    "one password for both ClickHouse users": (
        allvars(vault_clickhouse_admin_password=vault_test_values()["vault_clickhouse_signoz_password"]),
        [f"{VMS}: vault_clickhouse_signoz_password and vault_clickhouse_admin_password are the same"],
    ),
    "a short ClickHouse password": (
        allvars(vault_clickhouse_admin_password="Admin-1"),
        [
            f"{VMS}: vault_clickhouse_admin_password (read by roles/clickhouse as clickhouse_admin_password): it is "
            "7 characters long; expected at least 12"
        ],
    ),
    # names and URLs (the schema's formats; forge_monitoring/checks/names.py)
    "the domain as a URL": (
        line("group_vars/all/main.yml", "forge_domain: example.com", "forge_domain: https://example.com"),
        [f"{VMS}: forge_domain is 'https://example.com'; expected a DNS name without scheme or path"],
    ),
    "the server name as a URL": (
        allvars(frontend_server_name="https://monitoring.example.com"),
        [f"{VMS}: frontend_server_name is 'https://monitoring.example.com'; expected a DNS name without scheme"],
    ),
    "an apt mirror without its scheme": (
        line(
            "group_vars/all/main.yml",
            "# base_apt_mirror: http://apt.example.internal/debian",
            "base_apt_mirror: apt.example.internal/debian",
        ),
        [f"{DEV1}: base_apt_mirror is 'apt.example.internal/debian'; expected an http(s):// URL or an empty string"],
    ),
    "the external URL without its scheme": (
        allvars(signoz_external_url="monitoring.example.com"),
        [f"{VMS}: signoz_external_url is 'monitoring.example.com'; expected a URL with its scheme"],
    ),
    "a time zone that does not exist": (
        allvars(base_timezone="Europe/Londn"),
        [f"{DEV2}: base_timezone is 'Europe/Londn'; expected a time zone name of the tz database"],
    ),
    "a time zone in lower case": (
        allvars(base_timezone="utc"),
        [f"{VMS}: base_timezone is 'utc'; expected a time zone name of the tz database"],
    ),
    "a misspelled variable": (
        line(
            "group_vars/clickhouse.yml",
            "# clickhouse_cold_disk_path: /srv/clickhouse-cold/",
            "clickhouse_cold_disk_pth: /srv/clickhouse-cold/",
        ),
        [
            f"{VMS}: clickhouse_cold_disk_pth is not a variable any role or play reads; did you mean "
            "clickhouse_cold_disk_path?"
        ],
    ),
    "a disk size in the variable that is gone": (
        allvars(clickhouse_disk_gb=2000),
        [f"{VMS}: clickhouse_disk_gb is not a variable any role or play reads"],
    ),
    # retention (forge_monitoring/checks/retention.py, the schema)
    "compliance kept shorter than trading": (
        line(
            "group_vars/all/main.yml",
            "  classes: {trading: 183, compliance: 365}",
            "  classes: {trading: 183, compliance: 90}",
        ),
        [
            f"{VMS}: forge_retention_policy.classes.compliance is 90 days, shorter than trading (183 days); "
            "expected compliance >= trading"
        ],
    ),
    "the compliance logs as trading data": (
        line("group_vars/all/main.yml", "logs: compliance}", "logs: trading}"),
        [f"{VMS}: forge_retention_policy.signals.logs is 'trading'; expected compliance"],
    ),
    "retention days as text": (
        line("group_vars/all/main.yml", "compliance: 365}", "compliance: 1y}"),
        [f"{VMS}: forge_retention_policy.classes.compliance is '1y'; expected a whole number of days >= 1"],
    ),
    "the headroom as a percentage": (
        line("group_vars/all/main.yml", "forge_retention_headroom: 0.2", "forge_retention_headroom: 20"),
        [f"{VMS}: forge_retention_headroom is 20; expected a fraction 0 <= x < 1"],
    ),
    "a cold volume the plan counts on, without its mount point": (
        host(VMS, clickhouse_cold_disk_path=""),
        [f"{VMS}: forge_host_resources.cold_disk_gb is 500 but clickhouse_cold_disk_path is empty"],
    ),
    "a cold mount point without its size": (
        host(VMS, forge_host_resources={"ram_mb": 8192, "cores": 4, "disk_gb": 2000}),
        [f"{VMS}: clickhouse_cold_disk_path is '/srv/clickhouse-cold/' but forge_host_resources.cold_disk_gb is 0"],
    ),
    # several problems: all are reported at once
    "three problems at once": (
        {
            **host(DEV1, forge_private_address="nowhere"),
            **allvars(node_exporter_port="abc", forge_alerts_extra=[ALERT]),
        },
        [f"{DEV1}: forge_private_address is 'nowhere'", f"{DEV2}: node_exporter_port is 'abc'", "alert 'Ghost'"],
    ),
}


def _make(tmp, files):
    inv = production_copy(tmp)
    for rel, data in {**host(VMS), **files}.items():
        if isinstance(rel, tuple):  # line(): one line of a file changed
            _, name, old = rel
            path = inv / name
            text = path.read_text()
            assert text.count(old + "\n") == 1, f"{name}: {old!r} is not one line of it"
            path.write_text(text.replace(old + "\n", data + "\n"))
            continue
        path = inv / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False))
    return inv


# Most rows run the preflight play alone (playbooks/preflight.yml, the play site.yml imports first): loading the
# whole of site.yml's roles costs each row about one more second of CPU and proves nothing more per row. These rows
# run the real site.yml, which shows that it stops in that play and contacts no host (and
# test_site_yml_starts_with_the_preflight_play checks that it is site.yml's first play).
PREFLIGHT = "playbooks/preflight.yml"
THROUGH_SITE = {"base", "three problems at once"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    # the inventories are made here, one after another: pytest's mktemp is not thread-safe (two threads can race
    # on its numbered directories and their `current` link)
    rows = [
        (name, _make(tmp_path_factory.mktemp("row"), files))
        for name, (files, _) in [("base", ({}, [])), *CASES.items()]
    ]

    def one(row):
        name, inv = row
        return name, run_ansible("ansible-playbook", "-i", inv, "site.yml" if name in THROUGH_SITE else PREFLIGHT)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, rows))


def test_site_yml_starts_with_the_preflight_play():
    first = yaml.safe_load((ROOT / "site.yml").read_text())[0]
    assert first["ansible.builtin.import_playbook"] == PREFLIGHT


def test_the_table_has_at_least_25_rows():
    assert len(CASES) >= 25


def test_the_base_inventory_passes_preflight_and_goes_on_to_the_hosts(results):
    rc, out = results["base"]
    assert "The inventory has" not in out
    # past preflight, site.yml tries the example hosts, which do not exist: proof the base is valid
    assert "PLAY [VMS" in out
    assert rc != 0 and "UNREACHABLE" in out


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_inventory_stops_in_preflight(results, name):
    rc, out = results[name]
    flat = " ".join(out.split()).replace("''", "'")  # the YAML callback folds lines and doubles quotes
    assert rc != 0
    for expected in CASES[name][1]:
        assert expected in flat, f"{name}: {expected!r} not in output:\n{out[-3000:]}"
    assert "PLAY [Preflight checks on the controller]" in out
    assert "PLAY [VMS" not in out, "a play past preflight started"
    recap = out.split("PLAY RECAP", 1)[1]
    assert re.findall(r"^(\S+)\s+: ok=", recap, re.MULTILINE) == ["localhost"]
    assert "UNREACHABLE" not in out


def test_the_database_passwords_are_never_shown(results):
    """The rows with roles/db_exporters entries name the variable and the instance, never the password."""
    for name in ("two database exporters on one port", "a database exporter entry with libpq's key name, and the "
                 "exporters on the LAN"):  # fmt: skip
        assert "pw-Secret-1" not in results[name][1], name
