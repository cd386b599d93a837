"""The extensionless Python tools of roles/*/files (installed on hosts, run by the roles): linted by ruff like
the rest (pyproject's extend-include) and unit-tested here on their own functions and exit codes."""

import subprocess
import sys
import tomllib

from conftest import ROOT
from role_tools import load_tool, python_tools

BACKUP = "roles/clickhouse/files/clickhouse-backup-tool"
XML_CHECK = "roles/clickhouse/files/clickhouse-xml-check"
KEEPER_CHECK = "roles/clickhouse_keeper/files/keeper-config-check"

KEEPER_XML = """<clickhouse><keeper_server>
<tcp_port>9181</tcp_port><server_id>{sid}</server_id>
<log_storage_path>/var/lib/k/log</log_storage_path><snapshot_storage_path>/var/lib/k/snap</snapshot_storage_path>
<raft_configuration>{servers}</raft_configuration>
</keeper_server></clickhouse>"""


def _keeper(tmp_path, sid=1, ids=(1, 2, 3), port="9234"):
    servers = "".join(f"<server><id>{i}</id><hostname>k{i}</hostname><port>{port}</port></server>" for i in ids)
    path = tmp_path / "keeper.xml"
    path.write_text(KEEPER_XML.format(sid=sid, servers=servers))
    return path


def test_every_python_tool_is_linted_and_tested():
    tools = {str(p.relative_to(ROOT)) for p in python_tools()}
    assert tools == {BACKUP, XML_CHECK, KEEPER_CHECK}, "a new tool needs tests here"
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["extend-include"]
    assert sorted(tools) == sorted(include)


def test_xml_check_accepts_a_clickhouse_file_and_refuses_the_rest(tmp_path):
    tool = load_tool(XML_CHECK)
    good = tmp_path / "good.xml"
    good.write_text(
        "<clickhouse><users><signoz><password_sha256_hex>ab</password_sha256_hex></signoz></users></clickhouse>"
    )
    assert tool.main(["x", str(good), "--no-plaintext-password"]) == 0
    bad = tmp_path / "bad.xml"
    bad.write_text("<clickhouse><users>")
    assert "not well-formed XML" in tool.main(["x", str(bad)])
    assert "root element is <clickhouse>, expected <yandex>" in tool.main(["x", str(good), "--root", "yandex"])
    plain = tmp_path / "plain.xml"
    plain.write_text("<clickhouse><users><signoz><password>x</password></signoz></users></clickhouse>")
    assert tool.main(["x", str(plain)]) == 0
    assert "plaintext <password>" in tool.main(["x", str(plain), "--no-plaintext-password"])


def test_xml_check_exit_code_as_a_script(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<other/>")
    proc = subprocess.run(
        [sys.executable, str(ROOT / XML_CHECK), str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1 and "expected <clickhouse>" in proc.stderr


def test_keeper_check_accepts_a_consistent_ensemble(tmp_path):
    tool = load_tool(KEEPER_CHECK)
    assert tool.check(str(_keeper(tmp_path)), 1, 3) == []
    assert tool.main(["x", str(_keeper(tmp_path, sid=2)), "--server-id", "2", "--servers", "3"]) == 0


def test_keeper_check_names_each_problem(tmp_path):
    tool = load_tool(KEEPER_CHECK)
    assert tool.check(str(_keeper(tmp_path, sid=4)), 4, 2) == [
        "raft_configuration lists 3 server(s), expected 2",
        "server_id 4 is not among the raft servers ['1', '2', '3']",
    ]
    assert "raft server ids are not unique" in " ".join(tool.check(str(_keeper(tmp_path, ids=(1, 1, 2))), 1, 3))
    assert "needs a hostname and a port 1-65535" in " ".join(tool.check(str(_keeper(tmp_path, port="0")), 1, 3))
    (tmp_path / "k.xml").write_text("<clickhouse/>")
    assert tool.check(str(tmp_path / "k.xml"), 1, 1) == ["no <keeper_server>"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / KEEPER_CHECK), str(_keeper(tmp_path)), "--server-id", "9", "--servers", "3"],
        capture_output=True,
        check=False,
        text=True,
    )
    assert proc.returncode == 1 and "server_id is '1', expected 9" in proc.stderr


def test_backup_tool_replica_path_and_create_statement(tmp_path):
    tool = load_tool(BACKUP)
    sql = (
        "ATTACH TABLE events\n(d Date)\nENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/events', '{replica}')"
    )
    assert tool.replica_path(sql, {"shard": "02", "replica": "n4"}) == "/clickhouse/tables/02/events/replicas/n4"
    assert tool.replica_path("ENGINE = MergeTree ORDER BY n", {}) is None
    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata/e.sql").write_text(sql)
    entry = {"database": "default", "table": "events", "metadata": "metadata/e.sql"}
    assert tool.metadata_sql(tmp_path, entry).startswith("CREATE TABLE `default`.`events`\n(d Date)")
    # checksums: written, verified, and a changed file is reported
    (tmp_path / "data").mkdir()
    (tmp_path / "data/part").write_bytes(b"x")
    assert tool.write_sums(tmp_path) == 2
    assert tool.check_sums(tmp_path) == (2, [])
    (tmp_path / "data/part").write_bytes(b"y")
    assert tool.check_sums(tmp_path) == (2, ["data/part"])


def test_backup_tool_retention_keeps_the_newest(tmp_path):
    tool = load_tool(BACKUP)
    for name in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z", "unrelated"):
        (tmp_path / name).mkdir()
        if name != "unrelated":
            (tmp_path / name / "manifest.json").write_text("{}")
    assert tool.retention(tmp_path, 2) == ["20260101T000000Z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20260102T000000Z", "20260103T000000Z", "unrelated"]
