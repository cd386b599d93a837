"""The database exporters of the trading hosts (issue 18, item 4): one prometheus-postgres-exporter per PostgreSQL
server (the primary and every replica) and one prometheus-pgbouncer-exporter per pgBouncer, from Debian.

roles/db_exporters renders one unit and one 0600 environment file per instance from what
``forge_db_exporter_instances`` returns; ``forge_db_exporter_scrape_jobs`` gives the local agent's scrape jobs
(playbooks/vars/wiring.yml). Bad input is refused here, naming the variable, the instance and the expected form;
a password is never part of a message.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import quote

from forge_monitoring.errors import FilterError, need

NAME = "forge_db_exporter_instances"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# the sslmode values lib/pq takes: both exporters refuse "allow" and "prefer" ('unsupported sslmode "prefer"; only
# "require" (default), "verify-full", "verify-ca", and "disable" supported', seen from prometheus-postgres-exporter
# 0.11.1); its default is require
SSLMODES = ("disable", "require", "verify-ca", "verify-full")
DEFAULTS = {
    "postgres": {"port": 5432, "database": "postgres", "sslmode": "require"},
    "pgbouncer": {"port": 6432, "sslmode": "require"},
}
REQUIRED = {
    "postgres": ("name", "host", "user", "password", "listen_port"),
    "pgbouncer": ("name", "host", "user", "password", "listen_port"),
}
VARIABLE = {"postgres": "db_exporters_postgres", "pgbouncer": "db_exporters_pgbouncer"}


def _port(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise FilterError(f"{NAME}: {where} is {value!r}, expected a TCP port (1-65535)")
    port = int(value)
    if not 1 <= port <= 65535:
        raise FilterError(f"{NAME}: {where} is {port}, expected a TCP port (1-65535)")
    return port


def _instance(kind: str, index: int, item: Any, listen_address: str) -> dict[str, Any]:
    var = VARIABLE[kind]
    need(NAME, item, dict, f"{var}[{index}]: a mapping {{{', '.join(REQUIRED[kind])}, ...}}")
    missing = [k for k in REQUIRED[kind] if item.get(k) in (None, "")]
    if missing:
        raise FilterError(f"{NAME}: {var}[{index}] has no {', '.join(missing)} (expected {', '.join(REQUIRED[kind])})")
    unknown = sorted(set(item) - set(REQUIRED[kind]) - set(DEFAULTS[kind]))
    if unknown:
        known = ", ".join(list(REQUIRED[kind]) + list(DEFAULTS[kind]))
        raise FilterError(f"{NAME}: {var}[{index}] has unknown keys {', '.join(unknown)} (known: {known})")
    inst = {**DEFAULTS[kind], **item, "kind": kind}
    name = str(inst["name"])
    where = f"{var}[{index}] ({name})"
    if not _NAME_RE.match(name):
        raise FilterError(
            f"{NAME}: {var}[{index}].name is {name!r}, expected lower-case letters, digits, _ or - "
            "(at most 40, starting with a letter or digit)"
        )
    for key in ("host", "user") + (("database",) if kind == "postgres" else ()):
        if not isinstance(inst[key], str) or not inst[key].strip() or any(c.isspace() for c in inst[key]):
            raise FilterError(f"{NAME}: {where}.{key} is {inst[key]!r}, expected a non-empty string without spaces")
    if not isinstance(inst["password"], str):
        raise FilterError(f"{NAME}: {where}.password is not a string (expected the vault variable's value)")
    if inst["sslmode"] not in SSLMODES:
        raise FilterError(f"{NAME}: {where}.sslmode is {inst['sslmode']!r}, expected one of {', '.join(SSLMODES)}")
    inst["port"] = _port(inst["port"], f"{where}.port")
    inst["listen_port"] = _port(inst["listen_port"], f"{where}.listen_port")
    host = f"[{listen_address}]" if ":" in listen_address else listen_address
    # the password stays in the inventory's list: the role loops over these instances and Ansible prints a loop's
    # item when a task fails; only the environment file's template reads it (forge_db_exporter_dsn, index)
    del inst["password"]
    inst.update(
        index=index,
        unit=f"forge-{kind}-exporter-{name}.service",
        env_file=f"forge-{kind}-exporter-{name}.env",
        job=f"{kind}-{name}",
        endpoint=f"{host}:{inst['listen_port']}",
    )
    return inst


def _checked(postgres: Any, pgbouncer: Any, listen_address: Any) -> tuple[list[dict], list[str]]:
    """(the valid instances, every problem of the lists and the address): one message per bad entry, so that
    preflight reports them all in one run."""
    need(
        NAME,
        postgres,
        list,
        "db_exporters_postgres: a list of {name, host, port, database, user, password, sslmode, listen_port}",
    )
    need(
        NAME,
        pgbouncer,
        list,
        "db_exporters_pgbouncer: a list of {name, host, port, user, password, sslmode, listen_port}",
    )
    need(NAME, listen_address, str, "db_exporters_listen_address: an IP address")
    problems = []
    try:
        loopback = ipaddress.ip_address(listen_address).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        problems.append(
            f"db_exporters_listen_address is {listen_address!r}; expected a loopback address (127.0.0.0/8 or ::1): "
            "only the local agent scrapes the exporters"
        )
    out = []
    for kind, items in (("postgres", postgres), ("pgbouncer", pgbouncer)):
        for i, item in enumerate(items):
            try:
                out.append(_instance(kind, i, item, listen_address))
            except FilterError as exc:
                problems.append(str(exc).removeprefix(f"{NAME}: "))
    seen: set[tuple[str, str]] = set()
    ports: dict[int, str] = {}
    for inst in out:
        label = f"{VARIABLE[inst['kind']]} ({inst['name']})"
        if (inst["kind"], inst["name"]) in seen:
            problems.append(f"{VARIABLE[inst['kind']]} names {inst['name']!r} twice, expected unique names")
        seen.add((inst["kind"], inst["name"]))
        if inst["listen_port"] in ports:
            problems.append(
                f"{label}.listen_port {inst['listen_port']} is also the port of {ports[inst['listen_port']]}, "
                "expected one port per exporter"
            )
        ports.setdefault(inst["listen_port"], label)
    return out, problems


def forge_db_exporter_problems(postgres: Any, pgbouncer: Any, listen_address: Any = "127.0.0.1") -> list[str]:
    """Every problem of roles/db_exporters' inputs (forge_monitoring/checks/roles.py lists them in preflight)."""
    return _checked(postgres, pgbouncer, listen_address)[1]


def forge_db_exporter_instances(postgres: Any, pgbouncer: Any, listen_address: str = "127.0.0.1") -> list[dict]:
    """The exporters to run, validated, with their defaults filled in and their unit, environment file, scrape job,
    endpoint and index in their list named; without the password. ``postgres``: db_exporters_postgres;
    ``pgbouncer``: db_exporters_pgbouncer; ``listen_address``: a loopback address. Bad input raises FilterError
    naming every problem."""
    out, problems = _checked(postgres, pgbouncer, listen_address)
    if problems:
        raise FilterError(f"{NAME}: " + "; ".join(problems))
    return out


def forge_db_exporter_dsn(instance: dict, password: str) -> str:
    """The exporter's DSN, a URL with the user and ``password`` percent-encoded (any character works): the server's
    database for the postgres exporter, pgBouncer's admin console (database pgbouncer) for the pgBouncer one."""
    need("forge_db_exporter_dsn", instance, dict, "an instance from forge_db_exporter_instances")
    need("forge_db_exporter_dsn", password, str, "the instance's password (a string)")
    host = f"[{instance['host']}]" if ":" in instance["host"] else instance["host"]
    return (
        f"postgresql://{quote(instance['user'], safe='')}:{quote(password, safe='')}@{host}:"
        f"{instance['port']}/{quote(instance.get('database', 'pgbouncer'), safe='')}?sslmode={instance['sslmode']}"
    )


def forge_db_exporter_scrape_jobs(instances: list[dict]) -> list[dict]:
    """The local agent's scrape jobs, one per exporter: {job, targets} (roles/otel_agent's otel_agent_scrapes)."""
    need("forge_db_exporter_scrape_jobs", instances, list, "the list from forge_db_exporter_instances")
    return [{"job": inst["job"], "targets": [inst["endpoint"]]} for inst in instances]
