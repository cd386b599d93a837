"""ClickHouse cluster and coordinator ensemble, built from inventory groups and host variables.

``clickhouse_topology`` gives the shards and replicas of the cluster (remote_servers, macros);
``coordinator_ensemble`` gives the ZooKeeper / Keeper servers with their ids. Both are pure functions of the
host list and a mapping of host variables, so they can be tested without Ansible.
"""

from __future__ import annotations

import re

from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import hostvar

REPLICA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _vars(hostvars, host, name):
    try:
        return hostvars[host]
    except KeyError as exc:
        raise FilterError(f"{name}: host {host} is in the group but has no host variables") from exc


def _address(hv, host):
    return str(hostvar(hv, "forge_private_address") or hostvar(hv, "ansible_host") or host)


def _int(name, host, key, value, *, low, high):
    if isinstance(value, bool):
        raise FilterError(f"{name}: {key} of {host} is {value!r}; expected an integer {low}-{high}")
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise FilterError(f"{name}: {key} of {host} is {value!r}; expected an integer {low}-{high}") from exc
    if not low <= number <= high:
        raise FilterError(f"{name}: {key} of {host} is {number}; expected an integer {low}-{high}")
    return number


def clickhouse_topology(hosts, hostvars):
    """Shards of the cluster: [{shard: int, name: '01', replicas: [{host, address, replica}]}], sorted by shard.

    hosts: the clickhouse group. Each host may set clickhouse_shard (1-99, default 1) and clickhouse_replica
    (default: the inventory name). Replica names must be unique in the cluster (they are the {replica} macro
    and the replica's name in ZooKeeper); addresses must be unique too.
    """
    name = "clickhouse_topology"
    if not isinstance(hosts, list | tuple) or not hosts:
        raise FilterError(f"{name}: the clickhouse group is empty; put at least one host in it")
    shards = {}
    seen_replicas = {}
    seen_addresses = {}
    for host in hosts:
        hv = _vars(hostvars, host, name)
        shard = _int(name, host, "clickhouse_shard", hostvar(hv, "clickhouse_shard", 1), low=1, high=99)
        replica = str(hostvar(hv, "clickhouse_replica") or host)
        if not REPLICA_NAME.match(replica):
            raise FilterError(
                f"{name}: clickhouse_replica of {host} is {replica!r}; expected letters, digits, '_', '.', '-'"
            )
        if replica in seen_replicas:
            raise FilterError(
                f"{name}: clickhouse_replica {replica!r} is used by {seen_replicas[replica]} and {host}; "
                "replica names must be unique in the cluster"
            )
        seen_replicas[replica] = host
        address = _address(hv, host)
        if address in seen_addresses:
            raise FilterError(f"{name}: {seen_addresses[address]} and {host} have the same address {address}")
        seen_addresses[address] = host
        shards.setdefault(shard, []).append({"host": host, "address": address, "replica": replica})
    numbers = sorted(shards)
    if numbers != list(range(1, len(numbers) + 1)):
        raise FilterError(
            f"{name}: shards are numbered {numbers}; expected 1..{len(numbers)} without gaps (set clickhouse_shard)"
        )
    return [{"shard": n, "name": f"{n:02d}", "replicas": shards[n]} for n in numbers]


def coordinator_ensemble(hosts, hostvars, id_var="zookeeper_id"):
    """ZooKeeper/Keeper servers: [{host, address, id}] in id order.

    Each host may set its id (id_var, 1-255); hosts without one get the next free id in group order.
    """
    name = "coordinator_ensemble"
    if not isinstance(hosts, list | tuple) or not hosts:
        raise FilterError(f"{name}: the coordinator group is empty; put at least one host in it")
    fixed = {}
    for host in hosts:
        hv = _vars(hostvars, host, name)
        if hostvar(hv, id_var) not in (None, ""):
            ident = _int(name, host, id_var, hostvar(hv, id_var), low=1, high=255)
            if ident in fixed.values():
                other = next(h for h, i in fixed.items() if i == ident)
                raise FilterError(f"{name}: {id_var} {ident} is set on both {other} and {host}")
            fixed[host] = ident
    servers = []
    next_id = 1
    for host in hosts:
        ident = fixed.get(host)
        if ident is None:
            while next_id in fixed.values() or next_id in [s["id"] for s in servers]:
                next_id += 1
            ident = next_id
        servers.append({"host": host, "address": _address(_vars(hostvars, host, name), host), "id": ident})
    if len(servers) % 2 == 0:
        raise FilterError(
            f"{name}: {len(servers)} coordinator servers; an ensemble needs an odd number (1, 3, 5) to keep a quorum"
        )
    return sorted(servers, key=lambda s: s["id"])
