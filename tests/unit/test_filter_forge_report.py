import pytest

from forge_monitoring.errors import FilterError
from forge_monitoring.report import forge_verify_table

ROWS = [
    {"component": "node_exporter", "ok": True, "endpoint": "10.0.0.1:9100", "detail": "version 1.5.0"},
    {
        "component": "clickhouse",
        "ok": False,
        "endpoint": "10.0.0.1:8123",
        "detail": "no answer",
        "source": "substitute",
    },
]


def test_table_marks_status_and_source():
    out = forge_verify_table(ROWS, "vms-1", {"clickhouse": {"kind": "substitute", "what": "Debian 18.16"}})
    lines = out.splitlines()
    assert lines[0] == "verify: vms-1"
    ne = next(line for line in lines if "node_exporter" in line)
    ch = next(line for line in lines if "clickhouse" in line)
    assert "| OK " in ne and "| upstream " in ne
    assert "| FAIL " in ch and "| substitute " in ch and "[SUBSTITUTE: Debian 18.16]" in ch
    assert "MISMATCH" not in out
    assert lines[-1] == "1 ok, 1 failed"
    # every row of the table has the same width
    assert len({len(line) for line in lines[1:-1]}) == 1


def test_the_source_is_what_verify_detected_not_the_label():
    rows = [
        {"component": "clickhouse", "ok": True, "source": "upstream", "evidence": "SELECT version() 25.12.5.44"},
        {"component": "wireguard", "ok": True, "source": "substitute", "evidence": "wireguard-go runs wg0"},
    ]
    out = forge_verify_table(rows, "vms-1", {"clickhouse": {"kind": "substitute", "what": "Debian 18.16"}})
    ch = next(line for line in out.splitlines() if "clickhouse" in line)
    wg = next(line for line in out.splitlines() if "wireguard" in line)
    assert "| upstream " in ch and "[MISMATCH: forge_substitutes declares substitute, verify detects upstream]" in ch
    assert "| substitute " in wg and "[MISMATCH: forge_substitutes declares upstream, verify detects substitute]" in wg
    assert "| OK " in wg and out.splitlines()[-1].startswith("2 source(s) differ from forge_substitutes")
    # outside the lab a detected substitute fails its row, declared or not
    prod = forge_verify_table(rows, "vms-1", {}, False)
    wg = next(line for line in prod.splitlines() if "wireguard" in line)
    assert "| FAIL " in wg and "[REFUSED: a substitute outside the lab]" in wg
    assert "1 ok, 1 failed" in prod


def test_string_booleans_are_read():
    out = forge_verify_table([{"component": "x", "ok": "False"}], "h")
    assert "| FAIL " in out


def test_empty_host():
    assert "(nothing deployed on this host)" in forge_verify_table([], "h")


@pytest.mark.parametrize(
    ("rows", "subs", "message"),
    [
        ("nope", None, "expected a list"),
        ([{"ok": True}], None, "row 0 needs"),
        ([{"component": "x", "ok": True}], {"x": {"kind": "fake"}}, "forge_substitutes.x.kind"),
        ([{"component": "x", "ok": True, "source": "fake"}], None, "source is 'fake'"),
        ([], ["x"], "substitutes must be a dict"),
    ],
)
def test_bad_input_names_the_filter(rows, subs, message):
    with pytest.raises(FilterError, match="forge_verify_table") as err:
        forge_verify_table(rows, "h", subs)
    assert message in str(err.value)
