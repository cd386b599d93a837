"""The system tables named in the contracts' clickhouse_rights exist in a real ClickHouse engine (chdb-core,
ClickHouse 26.x in-process). chdb cannot load users.xml or run CREATE USER/GRANT, so the rights themselves
stay unproven here (docs/clickhouse.md); this proves the contracts name tables that really exist."""

import re

import pytest
import yaml
from conftest import ROOT

chdb = pytest.importorskip("chdb")

# attached by the server only when a keeper is configured (chdb runs without one)
KEEPER_ONLY = {"zookeeper", "zookeeper_connection"}


def test_every_system_table_of_the_rights_exists():
    needed = set()
    for path in (ROOT / "tests" / "contracts").glob("*.yml"):
        for right in yaml.safe_load(path.read_text()).get("clickhouse_rights") or []:
            m = re.match(r"SELECT ON system\.(\w+)$", right["grant"])
            if m:
                needed.add(m.group(1))
    assert {"clusters", "mutations", "distributed_ddl_queue", "disks"} <= needed
    names = ",".join(f"'{t}'" for t in sorted(needed))
    found = chdb.query(f"SELECT name FROM system.tables WHERE database = 'system' AND name IN ({names})", "CSV")
    present = {line.strip('"') for line in str(found).split()}
    assert needed - present <= KEEPER_ONLY, f"not tables of ClickHouse {chdb.query('SELECT version()', 'CSV')}"
