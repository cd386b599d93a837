"""forge_monitoring/clickhouse_dsn.py: credentials survive the round trip through the DSN parser clickhouse-go uses.

Go's url.Parse + url.ParseQuery are modelled by urlsplit + parse_qs (both decode %XX and turn + into a space,
both end the query at #)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.clickhouse_dsn import clickhouse_dsn, clickhouse_dsn_quote
from forge_monitoring.errors import FilterError

NASTY = "p@ss:w/o?r#d%41+x &y=z"


def go_parse(dsn):
    u = urlsplit(dsn)
    q = parse_qs(u.query, keep_blank_values=True, strict_parsing=True)
    return u.scheme, u.hostname, u.port, u.path, q["username"], q["password"]


def test_a_password_with_url_delimiters_round_trips():
    dsn = clickhouse_dsn("10.0.0.1", 9000, "signoz", NASTY, "signoz_traces")
    assert go_parse(dsn) == ("tcp", "10.0.0.1", 9000, "/signoz_traces", ["signoz"], [NASTY])


def test_jinja_urlencode_alone_does_not_encode_slash_but_this_does():
    assert clickhouse_dsn_quote("a/b") == "a%2Fb"
    assert "/" not in clickhouse_dsn("h", 9000, "u", "a/b").split("?", 1)[1]


@given(st.text(min_size=0, max_size=40), st.text(min_size=1, max_size=20))
def test_any_credentials_round_trip(password, user):
    _, _, _, _, users, passwords = go_parse(clickhouse_dsn("ch.example", "9000", user, password))
    assert users == [user] and passwords == [password]


def test_ipv6_is_bracketed_and_an_env_reference_passes_through():
    dsn = clickhouse_dsn("fd00::1", 9000, "signoz", "${env:CLICKHOUSE_DSN_PASSWORD}", "signoz_logs")
    assert dsn == "tcp://[fd00::1]:9000/signoz_logs?username=signoz&password=${env:CLICKHOUSE_DSN_PASSWORD}"


@pytest.mark.parametrize("args", [("", 9000), ("h", 0), ("h", "x"), ("h", True), (["h"], 9000)])
def test_bad_host_or_port_is_refused_naming_the_filter(args):
    with pytest.raises(FilterError, match="clickhouse_dsn"):
        clickhouse_dsn(*args, "u", "p")
