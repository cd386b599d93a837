"""forge-monitoring docs: role variable tables generated into roles/<role>/README.md between markers."""

import argparse

import pytest

from forge_monitoring import roledocs

SPEC = """---
argument_specs:
  main:
    short_description: Demo role
    options:
      demo_port:
        type: int
        default: 8080
        description: The port.
      demo_sources:
        type: list
        elements: str
        default: []
        description: Who may connect | pipes escaped.
  extra:
    short_description: Extra <entry>
    options: {}
"""


def _role(roles, name="demo", readme="# roles/demo\n\nWhat it does.\n\n{begin}\n{end}\n"):
    (roles / name / "meta").mkdir(parents=True)
    (roles / name / "meta" / "argument_specs.yml").write_text(SPEC)
    if readme is not None:
        text = readme.format(begin=roledocs.BEGIN, end=roledocs.END)
        (roles / name / "README.md").write_text(text)
    return roles / name / "README.md"


def _main(monkeypatch, tmp_path, check):
    monkeypatch.setattr(roledocs, "ROOT", tmp_path)
    return roledocs.main(argparse.Namespace(check=check))


def test_render_one_table_per_entry_point():
    text = roledocs.render_role(roledocs.yaml.safe_load(SPEC)["argument_specs"])
    assert text.index("### Entry point `main`") < text.index("### Entry point `tasks_from: extra`")
    assert "| `demo_port` | int | `8080` | The port. |" in text
    assert "| `demo_sources` | list of str | `[]` | Who may connect \\| pipes escaped. |" in text
    assert "Extra &lt;entry&gt;" in text
    assert "No variables." in text


def test_write_fills_the_markers_and_keeps_the_hand_written_part(tmp_path, monkeypatch, capsys):
    readme = _role(tmp_path / "roles")
    (tmp_path / "roles" / "demo" / "README.md").write_text(readme.read_text() + "\nAfter the tables.\n")
    assert _main(monkeypatch, tmp_path, check=True) == 1
    assert "demo: roles/demo/README.md variable tables are out of date" in capsys.readouterr().err
    assert _main(monkeypatch, tmp_path, check=False) == 0
    text = readme.read_text()
    assert text.startswith("# roles/demo\n\nWhat it does.\n")
    assert text.endswith(f"{roledocs.END}\n\nAfter the tables.\n")
    assert "`demo_port`" in text
    assert _main(monkeypatch, tmp_path, check=True) == 0
    assert _main(monkeypatch, tmp_path, check=False) == 0
    assert readme.read_text() == text, "a second write changes nothing"


def test_check_names_the_role_whose_tables_drifted(tmp_path, monkeypatch, capsys):
    roles = tmp_path / "roles"
    _role(roles, "alpha")
    _role(roles, "demo")
    assert _main(monkeypatch, tmp_path, check=False) == 0
    spec = roles / "demo" / "meta" / "argument_specs.yml"
    spec.write_text(spec.read_text().replace("default: 8080", "default: 9090"))
    capsys.readouterr()
    assert _main(monkeypatch, tmp_path, check=True) == 1
    err = capsys.readouterr().err
    assert "demo: roles/demo/README.md variable tables are out of date" in err
    assert "alpha" not in err
    # a hand edit inside the markers is drift too
    assert _main(monkeypatch, tmp_path, check=False) == 0
    readme = roles / "alpha" / "README.md"
    readme.write_text(readme.read_text().replace("The port.", "A port."))
    assert roledocs.check(roles) == ["alpha: roles/alpha/README.md variable tables are out of date"]


@pytest.mark.parametrize(
    ("readme", "expected"),
    [
        (None, "demo: roles/demo/README.md is missing"),
        ("# roles/demo\n\nNo markers.\n", "demo: roles/demo/README.md needs exactly one pair of markers"),
        ("# roles/demo\n{begin}\n", "demo: roles/demo/README.md needs exactly one pair of markers"),
        ("# roles/demo\n{end}\n{begin}\n", "demo: roles/demo/README.md needs exactly one pair of markers"),
        ("{begin}\n{end}\n{begin}\n{end}\n", "demo: roles/demo/README.md needs exactly one pair of markers"),
    ],
    ids=["no README", "no markers", "no END", "END before BEGIN", "two pairs"],
)
def test_missing_readme_or_markers_fail_naming_the_role(tmp_path, monkeypatch, capsys, readme, expected):
    _role(tmp_path / "roles", readme=readme)
    _role(tmp_path / "roles", "alpha")
    assert _main(monkeypatch, tmp_path, check=True) == 1
    assert expected in capsys.readouterr().err
    # writing fixes the role it can and still fails for the broken one, without creating a README
    assert _main(monkeypatch, tmp_path, check=False) == 1
    assert expected in capsys.readouterr().err
    assert roledocs.check(tmp_path / "roles")[0].startswith(expected)
    if readme is None:
        assert not (tmp_path / "roles" / "demo" / "README.md").exists()
