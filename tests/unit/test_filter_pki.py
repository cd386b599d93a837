from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.pki import forge_asn1_epoch, forge_pki_paths


def test_paths_follow_the_contract():
    out = forge_pki_paths(["frontend", "ingest-otlp"], "/etc/forge/pki")
    assert out == {
        "frontend": {
            "cert": "/etc/forge/pki/certs/frontend.crt",
            "key": "/etc/forge/pki/private/frontend.key",
            "ca": "/etc/forge/pki/ca.crt",
        },
        "ingest-otlp": {
            "cert": "/etc/forge/pki/certs/ingest-otlp.crt",
            "key": "/etc/forge/pki/private/ingest-otlp.key",
            "ca": "/etc/forge/pki/ca.crt",
        },
    }


def test_paths_edge_cases():
    assert forge_pki_paths([], "/etc/forge/pki") == {}
    assert forge_pki_paths(["a"], "/srv/pki/")["a"]["ca"] == "/srv/pki/ca.crt"


@pytest.mark.parametrize(
    "names,pki_dir,msg",
    [
        ("frontend", "/etc/forge/pki", "expected a list"),
        (["Frontend"], "/etc/forge/pki", "not a lower-case id"),
        (["../x"], "/etc/forge/pki", "not a lower-case id"),
        (["a", "a"], "/etc/forge/pki", "appears twice"),
        (["a"], "etc/forge/pki", "absolute path"),
    ],
)
def test_paths_invalid(names, pki_dir, msg):
    with pytest.raises(FilterError, match=f"forge_pki_paths: .*{msg}"):
        forge_pki_paths(names, pki_dir)


def test_asn1_epoch():
    assert forge_asn1_epoch("19700101000000Z") == 0
    assert forge_asn1_epoch("20271128093000Z") == 1827394200


@pytest.mark.parametrize("value", ["2027-11-28", "20271328093000Z", 1827394200, None])
def test_asn1_epoch_invalid(value):
    with pytest.raises(FilterError, match="forge_asn1_epoch"):
        forge_asn1_epoch(value)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_asn1_epoch_round_trips(moment):
    moment = moment.replace(microsecond=0)
    epoch = forge_asn1_epoch(moment.strftime("%Y%m%d%H%M%SZ"))
    assert datetime.fromtimestamp(epoch, tz=UTC).replace(tzinfo=None) == moment
