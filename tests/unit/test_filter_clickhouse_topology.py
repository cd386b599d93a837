"""clickhouse_topology / coordinator_ensemble: cluster and coordinator ensemble from the inventory
(forge_monitoring/clickhouse_topology.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.clickhouse_topology import clickhouse_topology, coordinator_ensemble
from forge_monitoring.errors import FilterError


def _hv(**hosts):
    return {name: dict(v) for name, v in hosts.items()}


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
    with pytest.raises(FilterError, match="clickhouse_topology") as err:
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
    with pytest.raises(FilterError, match="coordinator_ensemble") as err:
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
