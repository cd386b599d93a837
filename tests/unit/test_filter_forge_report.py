import pytest
from ansible.errors import AnsibleFilterError
from forge_report import forge_verify_table

ROWS = [
    {"component": "node_exporter", "ok": True, "endpoint": "10.0.0.1:9100", "detail": "version 1.5.0"},
    {"component": "clickhouse", "ok": False, "endpoint": "10.0.0.1:8123", "detail": "no answer"},
]


def test_table_marks_status_and_source():
    out = forge_verify_table(ROWS, "vms-1", {"clickhouse": {"kind": "substitute", "what": "Debian 18.16"}})
    lines = out.splitlines()
    assert lines[0] == "verify: vms-1"
    ne = next(line for line in lines if "node_exporter" in line)
    ch = next(line for line in lines if "clickhouse" in line)
    assert "| OK " in ne and "| upstream " in ne
    assert "| FAIL " in ch and "| substitute " in ch and "[SUBSTITUTE: Debian 18.16]" in ch
    assert lines[-1] == "1 ok, 1 failed"
    # every row of the table has the same width
    assert len({len(line) for line in lines[1:-1]}) == 1


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
        ([], ["x"], "substitutes must be a dict"),
    ],
)
def test_bad_input_names_the_filter(rows, subs, message):
    with pytest.raises(AnsibleFilterError, match="forge_verify_table") as err:
        forge_verify_table(rows, "h", subs)
    assert message in str(err.value)
