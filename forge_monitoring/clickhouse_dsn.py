"""ClickHouse DSNs in clickhouse-go's form, as SigNoz, the schema migrator and the collector's exporters read them.

clickhouse-go parses a DSN with Go's net/url: the credentials ride in the query string
(``?username=..&password=..``), and ``url.ParseQuery`` decodes ``%XX`` and turns ``+`` into a space. So every
character outside the unreserved set (``A-Z a-z 0-9 - . _ ~``) of the user and the password is percent-encoded
here; Jinja's ``urlencode`` leaves ``/`` as it is, and the raw password (``@:/?#%&+`` ...) breaks the DSN.
"""

from __future__ import annotations

from urllib.parse import quote

from forge_monitoring.errors import FilterError


def clickhouse_dsn_quote(value):
    """``value`` percent-encoded for a DSN's query string (only unreserved characters stay)."""
    if value is None or isinstance(value, bool | dict | list):
        raise FilterError(f"clickhouse_dsn_quote: expected a string, got {type(value).__name__}")
    return quote(str(value), safe="")


def clickhouse_dsn(host, port, user, password, database=""):
    """``tcp://host:port[/database]?username=<user>&password=<password>``, both percent-encoded.

    IPv6 addresses are bracketed. ``password`` may be a collector config reference such as
    ``${env:NAME}``: it is passed through unencoded (the variable must then hold the encoded form).
    """
    if not host or isinstance(host, bool | dict | list):
        raise FilterError(f"clickhouse_dsn: host is {host!r}; expected an address")
    try:
        if isinstance(port, bool):
            raise ValueError(port)
        port = int(port)
    except (TypeError, ValueError) as exc:
        raise FilterError(f"clickhouse_dsn: port is {port!r}; expected 1-65535") from exc
    if not 1 <= port <= 65535:
        raise FilterError(f"clickhouse_dsn: port is {port!r}; expected 1-65535")
    host = str(host)
    netloc = f"[{host.strip('[]')}]" if ":" in host else host
    path = f"/{clickhouse_dsn_quote(database)}" if database else ""
    pw = str(password)
    secret = pw if pw.startswith("${env:") and pw.endswith("}") else clickhouse_dsn_quote(pw)
    return f"tcp://{netloc}:{port}{path}?username={clickhouse_dsn_quote(user)}&password={secret}"
