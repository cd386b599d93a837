"""The clickhouse role's rendered server config and the SQL the toolkit sends, run on a REAL ClickHouse 26.9 engine.

chdb-core is ClickHouse compiled as an in-process library (tests/chengine.py). The role's own templates are
rendered by the real ansible-playbook (tests/integration/playbooks/clickhouse_config.yml) for two inventories:
a single node with a cold disk, and 2 shards x 2 replicas. Each config is loaded by one engine subprocess that
runs every check against it. What needs a listening server (replication, ZooKeeper, ON CLUSTER, logins) stays
with the Debian 18.16 molecule scenarios: docs/testing.md, "Which engine proves what".
"""

import json
import re
import shutil
from pathlib import Path

import chengine
import pytest
from runner import ROOT, run_ansible

OK, WHY = chengine.available()
pytestmark = [pytest.mark.chdb, pytest.mark.skipif(not OK, reason=WHY)]

# What the package's config.xml / users.xml give before config.d / users.d merge over them: here only the
# users file (a default user that may read the access entities, so the test can list them).
MAIN_CONFIG = "<clickhouse><users_config>{users}</users_config></clickhouse>\n"
MAIN_USERS = (
    "<clickhouse><profiles><default/></profiles><quotas><default/></quotas><users><default><password/>"
    "<networks><ip>::1</ip><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota>"
    "<access_management>1</access_management></default></users></clickhouse>\n"
)
TEST_DB = "forge_test"
# Statements only a listening server with ZooKeeper, users or a cluster can run: checked parse-only here.
ZK_SUBQUERY = re.compile(r"\(SELECT (?:[^()]|\(\))*?\bFROM system\.zookeeper\b[^()]*\)", re.I)
NEEDS_SERVER = re.compile(r"system\.zookeeper|system\.replicas|\bON CLUSTER\b|Replicated\w*MergeTree|ATTACH PART", re.I)


def _inventory(tmp, name, hosts_yml, host_vars, group_vars):
    inv = tmp / name
    (inv / "group_vars" / "all").mkdir(parents=True)
    (inv / "host_vars").mkdir()
    (inv / "hosts.yml").write_text(hosts_yml)
    # the role's defaults, as the lowest inventory layer (role defaults are below every inventory value)
    shutil.copy(ROOT / "roles/clickhouse/defaults/main.yml", inv / "group_vars/all/00-clickhouse-role-defaults.yml")
    base = {
        "vault_clickhouse_signoz_password": "test-only-signoz-0123456789",
        "vault_clickhouse_admin_password": "test-only-admin-0123456789",
        # the production inventory's capacity inputs (inventories/production/group_vars/all/main.yml)
        "forge_ingest_estimates": {
            "traces": {"monthly_gb": 20},
            "logs": {"monthly_gb": 20},
            "metrics": {"monthly_gb": 10},
        },
        "forge_retention_policy": {
            "classes": {"trading": 183, "compliance": 365},
            "signals": {"traces": "trading", "metrics": "trading", "logs": "compliance"},
        },
    }
    (inv / "group_vars/all/10-test.yml").write_text(json.dumps({**base, **group_vars}))
    for host, hv in host_vars.items():
        (inv / "host_vars" / f"{host}.yml").write_text(json.dumps(hv))
    return inv


def _render(inv, out):
    rc, log = run_ansible(
        "ansible-playbook", "-i", inv, "tests/integration/playbooks/clickhouse_config.yml", "-e", f"out_dir={out}"
    )
    assert rc == 0, log
    found = {}
    for host_dir in sorted(out.iterdir()):
        users = host_dir / "users.xml"
        users.write_text(MAIN_USERS)
        (host_dir / "config.xml").write_text(MAIN_CONFIG.format(users=users))
        found[host_dir.name] = json.loads((host_dir / "facts.json").read_text())
    return found


def _single(tmp):
    data, cold, backups = tmp / "single-data", tmp / "single-cold", tmp / "single-backups"
    for d in (data, cold, backups):
        d.mkdir()
    hosts = (
        "all:\n  children:\n    vms_site:\n      children:\n"
        "        clickhouse: {hosts: {ch-1: {}}}\n        zookeeper: {hosts: {ch-1: {}}}\n"
    )
    hv = {
        "ch-1": {
            "forge_private_address": "127.0.0.1",
            "zookeeper_id": 1,
            "forge_host_resources": {"ram_mb": 8192, "cores": 4, "disk_gb": 500, "cold_disk_gb": 500},
            "clickhouse_data_path": f"{data}/",
            "clickhouse_cold_disk_path": str(cold),
            "clickhouse_backup_dir": str(backups),
        }
    }
    inv = _inventory(tmp, "inv-single", hosts, hv, {})
    facts = _render(inv, tmp / "out-single")
    return tmp / "out-single" / "ch-1", facts["ch-1"], data


def _cluster(tmp):
    data = tmp / "cluster-data"
    data.mkdir()
    hosts = (
        "all:\n  children:\n    vms_site:\n      children:\n"
        "        clickhouse: {hosts: {ch-1: {}, ch-2: {}, ch-3: {}, ch-4: {}}}\n"
        "        zookeeper: {hosts: {ch-1: {}, ch-2: {}, ch-3: {}}}\n"
    )
    hv = {}
    for i in range(1, 5):
        hv[f"ch-{i}"] = {
            "forge_private_address": f"10.10.0.{10 + i}",
            "clickhouse_shard": 1 if i <= 2 else 2,
            "forge_host_resources": {"ram_mb": 8192, "cores": 4, "disk_gb": 2000},
            **({"zookeeper_id": i} if i <= 3 else {}),
        }
    inv = _inventory(tmp, "inv-cluster", hosts, hv, {"clickhouse_data_path": f"{data}/"})
    facts = _render(inv, tmp / "out-cluster")
    return tmp / "out-cluster" / "ch-3", facts["ch-3"], data


# --- the checks of a loaded config against the inventory --------------------------------------------------

CONFIG_STEPS = {
    "policies": "SELECT policy_name, volume_name, volume_priority, disks FROM system.storage_policies "
    "ORDER BY policy_name, volume_priority",
    "disks": "SELECT name, path FROM system.disks ORDER BY name",
    "clusters": "SELECT cluster, shard_num, replica_num, host_address, port FROM system.clusters "
    "ORDER BY cluster, shard_num, replica_num",
    "macros": "SELECT macro, substitution FROM system.macros ORDER BY macro",
    "get_macros": "SELECT getMacro('cluster') AS cluster, getMacro('shard') AS shard, getMacro('replica') AS replica",
    "users": "SELECT name, auth_type FROM system.users ORDER BY name",
}


def config_mismatches(res, facts, data):
    """What the engine shows that the inventory does not say: [] when the loaded config matches it."""
    bad = []
    policy = [r for r in res["policies"] if r["policy_name"] == facts["policy"]]
    want_volumes = [("default", ["default"])] + ([("cold", ["cold"])] if facts["cold_enabled"] else [])
    if [(r["volume_name"], r["disks"]) for r in policy] != want_volumes:
        bad.append(f"policy {facts['policy']}: {policy} != {want_volumes}")
    disks = {r["name"]: r["path"] for r in res["disks"]}
    want_disks = {"default": f"{data}/"}
    if facts["cold_enabled"]:
        want_disks["cold"] = facts["cold_path"].rstrip("/") + "/"
    if disks != want_disks:
        bad.append(f"disks {disks} != {want_disks}")
    clusters = [
        (r["shard_num"], r["replica_num"], r["host_address"], r["port"])
        for r in res["clusters"]
        if r["cluster"] == facts["cluster"]
    ]
    want_cluster = [
        (shard_no, replica_no, replica["address"], 9000)
        for shard_no, shard in enumerate(facts["topology"], 1)
        for replica_no, replica in enumerate(shard["replicas"], 1)
    ]
    if clusters != want_cluster:
        bad.append(f"cluster {facts['cluster']}: {clusters} != {want_cluster}")
    want_macros = {"cluster": facts["cluster"], "shard": facts["shard"], "replica": facts["replica"]}
    if {r["macro"]: r["substitution"] for r in res["macros"]} != want_macros:
        bad.append(f"macros {res['macros']} != {want_macros}")
    if res["get_macros"] != [want_macros]:
        bad.append(f"getMacro {res['get_macros']} != {want_macros}")
    if res.get("users") is None:
        return bad
    users = {r["name"]: r["auth_type"] for r in res["users"]}
    if users.get("signoz") != ["sha256_password"] or users.get("admin") != ["sha256_password"]:
        bad.append(f"users {users}: signoz and admin must be there, with sha256 passwords only")
    return bad


def _rows(result, name):
    assert "rows" in result, f"{name}: {result.get('error')}"
    return result["rows"]


# --- the tiered TTL and the backup tool -----------------------------------------------------------------


def ttl_steps(facts):
    """A table with the plan's move and delete ages on the rendered policy; rows past each age, and fresh ones."""
    plan = facts["retention"]
    logs = plan["signals"]["logs"]
    move, delete = logs["move_to_cold_days"], logs["ttl_days"]
    table = f"{TEST_DB}.ttl_logs"
    return (
        move,
        delete,
        [
            ("db", {"sql": f"CREATE DATABASE IF NOT EXISTS {TEST_DB}"}),
            (
                "ttl_create",
                {
                    "sql": f"CREATE TABLE {table} (ts DateTime, age String) ENGINE = MergeTree "
                    f"PARTITION BY toDate(ts) ORDER BY ts "
                    f"TTL ts + INTERVAL {move} DAY TO VOLUME 'cold', ts + INTERVAL {delete} DAY DELETE "
                    f"SETTINGS storage_policy = '{facts['policy']}'"
                },
            ),
            (
                "ins_cold",
                {
                    "sql": f"INSERT INTO {table} SELECT now() - INTERVAL {move + 2} DAY + number, 'past_move' "
                    f"FROM numbers(100)"
                },
            ),
            (
                "ins_gone",
                {
                    "sql": f"INSERT INTO {table} SELECT now() - INTERVAL {delete + 2} DAY + number, 'past_delete' "
                    f"FROM numbers(100)"
                },
            ),
            (
                "ins_fresh",
                {"sql": f"INSERT INTO {table} SELECT now() - INTERVAL 1 HOUR + number, 'fresh' FROM numbers(100)"},
            ),
            (
                "ttl_wait",
                {
                    "wait": f"SELECT count() FROM system.parts WHERE active AND database = '{TEST_DB}' "
                    f"AND table = 'ttl_logs' AND disk_name = 'cold' AND rows > 0",
                    "until": 1,
                    "timeout": 20,
                },
            ),
            ("optimize", {"sql": f"OPTIMIZE TABLE {table} FINAL"}),
            (
                "ttl_where",
                {
                    "sql": f"SELECT t.age AS age, groupUniqArray(p.disk_name) AS disks, sum(p.rows) AS rows "
                    f"FROM (SELECT DISTINCT age, _part AS part FROM {table}) AS t INNER JOIN "
                    f"(SELECT name, disk_name, rows FROM system.parts WHERE active AND database = '{TEST_DB}' "
                    f"AND table = 'ttl_logs') AS p ON t.part = p.name GROUP BY age ORDER BY age"
                },
            ),
            ("ttl_counts", {"sql": f"SELECT age, count() AS n FROM {table} GROUP BY age ORDER BY age"}),
        ],
    )


def backup_steps(facts, name):
    host_dir = f"{facts['backup_dir'].rstrip('/')}/ch-1"
    return [
        (
            "events",
            {
                "sql": f"CREATE TABLE {TEST_DB}.events (d Date, n UInt64, origin String) ENGINE = MergeTree "
                f"PARTITION BY d ORDER BY n"
            },
        ),
        (
            "events_ins",
            {"sql": f"INSERT INTO {TEST_DB}.events SELECT today() - number % 3, number, 'before' FROM numbers(1000)"},
        ),
        ("backup", {"backup_tool": ["backup", f"--dir={host_dir}", f"--name={name}", "--keep=2"]}),
        ("drop_events", {"sql": f"DROP TABLE {TEST_DB}.events SYNC"}),
        ("drop_ttl", {"sql": f"DROP TABLE {TEST_DB}.ttl_logs SYNC"}),
        ("restore", {"backup_tool": ["restore", f"--path={host_dir}/{name}"]}),
        ("restored", {"sql": f"SELECT count() AS n, uniqExact(d) AS days FROM {TEST_DB}.events"}),
    ]


# --- the toolkit's own statements -----------------------------------------------------------------------

TOOL_VALUES = {
    "ident(db)": f"`{TEST_DB}`",
    "ident(table)": "`events`",
    "ident(entry['database'])": f"`{TEST_DB}`",
    "ident(entry['table'])": "`events`",
    "skip": "'system'",
    "db": TEST_DB,
    "table": "events",
    "part": "20261203_1_1_0",
}


def statement_steps(facts):
    """Every SQL statement of the roles' uri calls, rendered with this inventory's values."""
    values = {"clickhouse_cluster_name": facts["cluster"]}
    steps = []
    for where, template in chengine.uri_statements():
        sql = chengine.render(template, values)
        if not NEEDS_SERVER.search(sql):
            steps.append((f"uri {where}", {"sql": sql}))
            continue
        steps.append((f"uri {where}", {"parse": sql}))
        # the rest of the statement still runs: its scalar subqueries on system.zookeeper (a table the engine
        # has only with a ZooKeeper) become 0, so a wrong table or column elsewhere is ClickHouse's error
        rest = ZK_SUBQUERY.sub("0", sql)
        if rest != sql and not NEEDS_SERVER.search(rest):
            steps.append((f"uri {where} (without system.zookeeper)", {"sql": rest}))
    return steps


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chdb-single")
    config_dir, facts, data = _single(tmp)
    move, delete, ttl = ttl_steps(facts)
    tool_tail = [
        (f"tool:{line}", {"parse": example})
        for line, _, example in chengine.tool_statements(
            {**TOOL_VALUES, "dest": f"{facts['backup_dir']}/x", "src": f"{facts['backup_dir']}/x"}
        )
    ]
    named = (
        list(CONFIG_STEPS.items()) + statement_steps(facts) + ttl + backup_steps(facts, "20261203T000000Z") + tool_tail
    )
    steps = [step if isinstance(step, dict) else {"sql": step} for _, step in named]
    out = chengine.run(config_dir / "config.xml", steps, data=data)
    assert out["open_error"] is None, out["open_error"]
    res = dict(zip([n for n, _ in named], out["results"], strict=True))
    return {
        "facts": facts,
        "data": data,
        "res": res,
        "move": move,
        "delete": delete,
        "seconds": out["seconds"],
        "config_dir": config_dir,
        "tmp": tmp,
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chdb-cluster")
    config_dir, facts, data = _cluster(tmp)
    named = (
        list(CONFIG_STEPS.items())
        + statement_steps(facts)
        + [
            ("db", f"CREATE DATABASE IF NOT EXISTS {TEST_DB}"),
            # a tiered TTL on a host whose inventory gives no cold disk: the policy has no cold volume
            (
                "ttl_no_cold",
                f"CREATE TABLE {TEST_DB}.t (ts DateTime) ENGINE = MergeTree ORDER BY ts "
                f"TTL ts + INTERVAL 1 DAY TO VOLUME 'cold' SETTINGS storage_policy = '{facts['policy']}'",
            ),
        ]
    )
    # with the role's users.d the default user is open to the cluster members only (10.10.0.11-14 here), so a
    # local session is refused; the rest of the config is loaded without the users file (the single node
    # checks the users)
    refused = chengine.run(config_dir / "config.xml", [{"sql": "SELECT 1"}], data=data)
    no_users = tmp / "no-users"  # ClickHouse merges <name>.d/ into <name>.xml: same layout, no users file
    shutil.copytree(config_dir / "config.d", no_users / "config.d")
    (no_users / "config.xml").write_text("<clickhouse></clickhouse>\n")
    out = chengine.run(no_users / "config.xml", [{"sql": s} if isinstance(s, str) else s for _, s in named], data=data)
    assert out["open_error"] is None, out["open_error"]
    res = dict(zip([n for n, _ in named], out["results"], strict=True))
    return {"facts": facts, "data": data, "res": res, "refused": refused}


def _config_res(run, users=True):
    return {name: _rows(run["res"][name], name) for name in CONFIG_STEPS if users or name != "users"}


def test_single_node_config_loads_with_the_tiered_policy_cold_disk_macros_and_users(single):
    facts = single["facts"]
    assert facts["cold_enabled"] is True and facts["retention"]["move_to_cold_days"] is not None
    res = _config_res(single)
    assert config_mismatches(res, facts, single["data"]) == []
    assert [r["volume_name"] for r in res["policies"] if r["policy_name"] == "tiered"] == ["default", "cold"]


def test_two_shards_two_replicas_config_gives_the_cluster_and_this_hosts_macros(cluster):
    facts = cluster["facts"]
    assert cluster["refused"]["open_code"] == 516, cluster["refused"]  # AUTHENTICATION_FAILED for default
    res = _config_res(cluster, users=False)
    assert config_mismatches(res, facts, cluster["data"]) == []
    assert sorted({r["shard_num"] for r in res["clusters"] if r["cluster"] == "cluster"}) == [1, 2]
    assert len([r for r in res["clusters"] if r["cluster"] == "cluster"]) == 4
    assert {r["macro"]: r["substitution"] for r in res["macros"]} == {
        "cluster": "cluster",
        "shard": "02",
        "replica": "ch-3",
    }
    # no cold disk in this inventory: the policy has the hot volume only, and a TTL to 'cold' is refused
    assert [r["volume_name"] for r in res["policies"] if r["policy_name"] == "tiered"] == ["default"]
    assert cluster["res"]["ttl_no_cold"].get("code") == 450, cluster["res"]["ttl_no_cold"]


def test_every_sql_statement_of_the_roles_runs_or_parses_on_clickhouse_26(single, cluster):
    found = chengine.uri_statements()
    assert any("verify.yml" in w for w, _ in found) and any("service.yml" in w for w, _ in found), found
    for run in (single, cluster):
        for name, result in run["res"].items():
            if name.startswith("uri "):
                assert "error" not in result, f"{name}: {result['error']}"
    # verify's status query reads system.zookeeper: parse-only here (no ZooKeeper); its other reads ran
    assert any(r.get("parsed") for n, r in single["res"].items() if n.startswith("uri ")), single["res"]
    rest = [r for n, r in single["res"].items() if n.startswith("uri ") and n.endswith("(without system.zookeeper)")]
    assert rest and all(len(r["rows"]) == 1 for r in rest), rest


def test_tiered_ttl_moves_parts_past_the_move_age_to_cold_and_deletes_rows_past_the_delete_age(single):
    res = single["res"]
    assert single["move"] < single["delete"], (single["move"], single["delete"])
    for step in ("ttl_create", "ins_cold", "ins_gone", "ins_fresh", "optimize"):
        _rows(res[step], step)
    assert res["ttl_wait"].get("waited") is True, res["ttl_wait"]
    where = {r["age"]: (r["disks"], int(r["rows"])) for r in _rows(res["ttl_where"], "ttl_where")}
    assert where == {"past_move": (["cold"], 100), "fresh": (["default"], 100)}, where
    counts = {r["age"]: int(r["n"]) for r in _rows(res["ttl_counts"], "ttl_counts")}
    assert counts == {"past_move": 100, "fresh": 100}, counts


def test_backup_tool_backs_up_and_restores_through_backup_restore_sql(single):
    res = single["res"]
    backup = res["backup"]
    assert "error" not in backup, backup
    assert backup["rc"] == 0 and backup["result"]["method"] == "backup_sql", backup
    assert backup["result"]["tables"] == {f"{TEST_DB}.events": 1000, f"{TEST_DB}.ttl_logs": 200}
    assert any(s.startswith("BACKUP TABLE") for s in backup["statements"]), backup["statements"]
    restore = res["restore"]
    assert "error" not in restore, restore
    assert restore["rc"] == 0 and restore["result"]["mismatched"] == [], restore
    assert sorted(restore["result"]["created"]) == [f"{TEST_DB}.events", f"{TEST_DB}.ttl_logs"]
    assert any(s.startswith("RESTORE TABLE") for s in restore["statements"]), restore["statements"]
    assert _rows(res["restored"], "restored") == [{"n": 1000, "days": 3}]
    files = list(Path(single["facts"]["backup_dir"]).rglob("manifest.json"))
    assert len(files) == 1


def test_every_backup_tool_statement_ran_or_parses(single):
    res = single["res"]
    sent = res["backup"]["statements"] + res["restore"]["statements"]
    patterns = chengine.tool_statements({**TOOL_VALUES, "dest": "/x", "src": "/x"})
    ran = {line for line, regex, _ in patterns if any(re.fullmatch(regex, s) for s in sent)}
    assert len(ran) >= 6, (ran, sent)
    for line, _, example in patterns:
        result = res[f"tool:{line}"]
        assert result.get("parsed") is True, f"clickhouse-backup-tool line {line}: {example}: {result}"


def _broken(single, tmp_path, mutations, steps):
    """The single node's rendered config with ``mutations`` (regex, replacement) applied, loaded and run."""
    broken = tmp_path / "broken"
    shutil.copytree(single["config_dir"], broken)
    server = broken / "config.d" / "forge-server.xml"
    text = server.read_text()
    for pattern, replacement in mutations:
        text, n = re.subn(pattern, replacement, text, count=1, flags=re.S)
        assert n == 1, pattern
    data = tmp_path / "data"  # a fresh <path>: the single node's data dir holds its tables
    data.mkdir()
    server.write_text(text.replace(f"{single['data']}/", f"{data}/"))
    (broken / "config.xml").write_text(MAIN_CONFIG.format(users=broken / "users.xml"))
    out = chengine.run(broken / "config.xml", [s if isinstance(s, dict) else {"sql": s} for _, s in steps], data=data)
    assert out["open_error"] is None, out["open_error"]
    return dict(zip([n for n, _ in steps], out["results"], strict=True)), data


def test_a_policy_naming_a_missing_disk_and_a_wrong_macro_are_caught(single, tmp_path):
    """The config checks fail when their subject is broken: the rendered config, changed in two places."""
    facts = single["facts"]
    steps = list(CONFIG_STEPS.items()) + [
        ("db", f"CREATE DATABASE {TEST_DB}"),
        (
            "tiered",
            f"CREATE TABLE {TEST_DB}.t (n UInt8) ENGINE = MergeTree ORDER BY n "
            f"SETTINGS storage_policy = '{facts['policy']}'",
        ),
    ]
    res, data = _broken(
        single,
        tmp_path,
        [(r"\s*<cold>\s*<path>[^<]*</path>\s*</cold>", ""), (r"<shard>01</shard>", "<shard>02</shard>")],
        steps,
    )
    assert res["tiered"].get("code") == 479, res  # UNKNOWN_DISK
    assert res["policies"].get("code") == 479, res
    config = {name: res[name].get("rows", []) for name in CONFIG_STEPS}  # a refused read counts as a mismatch
    mismatches = config_mismatches(config, facts, data)
    assert any(m.startswith("policy") for m in mismatches), mismatches
    assert any(m.startswith("disks") for m in mismatches), mismatches
    assert any(m.startswith("macros") for m in mismatches), mismatches


def test_without_the_backups_allowed_path_the_backup_tool_is_refused(single, tmp_path):
    """The role's <backups> section is what lets BACKUP ... TO File() run (22+): without it, Code 318."""
    steps = [
        ("db", f"CREATE DATABASE {TEST_DB}"),
        ("t", f"CREATE TABLE {TEST_DB}.t (n UInt8) ENGINE = MergeTree ORDER BY n"),
        ("ins", f"INSERT INTO {TEST_DB}.t VALUES (1)"),
        ("backup", {"backup_tool": ["backup", f"--dir={single['facts']['backup_dir']}/none", "--name=n", "--keep=1"]}),
    ]
    res, _ = _broken(single, tmp_path, [(r"\s*<backups replace=\"replace\">.*?</backups>", "")], steps)
    assert res["backup"].get("code") == 318, res["backup"]  # INVALID_CONFIG_PARAMETER: backups.allowed_path
    assert "backups.allowed_path" in res["backup"]["error"]
