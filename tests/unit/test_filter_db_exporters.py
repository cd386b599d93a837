"""forge_db_exporter_instances, forge_db_exporter_dsn, forge_db_exporter_scrape_jobs (forge_monitoring/db_exporters.py).

The exporters themselves run for real in molecule/default (dev-1: a PostgreSQL primary, its streaming replica and
pgBouncer from Debian, tests/test_default.py); here the inventory's shapes and the refusals.
"""

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.db_exporters import (
    forge_db_exporter_dsn,
    forge_db_exporter_instances,
    forge_db_exporter_problems,
    forge_db_exporter_scrape_jobs,
)
from forge_monitoring.errors import FilterError

SECRET = "s3cr3t-Value"
PRIMARY = {"name": "primary", "host": "10.0.0.5", "user": "forge_monitor", "password": SECRET, "listen_port": 9187}
REPLICA = {**PRIMARY, "name": "replica", "port": 5433, "listen_port": 9188, "sslmode": "verify-full"}
BOUNCER = {"name": "pool", "host": "127.0.0.1", "user": "forge_monitor", "password": SECRET, "listen_port": 9127}


def test_instances_get_defaults_units_and_endpoints():
    out = forge_db_exporter_instances([PRIMARY, REPLICA], [BOUNCER])
    assert [(i["kind"], i["name"], i["port"]) for i in out] == [
        ("postgres", "primary", 5432), ("postgres", "replica", 5433), ("pgbouncer", "pool", 6432)
    ]  # fmt: skip
    assert out[0]["database"] == "postgres" and out[0]["sslmode"] == "require" and out[1]["sslmode"] == "verify-full"
    assert out[0]["unit"] == "forge-postgres-exporter-primary.service"
    assert out[2]["env_file"] == "forge-pgbouncer-exporter-pool.env"
    assert out[1]["endpoint"] == "127.0.0.1:9188" and out[1]["index"] == 1 and out[2]["index"] == 0
    # the loops of the role print their items on failure: no password in them
    assert all("password" not in inst and SECRET not in str(inst) for inst in out)
    assert forge_db_exporter_scrape_jobs(out) == [
        {"job": "postgres-primary", "targets": ["127.0.0.1:9187"]},
        {"job": "postgres-replica", "targets": ["127.0.0.1:9188"]},
        {"job": "pgbouncer-pool", "targets": ["127.0.0.1:9127"]},
    ]
    assert forge_db_exporter_instances([PRIMARY], [], "::1")[0]["endpoint"] == "[::1]:9187"
    assert forge_db_exporter_instances([], []) == []


def test_the_dsn_carries_any_password():
    dsn = forge_db_exporter_dsn(forge_db_exporter_instances([PRIMARY], [])[0], "p@ss:w/rd?#%'\"")
    parts = urlsplit(dsn)
    assert parts.scheme == "postgresql" and parts.hostname == "10.0.0.5" and parts.port == 5432
    assert unquote(parts.password) == "p@ss:w/rd?#%'\"" and parts.path == "/postgres"
    assert parts.query == "sslmode=require"
    bouncer = forge_db_exporter_dsn(forge_db_exporter_instances([], [{**BOUNCER, "sslmode": "disable"}])[0], "x y")
    assert bouncer == "postgresql://forge_monitor:x%20y@127.0.0.1:6432/pgbouncer?sslmode=disable"
    assert "'" not in dsn  # safe inside the environment file's single quotes


@given(st.text(min_size=1, max_size=40), st.text(alphabet="abcdefghij_", min_size=1, max_size=12))
def test_the_dsn_round_trips(password, user):
    inst = forge_db_exporter_instances([{**PRIMARY, "password": password, "user": user}], [])[0]
    dsn = forge_db_exporter_dsn(inst, password)
    parts = urlsplit(dsn)
    assert unquote(parts.password) == password and unquote(parts.username) == user
    assert "'" not in dsn and "\n" not in dsn


@pytest.mark.parametrize(
    ("postgres", "pgbouncer", "expected"),
    [
        ("x", [], "db_exporters_postgres: a list"),
        ([["a"]], [], "db_exporters_postgres[0]: a mapping"),
        ([{**PRIMARY, "password": ""}], [], "db_exporters_postgres[0] has no password"),
        ([{k: v for k, v in PRIMARY.items() if k != "listen_port"}], [], "has no listen_port"),
        ([{**PRIMARY, "dbname": "x"}], [], "unknown keys dbname (known: name, host"),
        ([{**PRIMARY, "name": "Primary DB"}], [], "db_exporters_postgres[0].name is 'Primary DB', expected lower-case"),
        ([{**PRIMARY, "host": "a b"}], [], "db_exporters_postgres[0] (primary).host is 'a b'"),
        (
            [{**PRIMARY, "sslmode": "prefer"}],
            [],
            "(primary).sslmode is 'prefer', expected one of disable, require, verify-ca, verify-full",
        ),  # lib/pq's: both exporters refuse prefer
        ([{**PRIMARY, "port": "54x"}], [], "(primary).port is '54x', expected a TCP port"),
        ([{**PRIMARY, "listen_port": 70000}], [], "(primary).listen_port is 70000, expected a TCP port"),
        ([{**PRIMARY, "port": True}], [], "(primary).port is True, expected a TCP port"),
        ([PRIMARY, PRIMARY], [], "db_exporters_postgres names 'primary' twice"),
        (
            [PRIMARY],
            [{**BOUNCER, "listen_port": 9187}],
            "db_exporters_pgbouncer (pool).listen_port 9187 is also the port of db_exporters_postgres (primary)",
        ),
        ([], [{**BOUNCER, "sslmode": "allow"}], "db_exporters_pgbouncer[0] (pool).sslmode is 'allow'"),
        ([{**PRIMARY, "password": 123}], [], "(primary).password is not a string"),
    ],
)
def test_bad_entries_are_refused_naming_the_variable_and_never_the_password(postgres, pgbouncer, expected):
    with pytest.raises(FilterError) as err:
        forge_db_exporter_instances(postgres, pgbouncer)
    message = str(err.value)
    assert message.startswith("forge_db_exporter_instances: ") and expected in message, message
    assert SECRET not in message


def test_the_same_name_may_serve_both_kinds():
    out = forge_db_exporter_instances([{**PRIMARY, "name": "main"}], [{**BOUNCER, "name": "main"}])
    assert [i["unit"] for i in out] == ["forge-postgres-exporter-main.service", "forge-pgbouncer-exporter-main.service"]


@pytest.mark.parametrize("address", ["0.0.0.0", "10.0.0.5", "::", "localhost", ""])
def test_only_a_loopback_address_is_taken(address):
    with pytest.raises(FilterError, match=r"db_exporters_listen_address is .*expected a loopback address"):
        forge_db_exporter_instances([PRIMARY], [], address)


def test_every_problem_is_named_at_once():
    """Preflight lists them all in one run (forge_monitoring/checks/roles.py)."""
    problems = forge_db_exporter_problems(
        [{**PRIMARY, "sslmode": "prefer"}, {**PRIMARY, "name": "b", "dbname": "x"}],
        [{**BOUNCER, "listen_port": 9187}, {**BOUNCER, "name": "pool2", "listen_port": 9187}],
        "0.0.0.0",
    )
    assert len(problems) == 4, problems
    assert problems[0].startswith("db_exporters_listen_address is '0.0.0.0'")
    assert "(primary).sslmode is 'prefer'" in problems[1] and "unknown keys dbname" in problems[2]
    clash = "db_exporters_pgbouncer (pool2).listen_port 9187 is also the port of db_exporters_pgbouncer (pool)"
    assert clash in problems[3]
    assert forge_db_exporter_problems([PRIMARY, REPLICA], [BOUNCER], "127.0.0.1") == []
    assert all(SECRET not in p for p in problems)
