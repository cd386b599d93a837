"""ClickHouse 2 shards x 2 replicas (Debian 18.16, substitute for 25.x) + a 3-node ZooKeeper 3.8 ensemble.

The tests take no testinfra `host` fixture: each runs once and addresses the nodes itself, over HTTP
from this process (no password on any command line) or with `docker exec`. They run in file order;
the last ones back up to the outsider (the redundancy target, rsync over ssh with a pinned host key),
destroy node 4 with its local backups and ssh key, rebuild it with site.yml and restore from the target.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from chclient import four_letter, query  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
NODES = {f"fm-ch2-node-{i}": f"10.218.10.1{i}" for i in range(1, 5)}
WAN = {f"fm-ch2-node-{i}": f"10.218.0.1{i}" for i in range(1, 5)}
OUTSIDER = "10.218.0.21"
SHARDS = {"fm-ch2-node-1": "01", "fm-ch2-node-2": "01", "fm-ch2-node-3": "02", "fm-ch2-node-4": "02"}
ZK = ["fm-ch2-node-1", "fm-ch2-node-2", "fm-ch2-node-3"]
ADMIN = ("admin", "mol-admin-Password-2")
SIGNOZ = ("signoz", "mol-signoz-Password-2")


def sh(container, command, check=True):
    res = subprocess.run(
        ["docker", "exec", container, "sh", "-c", command], check=False, capture_output=True, text=True
    )
    if check:
        assert res.returncode == 0, (container, command, res.stdout, res.stderr)
    return res


def q(node, sql, creds=SIGNOZ):
    status, body = query(NODES[node], sql, *creds, timeout=200)
    assert status == 200, (node, sql, body)
    return body


def wait_for(what, func, expected, timeout=120):
    deadline = time.time() + timeout
    while True:
        value = func()
        if value == expected or time.time() > deadline:
            assert value == expected, f"{what}: {value!r} != {expected!r}"
            return
        time.sleep(1)


def count(node, table):
    return int(q(node, f"SELECT count() FROM default.{table}"))


def playbook(name, *extra, check=True):
    # JSON results (ansible.cfg says yaml), so the restore report reads `"mismatched": []`
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    # molecule's inventory is a directory: ansible_inventory.yml (connections), hosts (groups), group_vars, host_vars
    inventory = str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)
    cmd = ["ansible-playbook", "-i", inventory, str(ROOT / name), *extra]
    res = subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    if check:
        assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
    return res.stdout if check else res


def test_every_node_sees_the_2x2_cluster_and_its_own_macros():
    expected = "".join(
        f"{shard}\t{replica}\t{addr}\n"
        for shard, replica, addr in [
            (1, 1, NODES["fm-ch2-node-1"]),
            (1, 2, NODES["fm-ch2-node-2"]),
            (2, 1, NODES["fm-ch2-node-3"]),
            (2, 2, NODES["fm-ch2-node-4"]),
        ]
    )
    for node in NODES:
        body = q(
            node,
            "SELECT shard_num, replica_num, host_address FROM system.clusters WHERE cluster = 'cluster' "
            "ORDER BY shard_num, replica_num FORMAT TSV",
            ADMIN,
        )
        assert body == expected, node
        macros = q(node, "SELECT macro, substitution FROM system.macros ORDER BY macro FORMAT TSV", ADMIN)
        assert macros == f"cluster\tcluster\nreplica\t{node}\nshard\t{SHARDS[node]}\n", node


def test_zookeeper_ensemble_has_one_leader_and_two_followers():
    modes = sorted(four_letter(NODES[n], "srvr").split("Mode: ")[1].split()[0] for n in ZK)
    assert modes == ["follower", "follower", "leader"]
    for node in ZK:
        assert four_letter(NODES[node], "ruok") == "imok"
        cfg = sh(node, "cat /etc/zookeeper/conf/zoo.cfg").stdout
        for i, peer in enumerate(ZK, start=1):
            assert f"server.{i}={NODES[peer]}:2888:3888" in cfg
    # node 4 runs no ZooKeeper but reaches the ensemble
    assert sh("fm-ch2-node-4", "ss -Htln sport = :2181").stdout.strip() == ""
    assert int(q("fm-ch2-node-4", "SELECT count() FROM system.zookeeper WHERE path = '/'", ADMIN)) > 0


def test_replicated_table_on_cluster_replicates_both_ways():
    q("fm-ch2-node-1", "DROP TABLE IF EXISTS default.events_dist ON CLUSTER cluster")
    q("fm-ch2-node-1", "DROP TABLE IF EXISTS default.events ON CLUSTER cluster")
    q(
        "fm-ch2-node-1",
        "CREATE TABLE default.events ON CLUSTER cluster (d Date, n UInt64, origin String) "
        "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/events', '{replica}') PARTITION BY d ORDER BY n",
    )
    for node in NODES:
        wait_for(f"events on {node}", lambda node=node: q(node, "EXISTS TABLE default.events").strip(), "1")
    # shard 1: node 1 -> node 2 and node 2 -> node 1; shard 2: node 3 -> node 4 and node 4 -> node 3
    for src, dst in [
        ("fm-ch2-node-1", "fm-ch2-node-2"),
        ("fm-ch2-node-2", "fm-ch2-node-1"),
        ("fm-ch2-node-3", "fm-ch2-node-4"),
        ("fm-ch2-node-4", "fm-ch2-node-3"),
    ]:
        q(src, f"INSERT INTO default.events SELECT today(), number, '{src}' FROM system.numbers LIMIT 100")
        wait_for(
            f"{src} rows on {dst}",
            lambda src=src, dst=dst: q(dst, f"SELECT count() FROM default.events WHERE origin = '{src}'"),
            "100\n",
        )
    for node in NODES:
        assert count(node, "events") == 200, node


def test_distributed_table_returns_rows_from_both_shards():
    q(
        "fm-ch2-node-1",
        "CREATE TABLE default.events_dist ON CLUSTER cluster AS default.events "
        "ENGINE = Distributed(cluster, default, events, cityHash64(n))",
    )
    for node in NODES:
        wait_for(f"events_dist on {node}", lambda node=node: q(node, "EXISTS TABLE default.events_dist").strip(), "1")
        assert count(node, "events_dist") == 400, node
    body = q(
        "fm-ch2-node-2", "SELECT origin, count() FROM default.events_dist GROUP BY origin ORDER BY origin FORMAT TSV"
    )
    assert body == "".join(f"{n}\t100\n" for n in sorted(NODES))
    # an insert through the Distributed table lands on both shards by the sharding key
    q(
        "fm-ch2-node-3",
        "INSERT INTO default.events_dist SELECT today(), number + 1000, 'dist' FROM system.numbers LIMIT 1000",
    )
    wait_for("rows inserted through events_dist", lambda: count("fm-ch2-node-1", "events_dist"), 1400)
    shard1 = int(q("fm-ch2-node-1", "SELECT count() FROM default.events WHERE origin = 'dist'"))
    shard2 = int(q("fm-ch2-node-3", "SELECT count() FROM default.events WHERE origin = 'dist'"))
    assert shard1 + shard2 == 1000 and shard1 > 0 and shard2 > 0


def test_a_stopped_replica_resyncs_when_it_comes_back():
    # node 4 first catches up with its peer (the earlier inserts may still be replicating on a loaded machine)
    before = count("fm-ch2-node-3", "events")
    wait_for("node 4 in step with node 3", lambda: count("fm-ch2-node-4", "events"), before)
    sh("fm-ch2-node-4", "systemctl stop clickhouse-server")
    try:
        q(
            "fm-ch2-node-3",
            "INSERT INTO default.events SELECT today(), number + 5000, 'while-down' FROM system.numbers LIMIT 250",
        )
        assert count("fm-ch2-node-3", "events") == before + 250
        assert query(NODES["fm-ch2-node-4"], "SELECT 1", *ADMIN)[0] == 0  # really down
    finally:
        sh("fm-ch2-node-4", "systemctl start clickhouse-server")
    wait_for("node 4 answers", lambda: query(NODES["fm-ch2-node-4"], "SELECT 1", *ADMIN)[0], 200)
    wait_for("node 4 resynced", lambda: count("fm-ch2-node-4", "events"), before + 250)


def test_users_authenticate_with_the_vault_password_and_wrong_ones_fail():
    for node, addr in NODES.items():
        assert query(addr, "SELECT 'ok'", *SIGNOZ) == (200, "ok\n"), node
        assert query(addr, "SELECT 'ok'", *ADMIN) == (200, "ok\n"), node
        status, body = query(addr, "SELECT 1", "signoz", "not-the-password")
        assert status != 200 and "Code: 193" in body, node
        status, body = query(addr, "SELECT 1", "admin", SIGNOZ[1])
        assert status != 200 and "Code: 193" in body, node


def test_ports_are_not_reachable_from_outside_the_cluster_network():
    probe = (
        "import socket, sys\n"
        "for target in sys.argv[1:]:\n"
        "    host, port = target.rsplit(':', 1)\n"
        "    try:\n"
        "        socket.create_connection((host, int(port)), 3).close(); print(target, 'open')\n"
        "    except OSError as exc:\n"
        "        print(target, 'closed', type(exc).__name__)\n"
    )
    targets = [f"{addr}:{port}" for addr in [*WAN.values(), *NODES.values()] for port in (9000, 8123, 9009, 2181)]
    sh("fm-ch2-outsider", f"cat > /tmp/probe.py <<'EOF'\n{probe}EOF")
    out = sh("fm-ch2-outsider", "python3 /tmp/probe.py " + " ".join(targets)).stdout
    assert out.count(" closed ") == len(targets), out
    # positive control: the outsider does reach the nodes on the WAN (sshd listens on every address)
    control = sh("fm-ch2-outsider", "python3 /tmp/probe.py " + " ".join(f"{a}:22" for a in WAN.values())).stdout
    assert control.count(" open") == len(WAN), control
    # inside the cluster network every node reaches every other node's ports
    inside = sh(
        "fm-ch2-node-4",
        "python3 -c \"$(cat <<'EOF'\n"
        + probe
        + 'EOF\n)" '
        + " ".join(f"{NODES[n]}:{p}" for n in ("fm-ch2-node-1", "fm-ch2-node-3") for p in (9000, 8123, 9009)),
    ).stdout
    assert inside.count(" open") == 6, inside


def rsync_target(tmp_path, host_key_of="fm-ch2-outsider"):
    """The outsider as the redundancy target: a `forge-backup` account reached over ssh with a key made
    here, the key handed to the playbooks the way the vault does, and a target host key pinned."""
    key = tmp_path / "id_forge_backup"
    if not key.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "forge-backup", "-f", str(key)], check=True
        )
        pub = key.with_suffix(".pub").read_text().strip()
        sh(
            "fm-ch2-outsider",
            "command -v rsync >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync >/dev/null; "
            "id forge-backup >/dev/null 2>&1 || useradd -m -s /bin/sh forge-backup; "
            "install -d -o forge-backup -m 0700 /home/forge-backup/.ssh /srv/forge-backups && "
            "chown forge-backup /srv/forge-backups && "
            f"echo '{pub}' > /home/forge-backup/.ssh/authorized_keys && "
            "chown forge-backup /home/forge-backup/.ssh/authorized_keys",
        )
    host_key = sh(host_key_of, "cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()[:2]
    extra = tmp_path / f"rsync-{host_key_of}.json"
    extra.write_text(
        json.dumps(
            {
                "clickhouse_backup_rsync_dest": f"forge-backup@{OUTSIDER}:/srv/forge-backups",
                "vault_clickhouse_backup_ssh_key": key.read_text(),
                "clickhouse_backup_rsync_known_hosts": [f"{OUTSIDER} {' '.join(host_key)}"],
            }
        )
    )
    extra.chmod(0o600)
    return "@" + str(extra), key.read_text()


def test_backup_to_a_target_with_a_wrong_host_key_is_refused(tmp_path_factory):
    tmp = tmp_path_factory.getbasetemp() / "rsync"
    tmp.mkdir(exist_ok=True)
    extra, _ = rsync_target(tmp, host_key_of="fm-ch2-node-1")  # not the outsider's key
    res = playbook("playbooks/backup.yml", "--limit", "fm-ch2-node-4", "-e", extra, check=False)
    assert res.returncode != 0
    assert "Host key verification failed" in res.stdout + res.stderr, res.stdout[-3000:]
    assert sh("fm-ch2-outsider", "ls /srv/forge-backups").stdout.strip() == ""


def test_backup_destroy_rebuild_with_site_yml_and_restore(tmp_path_factory):
    tmp = tmp_path_factory.getbasetemp() / "rsync"
    tmp.mkdir(exist_ok=True)
    rsync, private_key = rsync_target(tmp)
    # made afresh, so the check can run again on the same hosts (it wants exactly these 777 rows back)
    q("fm-ch2-node-4", "DROP TABLE IF EXISTS default.local_only")
    q(
        "fm-ch2-node-4",
        "CREATE TABLE default.local_only (d Date, n UInt64) ENGINE = MergeTree PARTITION BY d ORDER BY n",
    )
    q("fm-ch2-node-4", "INSERT INTO default.local_only SELECT today(), number FROM system.numbers LIMIT 777")
    expected = {t: count("fm-ch2-node-4", t) for t in ("events", "local_only")}
    out = playbook("playbooks/backup.yml", "-e", "clickhouse_backup_keep=2", "-e", rsync)
    assert "fm-ch2-node-4" in out
    assert private_key.split("\n")[1] not in out  # the key's body is in no output
    name = sh("fm-ch2-node-4", "ls /var/backups/forge-clickhouse/fm-ch2-node-4").stdout.split()[-1]
    manifest = json.loads(
        sh("fm-ch2-node-4", f"cat /var/backups/forge-clickhouse/fm-ch2-node-4/{name}/manifest.json").stdout
    )
    rows = {t["table"]: t["rows"] for t in manifest["tables"]}
    assert rows["events"] == expected["events"] and rows["local_only"] == 777 and rows["events_dist"] is None
    assert manifest["method"] == "freeze"
    sh("fm-ch2-node-4", f"cd /var/backups/forge-clickhouse/fm-ch2-node-4/{name} && sha256sum -c --quiet SHA256SUMS")
    # the redundancy target holds a verified copy
    sh("fm-ch2-outsider", f"cd /srv/forge-backups/fm-ch2-node-4/{name} && sha256sum -c --quiet SHA256SUMS")

    # destroy: the node loses its ClickHouse install, configuration, data, local backups and the rsync
    # key and host keys; only the redundancy target keeps the backup
    sh(
        "fm-ch2-node-4",
        "systemctl stop clickhouse-server && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "
        "clickhouse-server clickhouse-client clickhouse-common >/dev/null "
        "&& rm -rf /var/lib/clickhouse /etc/clickhouse-server /var/backups/forge-clickhouse "
        "/root/.ssh/id_forge_backup /etc/forge/clickhouse-backup.known_hosts",
    )
    assert query(NODES["fm-ch2-node-4"], "SELECT 1", *ADMIN)[0] == 0

    # rebuild by rerunning site.yml for the lost host (with the fixture play in front, as in converge)
    playbook("molecule/clickhouse_cluster/converge.yml", "--limit", "fm-ch2-node-4,localhost")
    assert q("fm-ch2-node-4", "EXISTS TABLE default.events").strip() == "0"

    out = playbook(
        "playbooks/restore.yml", "--limit", "fm-ch2-node-4", "-e", "clickhouse_restore_from_rsync=true", "-e", rsync
    )
    assert '"mismatched": []' in out, out[-3000:]
    for table, rows in expected.items():
        assert count("fm-ch2-node-4", table) == rows, table
    # the rebuilt replica is a full member again: it replicates new rows both ways
    q(
        "fm-ch2-node-4",
        "INSERT INTO default.events SELECT today(), number + 9000, 'after-restore' FROM system.numbers LIMIT 10",
    )
    wait_for(
        "node 3 gets node 4's new rows",
        lambda: q("fm-ch2-node-3", "SELECT count() FROM default.events WHERE origin = 'after-restore'"),
        "10\n",
    )
    assert count("fm-ch2-node-1", "events_dist") == count("fm-ch2-node-2", "events_dist")
