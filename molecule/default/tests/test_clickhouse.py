"""ClickHouse 18.16 (Debian, substitute for 25.x) plus ZooKeeper 3.8 on vms-1, beside the SigNoz tier (molecule
verify). Moved here from the former clickhouse_single scenario (issue 14; docs/testing.md maps the old names):
the same node, the same checks, with the histogram-quantile UDF fixture installed through roles/artifact."""

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from chclient import four_letter, query  # noqa: E402

from forge_monitoring import sizing

VMS = "fm-mol-vms-1"
ADDR = "10.214.10.11"
ADMIN = ("admin", "mol-admin-Password-1")
SIGNOZ = ("signoz", "mol-signoz-Password-1")


# every check of this file runs on vms-1, the clickhouse and zookeeper host (conftest.py)
pytestmark = pytest.mark.hosts(VMS)


def test_packages_pinned(host):
    assert host.package("clickhouse-server").version == "18.16.1+ds-7.3+b2"
    assert host.package("clickhouse-client").version == "18.16.1+ds-7.3+b2"
    assert host.package("zookeeperd").version == "3.8.0-11+deb12u2"
    # the lab/test override: no official repository source on the host
    assert not host.file("/etc/apt/sources.list.d/clickhouse.sources").exists


def test_listens_on_the_private_address_only(host):
    for port in (8123, 9000, 9009, 2181):
        lines = host.check_output(f"ss -Htln sport = :{port}").splitlines()
        assert [line.split()[3] for line in lines] == [f"{ADDR}:{port}"], port
    assert host.run("curl -sf -m 3 http://127.0.0.1:8123/ping").rc == 7  # connection refused: nothing listens
    assert query(ADDR, "SELECT 1", *ADMIN) == (200, "1\n")


def test_users_authenticate_with_the_vault_password_and_wrong_ones_fail():
    assert query(ADDR, "SELECT 'signoz ok'", *SIGNOZ) == (200, "signoz ok\n")
    assert query(ADDR, "SELECT 'admin ok'", *ADMIN) == (200, "admin ok\n")
    status, body = query(ADDR, "SELECT 1", "signoz", "wrong-password")
    assert status != 200 and "Code: 193" in body
    status, body = query(ADDR, "SELECT 1", "admin", SIGNOZ[1])
    assert status != 200 and "Code: 193" in body
    # default has no password but only the cluster members may use it: here the node itself
    assert query(ADDR, "SELECT 1") == (200, "1\n")


def test_no_plaintext_password_on_the_host(host):
    users = host.file("/etc/clickhouse-server/users.d/forge-users.xml")
    assert users.mode == 0o640 and users.group == "clickhouse"
    content = users.content_string
    assert "<password_sha256_hex>" in content and "<password>" not in content
    # every file of the config and log directories and of the releases in /opt, read here (one tar stream
    # through docker exec), so the password is never a command argument on the host
    dirs = ["/etc/clickhouse-server", "/etc/zookeeper", "/var/log/clickhouse-server", "/usr/local/lib/forge", "/opt"]
    tar = subprocess.run(
        ["docker", "exec", VMS, "tar", "-cf", "-", "--dereference", "--hard-dereference", *dirs],
        capture_output=True,
        check=False,
        timeout=300,
    )
    files = 0
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        for member in archive:
            if not member.isfile() or member.size > 20 * 1024 * 1024:
                continue
            files += 1
            data = archive.extractfile(member).read()
            for secret in (ADMIN[1], SIGNOZ[1]):
                assert secret.encode() not in data, member.name
    assert files > 5


def test_cluster_macros_and_zookeeper_in_clickhouse():
    status, body = query(
        ADDR,
        "SELECT cluster, shard_num, replica_num, host_address, port FROM system.clusters "
        "WHERE cluster = 'cluster' FORMAT TSV",
        *ADMIN,
    )
    assert (status, body) == (200, f"cluster\t1\t1\t{ADDR}\t9000\n")
    assert query(ADDR, "SELECT count() FROM system.clusters WHERE cluster LIKE 'test%'", *ADMIN)[1] == "0\n"
    status, body = query(ADDR, "SELECT macro, substitution FROM system.macros ORDER BY macro FORMAT TSV", *ADMIN)
    assert body == f"cluster\tcluster\nreplica\t{VMS}\nshard\t01\n"
    assert int(query(ADDR, "SELECT count() FROM system.zookeeper WHERE path = '/'", *ADMIN)[1]) > 0


def test_replicated_table_on_cluster_with_the_signoz_user():
    # as SigNoz's schema migrator does: its own database, created ON CLUSTER by the signoz user
    sql = [
        "CREATE DATABASE IF NOT EXISTS signoz_traces ON CLUSTER cluster",
        "DROP TABLE IF EXISTS signoz_traces.t_single ON CLUSTER cluster",
        "CREATE TABLE signoz_traces.t_single ON CLUSTER cluster (d Date, n UInt32) ENGINE = "
        "ReplicatedMergeTree('/clickhouse/tables/{shard}/t_single', '{replica}') PARTITION BY d ORDER BY n",
        "INSERT INTO signoz_traces.t_single SELECT today(), number FROM system.numbers LIMIT 1000",
    ]
    for statement in sql:
        status, body = query(ADDR, statement, *SIGNOZ)
        assert status == 200, (statement, body)
    assert query(ADDR, "SELECT count(), sum(n) FROM signoz_traces.t_single FORMAT TSV", *SIGNOZ)[1] == "1000\t499500\n"
    # least privilege: any database but its own is closed to it (clickhouse_signoz_databases)
    status, body = query(ADDR, "CREATE TABLE default.t_denied (n UInt8) ENGINE = Memory", *SIGNOZ)
    assert status != 200 and "Code: 291" in body, body  # DATABASE_ACCESS_DENIED, from ClickHouse itself
    status, body = query(
        ADDR, "SELECT is_readonly, zookeeper_path FROM system.replicas WHERE table = 't_single' FORMAT TSV", *ADMIN
    )
    assert body == "0\t/clickhouse/tables/01/t_single\n"


def _vms_sizing(host):
    """placement.yml's forge_host_sizing for vms-1: its groups' components (ClickHouse, ZooKeeper, SigNoz, the
    ingest gateway, the front end) on the seed's 8192 MB / 4 cores host (forge_host_resources)."""
    placement = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "playbooks" / "vars" / "placement.yml"
    sized = yaml.safe_load(placement.read_text())
    components = sizing.forge_components_for(
        host.ansible.get_variables()["group_names"], sized["forge_sized_components"]
    )
    return sizing.forge_sizing({"name": VMS, "ram_mb": 8192, "cores": 4, "disk_gb": 500}, components)


def test_memory_settings_from_the_sizing_filter(host):
    # ClickHouse gets the RAM the other components' budgets leave (forge_sizing); mark cache 10 %, per-query
    # limit 50 % of 80 %, as the filter's ratios say
    plan = _vms_sizing(host)
    ch_mb = plan["units"]["clickhouse"]["memory_max_mb"]
    assert 1024 <= ch_mb < 8192 - 512
    assert plan["clickhouse"]["max_memory_usage"] == int(int(ch_mb * 0.8) * 1024 * 1024 * 0.5)
    assert (
        query(ADDR, "SELECT value FROM system.settings WHERE name = 'max_memory_usage'", *ADMIN)[1]
        == f"{int(int(ch_mb * 0.8) * 1024 * 1024 * 0.5)}\n"
    )
    conf = host.file("/etc/clickhouse-server/config.d/forge-server.xml").content_string
    assert f"<mark_cache_size>{int(ch_mb * 0.1) * 1024 * 1024}</mark_cache_size>" in conf
    drop_in = host.file("/etc/systemd/system/clickhouse-server.service.d/forge.conf").content_string
    assert f"MemoryMax={ch_mb}M" in drop_in and "LimitNOFILE=262144" in drop_in
    assert host.check_output("systemctl show -p LimitNOFILE clickhouse-server") == "LimitNOFILE=262144"


def test_storage_policy_and_prometheus_are_rendered(host):
    conf = host.file("/etc/clickhouse-server/config.d/forge-server.xml").content_string
    assert "<tiered>" in conf and "<keep_free_space_bytes>10485760</keep_free_space_bytes>" in conf
    assert "<cold>" not in conf  # no cold disk given: forge_retention plans hot only
    assert "<port>9363</port>" in conf
    # 18.16 ignores <prometheus> (20.1+): nothing listens there
    assert host.run("ss -Htln sport = :9363").stdout.strip() == ""


def test_histogram_quantile_udf_fixture_installed_through_the_artifact_role(host):
    link = host.file("/var/lib/clickhouse/user_scripts/histogramQuantile")
    assert link.is_symlink
    assert link.linked_to == "/opt/histogram-quantile/0.0.1/histogram-quantile"
    assert host.file("/opt/histogram-quantile/current").linked_to == "/opt/histogram-quantile/0.0.1"
    out = host.check_output(
        'echo \'"[1,2,4,inf]","[10,20,40,40]",0.5\' | runuser -u clickhouse -- '
        "/var/lib/clickhouse/user_scripts/histogramQuantile"
    )
    assert float(out) == 2.0
    assert (
        "<name>histogramQuantile</name>"
        in host.file("/etc/clickhouse-server/histogram_quantile_function.xml").content_string
    )


def test_xml_checker_refuses_bad_files(host):
    check = "/usr/local/lib/forge/clickhouse-xml-check"
    host.run("printf '<clickhouse><a></clickhouse>' > /tmp/bad.xml")
    assert "not well-formed XML" in host.run_expect([1], f"{check} /tmp/bad.xml").stderr
    host.run("printf '<yandex/>' > /tmp/bad.xml")
    assert "expected <clickhouse>" in host.run_expect([1], f"{check} /tmp/bad.xml").stderr
    host.run("printf '<clickhouse><users><u><password>x</password></u></users></clickhouse>' > /tmp/bad.xml")
    assert "plaintext <password>" in host.run_expect([1], f"{check} /tmp/bad.xml --no-plaintext-password").stderr
    assert host.run(f"{check} /etc/clickhouse-server/users.d/forge-users.xml --no-plaintext-password").rc == 0


def test_zookeeper_data_out_of_tmp_and_4lw_health(host):
    # the running server, not only its config file: the transaction log it holds open (ClickHouse's session
    # is a transaction) is under /var/lib/zookeeper; /proc/PID/fd is readable by the process's own user only.
    # ZooKeeper opens a log at the first transaction after its start: ClickHouse's read opens a session if it
    # had none (after a ZooKeeper restart)
    assert int(query(ADDR, "SELECT count() FROM system.zookeeper WHERE path = '/'", *ADMIN)[1]) > 0
    pid = host.check_output("pgrep -u zookeeper -o java")
    logs = host.check_output(
        f"runuser -u zookeeper -- find /proc/{pid}/fd -lname '*/version-2/*' -printf '%l\\n'"
    ).split()
    assert logs and all(path.startswith("/var/lib/zookeeper/version-2/") for path in logs), logs
    assert four_letter(ADDR, "ruok") == "imok"
    srvr = four_letter(ADDR, "srvr")
    assert "Mode: standalone" in srvr
    assert "zk_server_state\tstandalone" in four_letter(ADDR, "mntr")
    assert "not in the whitelist" in four_letter(ADDR, "envi")


def test_zookeeper_config(host):
    cfg = host.file("/etc/zookeeper/conf/zoo.cfg").content_string
    assert "dataDir=/var/lib/zookeeper\n" in cfg and "4lw.commands.whitelist=ruok,srvr,mntr" in cfg
    assert host.file("/var/lib/zookeeper/version-2").is_directory
    assert not host.file("/tmp/zookeeper").exists
    assert host.file("/var/lib/zookeeper/myid").content_string.strip() == "1"
    assert "-Xmx256m" in host.check_output("ps -o args= -u zookeeper")
    # ZooKeeper's own parser refuses a broken file
    host.run("printf 'tickTime=abc\\ndataDir=/var/lib/zookeeper\\nclientPort=2181\\n' > /tmp/bad.cfg")
    bad = host.run(
        "java -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar "
        "/usr/local/lib/forge/ZkConfigCheck.java /tmp/bad.cfg"
    )
    assert bad.rc == 1 and "abc" in bad.stderr
