"""Host checks for the foundation scenario (molecule verify, testinfra)."""

import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from chclient import four_letter, query  # noqa: E402

TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
DEV_HOSTS = ("fm-mol-dev-1", "fm-mol-dev-2")  # dev_sites and vpn_spokes (molecule.yml)


def _hv(host):
    return host.ansible.get_variables()


def test_systemd_runs_clean(host):
    assert host.check_output("cat /proc/1/comm") == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    failed = host.run("systemctl --failed --no-legend --plain").stdout.strip()
    assert state == "running", f"{state}: {failed}"


def test_node_exporter_package_pinned(host):
    pkg = host.package("prometheus-node-exporter")
    assert pkg.is_installed
    assert pkg.version == "1.5.0-1+b6"


def test_node_exporter_listens_on_private_address_only(host):
    addr = _hv(host)["forge_private_address"]
    sockets = host.check_output("ss -Htln sport = :9100")
    listening = [line.split()[3] for line in sockets.splitlines()]
    assert listening == [f"{addr}:9100"]
    metrics = host.check_output(f"curl -sf http://{addr}:9100/metrics")
    assert "node_exporter_build_info" in metrics
    # the textfile collector reads the configured directory
    assert "node_textfile_scrape_error 0" in metrics


def test_node_exporter_refuses_other_interfaces(host):
    # 127.0.0.1 and every other address of the host (the WAN, on vms-1 the outsider side and the tunnel) are not served
    private = _hv(host)["forge_private_address"]
    addresses = host.check_output("ip -4 -o addr show | awk '{print $4}' | cut -d/ -f1").split()
    others = [ip for ip in addresses if ip != private]
    assert "127.0.0.1" in others and len(others) >= 2, addresses
    for ip in others:
        assert host.run(f"curl -sf -m 3 http://{ip}:9100/metrics").rc == 7, ip  # connection refused: not bound


def test_node_exporter_args_file(host):
    f = host.file("/etc/default/prometheus-node-exporter")
    assert f.mode == 0o644
    assert f"--collector.textfile.directory={TEXTFILE_DIR}" in f.content_string
    assert "--no-collector.nvme" in f.content_string
    d = host.file(TEXTFILE_DIR)
    assert d.is_directory
    assert d.mode == 0o775


def test_chrony_runs_and_is_validated_config(host):
    assert host.service("chrony").is_running
    assert host.service("chrony").is_enabled
    conf = host.file("/etc/chrony/chrony.conf").content_string
    assert host.run("chronyd -p -f /etc/chrony/chrony.conf").rc == 0
    hv = _hv(host)
    if "vms_site" in hv["group_names"]:
        assert "allow 10.214.0.0/24" in conf
        assert "local stratum 10 orphan" in conf
    else:
        assert "server 10.214.0.11 iburst" in conf
        assert "pool " not in conf


@pytest.mark.hosts(*DEV_HOSTS)
def test_dev_hosts_take_time_from_the_monitoring_site(host):
    assert "dev_sites" in _hv(host)["group_names"]
    for _ in range(20):
        sources = host.check_output("chronyc -n sources")
        if re.search(r"^\^\*\s+10\.214\.0\.11", sources, re.M):
            break
        host.run("sleep 1")
    assert re.search(r"^\^\*\s+10\.214\.0\.11", sources, re.M), sources


def test_journald_limits(host):
    f = host.file("/etc/systemd/journald.conf.d/90-forge.conf")
    assert "SystemMaxUse=1G" in f.content_string
    assert "RateLimitBurst=10000" in f.content_string


def test_sysctl_file_written(host):
    content = host.file("/etc/sysctl.d/90-forge.conf").content_string
    assert "net.core.somaxconn=4096" in content
    assert "vm.swappiness=10" in content


def test_timezone(host):
    assert host.check_output("readlink /etc/localtime") == "/usr/share/zoneinfo/UTC"
    assert host.check_output("date +%Z") == "UTC"


def test_service_user_and_directory(host):
    user = host.user("forge-svc")
    assert user.exists
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000  # a system account
    d = host.file("/var/lib/forge-svc")
    assert d.is_directory
    assert (d.user, d.group, d.mode) == ("forge-svc", "forge-svc", 0o750)


def test_apt_uses_the_inventory_mirror(host):
    """base_apt_mirror set (scripts/test sets it from the machine's own apt sources): the managed sources point
    at it; empty: the role leaves the image's sources alone. Either way the check asserts something."""
    mirror = _hv(host)["base_apt_mirror"]
    if not mirror:
        why = "base_apt_mirror is empty (FORGE_TEST_APT_MIRROR unset when molecule wrote the inventory?)"
        assert not host.file("/etc/apt/sources.list").content_string.startswith("# Managed by forge-monitoring"), why
        assert host.run("grep -rq 'Managed by forge-monitoring' /etc/apt/sources.list.d").rc == 1, why
        return
    sources = host.file("/etc/apt/sources.list.d/debian.sources").content_string
    assert f"URIs: {mirror}" in sources
    assert "Suites: bookworm bookworm-updates" in sources
    assert "Suites: bookworm-security" in sources
    assert host.file("/etc/apt/sources.list").content_string.startswith("# Managed by forge-monitoring")
    assert host.file("/etc/apt/apt.conf.d/90forge-proxy").exists is False
    # apt really reads the managed sources
    policy = host.check_output("apt-cache policy")
    assert "bookworm-security" in policy and "bookworm-updates" in policy


def test_node_exporter_limits_follow_the_agent_budget(host):
    """On agent hosts the exporter's unit carries its share of the seed's agent budget (sizing filter):
    200 MB x 0.2 = 40 MiB, and 5 % of the host's CPU x 0.2. The monitoring site's exporter is not budgeted."""
    props = dict(
        line.split("=", 1)
        for line in host.check_output(
            "systemctl show prometheus-node-exporter -p MemoryMax -p MemoryHigh -p CPUQuotaPerSecUSec"
        ).splitlines()
    )
    if "agents" not in _hv(host)["group_names"]:
        assert props["MemoryMax"] == "infinity"
        return
    cores = int(host.check_output("nproc --all"))
    quota_percent = max(1, int(cores * 100 * 0.05)) * 0.2
    assert props["MemoryMax"] == str(40 * 1024 * 1024)
    assert props["MemoryHigh"] == str(36 * 1024 * 1024)
    assert props["CPUQuotaPerSecUSec"] == f"{int(int(quota_percent) * 10)}ms"


def _scrape(host, pattern, timeout=40):
    """The first line of node_exporter's output matching ``pattern``, waiting for the collectors' timers."""
    addr = _hv(host)["forge_private_address"]
    deadline = time.monotonic() + timeout
    while True:
        metrics = host.check_output(f"curl -sf http://{addr}:9100/metrics")
        found = re.search(pattern, metrics, re.M)
        if found or time.monotonic() > deadline:
            return found, metrics
        time.sleep(2)


@pytest.mark.hosts(*DEV_HOSTS)
def test_textfile_collectors_feed_node_exporter(host):
    """The trading hosts' collectors (molecule.yml node_exporter_textfile_collectors) run on their timers, write
    atomically with HELP and TYPE, and node_exporter serves what they wrote without a parse error."""
    for name in ("trading_logs", "gpu", "db_backup"):
        assert host.service(f"forge-textfile-{name}.timer").is_enabled
        assert host.service(f"forge-textfile-{name}.timer").is_running
    size = 4096 + len(host.backend.get_hostname())
    host.run_expect([0], "install -d /var/log/quantum-forge /var/backups/postgresql")
    host.run_expect([0], f"head -c {size} /dev/zero > /var/log/quantum-forge/engine.log")
    host.run_expect([0], "touch -d '-90 seconds' /var/backups/postgresql/base-1.tar.gz")
    try:
        found, metrics = _scrape(host, rf'^log_file_size_bytes{{path="/var/log/quantum-forge/engine.log"}} {size}$')
        assert found, metrics
        found, metrics = _scrape(host, r'^backup_age_seconds\{path="/var/backups/postgresql/base-1.tar.gz"\} (\S+)$')
        assert found and 85 <= float(found.group(1)) < 300, metrics
        assert "# TYPE log_file_size_bytes gauge" in metrics and "# HELP backup_age_seconds" in metrics
        # no GPU on these hosts: the collector writes nothing for it and succeeds
        assert "forge_textfile_gpu_present 0" in metrics and "gpu_cuda_utilization{" not in metrics
        assert "node_textfile_scrape_error 0" in metrics
        for name in ("trading_logs", "gpu", "db_backup"):
            assert re.search(
                rf'^forge_textfile_collector_success{{collector="[a-z-]+",name="{name}"}} 1$', metrics, re.M
            )
    finally:
        host.run("rm -rf /var/log/quantum-forge /var/backups/postgresql")
    assert host.file(f"{TEXTFILE_DIR}/gpu.prom").mode == 0o644


# ---- roles/db_exporters against a real PostgreSQL primary, its streaming replica and pgBouncer (prepare.yml) ----
DB_EXPORTERS = {"postgres-primary": 9187, "postgres-replica": 9188, "pgbouncer-pgbouncer": 9127}


def _exporter(host, port):
    return host.check_output(f"curl -sf -m 5 http://127.0.0.1:{port}/metrics")


def _gauge(page, name):
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", page, re.M)
    return float(found.group(1)) if found else None


@pytest.mark.hosts("fm-mol-dev-1")
def test_db_exporters_read_the_primary_the_replica_and_pgbouncer(host):
    """One exporter per server on the loopback, each reading its database; the seed's postgresql_connection_pool_usage;
    the credentials only in root's 0600 environment files; the packages' own units masked."""
    for job, port in DB_EXPORTERS.items():
        kind, name = job.split("-", 1)
        unit = host.service(f"forge-{kind}-exporter-{name}.service")
        assert unit.is_running and unit.is_enabled, job
        env = host.file(f"/etc/forge/db-exporters/forge-{kind}-exporter-{name}.env")
        assert (env.user, env.group, env.mode) == ("root", "root", 0o600), job
        listening = host.check_output(f"ss -Htln 'sport = :{port}'").split()
        assert listening[3] == f"127.0.0.1:{port}", (job, listening)
        shown = host.check_output(f"systemctl show forge-{kind}-exporter-{name} -p Environment -p ExecStart")
        assert "Monitor" not in shown, f"{job}: the password is in the unit"
    primary, replica = _exporter(host, 9187), _exporter(host, 9188)
    assert _gauge(primary, "pg_up") == 1 and _gauge(replica, "pg_up") == 1
    assert _gauge(primary, "postgresql_replication_is_replica") == 0
    assert _gauge(replica, "postgresql_replication_is_replica") == 1
    assert _gauge(primary, "postgresql_replication_streaming_replicas") == 1
    assert 0 < _gauge(primary, "postgresql_connection_pool_usage") <= 1
    bouncer = _exporter(host, 9127)
    assert _gauge(bouncer, "pgbouncer_up") == 1
    assert re.search(r'^pgbouncer_databases_current_connections\{[^}]*name="trading"', bouncer, re.M), bouncer
    # the primary's exporter connects with TLS (sslmode require, the default): its session shows ssl
    ssl = host.check_output(
        'runuser -u postgres -- psql -Atqc "SELECT bool_or(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a '
        "USING (pid) WHERE a.usename = 'forge_monitor'\""
    )
    assert ssl == "t", ssl
    for unit in ("prometheus-postgres-exporter", "prometheus-pgbouncer-exporter"):
        assert host.check_output(f"systemctl is-enabled {unit} || true") == "masked"
    # Debian 13's Go exporter, from the pinned .deb (versions.yml apt_debs), on this Debian 12 host
    assert host.package("prometheus-pgbouncer-exporter").version == "1:0.10.2-2"


@pytest.mark.hosts("fm-mol-dev-1")
def test_replication_lag_is_measured_and_becomes_data_sync_lag(host):
    """With replay paused on the replica while the primary writes, the replica's exporter shows the lag growing and
    the sync-lag textfile collector turns it into data_sync_lag_seconds; resumed, it falls back to 0."""
    sql = "runuser -u postgres -- psql -Atq -v ON_ERROR_STOP=1"
    host.run_expect([0], f"{sql} -p 5433 -c 'SELECT pg_wal_replay_pause()'")
    try:
        host.run_expect([0], f"{sql} -p 5432 -c 'INSERT INTO trades DEFAULT VALUES'")
        time.sleep(6)
        host.run_expect([0], f"{sql} -p 5432 -c 'INSERT INTO trades DEFAULT VALUES'")
        lag = _gauge(_exporter(host, 9188), "postgresql_replication_lag_seconds")
        assert lag is not None and lag >= 4, lag
        host.run_expect([0], "systemctl start forge-textfile-data_sync.service")
        found, metrics = _scrape(host, r'^data_sync_lag_seconds\{source="exporter"\} (\S+)$')
        assert found and float(found.group(1)) >= 4, metrics
    finally:
        host.run_expect([0], f"{sql} -p 5433 -c 'SELECT pg_wal_replay_resume()'")
    deadline = time.monotonic() + 30
    while _gauge(_exporter(host, 9188), "postgresql_replication_lag_seconds") != 0:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(1)


@pytest.mark.hosts(*DEV_HOSTS)
def test_otel_agent_runs_in_its_budget_with_a_validated_config(host):
    """roles/otel_agent: the release from roles/artifact, the config the binary's own validate accepts, OTLP only on
    localhost, its share of the agent budget in the unit, the client certificate its user reads."""
    assert host.service("otel-agent.service").is_running
    binary = "/opt/otelcol-debian/current/otelcol-debian"
    host.run_expect([0], f"{binary} validate --config=/etc/otel-agent/config.yaml")
    listening = sorted(
        line.split()[3] for line in host.check_output("ss -Htln '( sport = :4317 or sport = :4318 )'").splitlines()
    )
    assert listening == ["127.0.0.1:4317", "127.0.0.1:4318"]
    props = dict(
        line.split("=", 1)
        for line in host.check_output(
            "systemctl show otel-agent -p MemoryMax -p CPUQuotaPerSecUSec -p User"
        ).splitlines()
    )
    # 200 MB x 0.6 = 120 MiB (sizing filter), run as its own user
    assert props["MemoryMax"] == str(120 * 1024 * 1024) and props["User"] == "otel-agent"
    assert props["CPUQuotaPerSecUSec"] not in ("infinity", "")
    key = host.file("/etc/forge/pki/private/otel-agent.key")
    assert (key.user, key.mode) == ("otel-agent", 0o600)
    config = host.check_output("cat /etc/otel-agent/config.yaml")
    assert "min_version: '1.3'" in config or 'min_version: "1.3"' in config
    assert "max_elapsed_time: 0s" in config


def test_firewall_default_drop_with_the_declared_ports(host):
    chain = host.check_output("nft list chain inet forge_filter input")
    assert "policy drop" in chain
    assert re.search(r"ip saddr \{ 10\.214\.10\.1, 10\.214\.20\.1 \} tcp dport 22 accept", chain), chain
    if "vms_site" in _hv(host)["group_names"]:
        # chrony for the WAN and the WireGuard hub's UDP port
        for port, name in ((123, "ntp"), (51820, "wireguard")):
            rule = rf'ip saddr (\{{ )?10\.214\.0\.0/24( \}})? udp dport {port} accept comment "{name}"'
            assert re.search(rule, chain), (name, chain)
    else:
        assert "dport 51820" not in chain  # spokes dial out


def test_wireguard_tunnel_between_the_sites(host):
    peers = host.check_output("wg show wg0 peers").split()
    if "vpn_hub" in _hv(host)["group_names"]:
        assert len(peers) == 2
    else:
        assert len(peers) == 1
        assert host.run("ping -c 2 -W 2 10.214.200.1").rc == 0


PROBE = (
    "import socket, sys\n"
    "for target in sys.argv[1:]:\n"
    "    host, port = target.rsplit(':', 1)\n"
    "    try:\n"
    "        socket.create_connection((host, int(port)), 3).close(); print(target, 'open')\n"
    "    except OSError:\n"
    "        print(target, 'closed')\n"
)


def _probe(host, targets):
    out = host.check_output("python3 -c \"$(cat <<'EOF'\n" + PROBE + 'EOF\n)" ' + " ".join(targets))
    return dict(line.split() for line in out.splitlines())


def test_firewall_keeps_the_data_tier_to_itself(host):
    """From a dev host the front end (443, 3301: frontend_allowed_sources) answers on vms-1's WAN address,
    while the real ClickHouse and ZooKeeper ports and node_exporter answer on none of its addresses; on
    vms-1 itself they do (the probe sees open ports)."""
    hv = _hv(host)
    ports = (8123, 9000, 9009, 2181, 9100, 8080)  # ClickHouse, ZooKeeper, node_exporter, SigNoz's API
    internal = [f"{addr}:{port}" for addr in ("10.214.0.11", "10.214.10.11", "10.214.200.1") for port in ports]
    if "clickhouse" in hv["group_names"]:
        seen = _probe(host, [f"10.214.10.11:{port}" for port in ports])
        assert set(seen.values()) == {"open"}, seen
        return
    seen = _probe(host, ["10.214.0.11:443", "10.214.0.11:3301", *internal])
    assert seen == {"10.214.0.11:443": "open", "10.214.0.11:3301": "open"} | dict.fromkeys(internal, "closed")


@pytest.mark.hosts(*DEV_HOSTS)
def test_ingest_reached_from_the_dev_hosts_only_through_the_tunnel(host):
    """The OTLP ports of the ingest gateway (4317 gRPC, 4318 HTTP) answer a dev host on the hub's tunnel
    address and on none of vms-1's other addresses (WAN, private)."""
    assert "vpn_spokes" in _hv(host)["group_names"]
    targets = [f"{addr}:{port}" for addr in ("10.214.200.1", "10.214.0.11", "10.214.10.11") for port in (4317, 4318)]
    seen = _probe(host, targets)
    assert seen == {t: ("open" if t.startswith("10.214.200.1:") else "closed") for t in targets}, seen


def test_data_tier_on_the_monitoring_site(host):
    """site.yml puts ZooKeeper and ClickHouse (Debian's 18.16, a substitute) on vms-1 only, bound to its
    private address; the signoz user authenticates with its vault password (sent over HTTP basic auth
    from this process, never on a command line) and ClickHouse reaches ZooKeeper."""
    hv = _hv(host)
    if "clickhouse" not in hv["group_names"]:
        assert not host.package("clickhouse-server").is_installed
        assert not host.package("zookeeperd").is_installed
        return
    addr = hv["forge_private_address"]
    for port in (8123, 9000, 9009, 2181):
        listeners = [line.split()[3] for line in host.check_output(f"ss -Htln sport = :{port}").splitlines()]
        assert listeners == [f"{addr}:{port}"], port
    assert four_letter(addr, "ruok") == "imok"
    password = hv["vault_clickhouse_signoz_password"]
    macros = query(addr, "SELECT macro, substitution FROM system.macros ORDER BY macro FORMAT TSV", "signoz", password)
    assert macros == (200, f"cluster\tcluster\nreplica\t{hv['inventory_hostname']}\nshard\t01\n")
    assert int(query(addr, "SELECT count() FROM system.zookeeper WHERE path = '/'", "signoz", password)[1]) > 0
    status, body = query(addr, "SELECT 1", "signoz", "not-the-password")
    assert status != 200 and "Code: 193" in body, body  # WRONG_PASSWORD, from ClickHouse itself
