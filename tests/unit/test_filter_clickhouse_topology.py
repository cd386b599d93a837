"""clickhouse_topology / coordinator_ensemble: cluster and coordinator ensemble from the inventory
(filter_plugins/clickhouse_topology.py)."""

import importlib.machinery
import importlib.util

import pytest
from ansible.errors import AnsibleFilterError
from clickhouse_topology import FilterModule, clickhouse_topology, coordinator_ensemble
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st


def _hv(**hosts):
    return {name: dict(v) for name, v in hosts.items()}


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["clickhouse_topology"] is clickhouse_topology
    assert filters["coordinator_ensemble"] is coordinator_ensemble


def test_one_node_defaults_to_shard_1_and_its_own_name():
    out = clickhouse_topology(["vms-1"], _hv(**{"vms-1": {"forge_private_address": "10.0.0.11"}}))
    assert out == [
        {"shard": 1, "name": "01", "replicas": [{"host": "vms-1", "address": "10.0.0.11", "replica": "vms-1"}]}
    ]


def test_two_shards_by_two_replicas_in_group_order():
    hv = _hv(
        a={"forge_private_address": "10.0.0.1", "clickhouse_shard": 1},
        b={"forge_private_address": "10.0.0.2", "clickhouse_shard": "1"},
        c={"forge_private_address": "10.0.0.3", "clickhouse_shard": 2, "clickhouse_replica": "c-r1"},
        d={"ansible_host": "10.0.0.4", "clickhouse_shard": 2},
    )
    out = clickhouse_topology(["a", "b", "c", "d"], hv)
    assert [s["name"] for s in out] == ["01", "02"]
    assert [[r["replica"] for r in s["replicas"]] for s in out] == [["a", "b"], ["c-r1", "d"]]
    assert out[1]["replicas"][1]["address"] == "10.0.0.4"


@pytest.mark.parametrize(
    ("hosts", "hv", "message"),
    [
        ([], {}, "group is empty"),
        (["a"], {"a": {"clickhouse_shard": 0}}, "expected an integer 1-99"),
        (["a"], {"a": {"clickhouse_shard": "x"}}, "clickhouse_shard of a is 'x'"),
        (["a"], {"a": {"clickhouse_shard": True}}, "expected an integer"),
        (["a"], {"a": {"clickhouse_replica": "bad name"}}, "expected letters"),
        (["a", "b"], {"a": {"clickhouse_replica": "r"}, "b": {"clickhouse_replica": "r"}}, "used by a and b"),
        (["a", "b"], {"a": {"ansible_host": "10.0.0.1"}, "b": {"ansible_host": "10.0.0.1"}}, "same address"),
        (["a", "b"], {"a": {}, "b": {"clickhouse_shard": 3}}, "without gaps"),
        (["a"], {}, "has no host variables"),
    ],
)
def test_topology_refuses_bad_input(hosts, hv, message):
    with pytest.raises(AnsibleFilterError, match="clickhouse_topology") as err:
        clickhouse_topology(hosts, hv)
    assert message in str(err.value)


def test_ensemble_ids_follow_group_order_and_honour_fixed_ids():
    hv = _hv(a={"forge_private_address": "10.0.0.1"}, b={"zookeeper_id": 1}, c={"zookeeper_id": ""})
    out = coordinator_ensemble(["a", "b", "c"], hv)
    assert [(s["host"], s["id"]) for s in out] == [("b", 1), ("a", 2), ("c", 3)]
    assert out[1]["address"] == "10.0.0.1"


@pytest.mark.parametrize(
    ("hosts", "hv", "message"),
    [
        ([], {}, "group is empty"),
        (["a", "b"], {"a": {}, "b": {}}, "odd number"),
        (["a", "b", "c"], {"a": {"zookeeper_id": 2}, "b": {"zookeeper_id": 2}, "c": {}}, "set on both a and b"),
        (["a"], {"a": {"zookeeper_id": 256}}, "1-255"),
    ],
)
def test_ensemble_refuses_bad_input(hosts, hv, message):
    with pytest.raises(AnsibleFilterError, match="coordinator_ensemble") as err:
        coordinator_ensemble(hosts, hv)
    assert message in str(err.value)


@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=12))
def test_topology_property_every_host_once_shards_dense(shard_of):
    shards = sorted(set(shard_of))
    remap = {s: i + 1 for i, s in enumerate(shards)}
    hosts = [f"h{i}" for i in range(len(shard_of))]
    hv = {
        h: {"clickhouse_shard": remap[s], "forge_private_address": f"10.1.0.{i + 1}"}
        for i, (h, s) in enumerate(zip(hosts, shard_of, strict=True))
    }
    out = clickhouse_topology(hosts, hv)
    assert sorted(r["host"] for s in out for r in s["replicas"]) == sorted(hosts)
    assert [s["shard"] for s in out] == list(range(1, len(shards) + 1))


@given(st.integers(min_value=0, max_value=3))
def test_ensemble_property_ids_unique(pairs):
    hosts = [f"z{i}" for i in range(2 * pairs + 1)]
    out = coordinator_ensemble(hosts, {h: {} for h in hosts})
    assert sorted(s["id"] for s in out) == list(range(1, len(hosts) + 1))


def _tool(path):
    loader = importlib.machinery.SourceFileLoader(path.name.replace("-", "_"), str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_backup_tool_replica_path_and_create_statement(tmp_path):
    tool = _tool(ROOT / "roles/clickhouse/files/clickhouse-backup-tool")
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
    tool = _tool(ROOT / "roles/clickhouse/files/clickhouse-backup-tool")
    for name in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z", "unrelated"):
        (tmp_path / name).mkdir()
        if name != "unrelated":
            (tmp_path / name / "manifest.json").write_text("{}")
    assert tool.retention(tmp_path, 2) == ["20260101T000000Z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20260102T000000Z", "20260103T000000Z", "unrelated"]
