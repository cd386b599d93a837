"""One home for the Python (issue 17 item 4): the logic is the installed package forge_monitoring, each
filter_plugins/*.py is a thin wrapper over it, and nothing puts project code on sys.path or loads it by path."""

from __future__ import annotations

import ast
import re

import pytest
from conftest import ROOT
from role_tools import python_tools

IMPORT_HACK = re.compile(
    r"sys\.path\.(insert|append|extend)\(|sys\.path\s*(\+=|=|\[)|spec_from_file_location|SourceFileLoader"
)

# file (relative to the repository root) -> why it may still load code by path or touch sys.path
EXCEPTIONS = {
    # fixtures are not product code: each builds a test release and imports its sibling helpers
    "molecule/fixtures/build.py": "fixture builder, imports its siblings",
    "molecule/fixtures/oauth2-proxy-fixture/build_fixture.py": "fixture builder, imports molecule/fixtures",
    "molecule/fixtures/histogram-quantile-fixture/build_fixture.py": "fixture builder, imports molecule/fixtures",
    "tests/signoz_fixture_runner.py": "loads molecule/fixtures/build.py (fixture code)",
    "tests/unit/test_signoz_fixture_build.py": "loads molecule/fixtures/build.py (fixture code)",
    "tests/unit/test_collector_fixture.py": "loads molecule/fixtures/build.py (fixture code)",
    "tests/unit/test_histogram_quantile_layout.py": "loads a molecule/fixtures build_fixture.py (fixture code)",
    "tests/integration/test_collector_clickhouse_render.py": "loads molecule/fixtures/build.py (fixture code)",
    "tests/unit/test_secrets_scan.py": "loads tests/secrets_scan.py (scripts/test's log scan, test code)",
    "tests/integration/test_tlsprobe.py": "loads molecule/shared/tlsprobe.py (the verifiers' TLS probe, test code)",
    # the host tools of roles/*/files are single extensionless scripts, not package modules
    "tests/role_tools.py": "the one loader of the extensionless tools in roles/*/files",
}

# molecule's testinfra verifiers may put molecule/shared (their own test helpers) on the path, and nothing else:
# this one line is taken out of them before the search, so loading product code by path still fails them
VERIFIER_HELPERS = 'sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))'

SKIP_DIRS = {".venv", ".lab", ".cache", ".git", "node_modules", "__pycache__"}
MAX_FUNCTION_STATEMENTS = 3


def _python_files():
    files = [p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]
    return sorted(files + python_tools())


def _wrappers():
    return sorted((ROOT / "filter_plugins").glob("*.py"))


def _import_problems(node, where):
    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
    if isinstance(node, ast.ImportFrom) and (
        module == "__future__" or module.startswith(("forge_monitoring", "ansible"))
    ):
        return []
    return [f"{where}: imports {module}; a wrapper imports the logic from forge_monitoring"]


def wrapper_problems(source: str) -> list[str]:
    """Why a filter_plugins file is more than a wrapper: only imports from forge_monitoring (and __future__,
    ansible), names bound to wrap(...), small functions, and a FilterModule whose filters() returns the mapping."""
    problems = []
    for node in ast.parse(source).body:
        where = f"line {node.lineno}"
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring
        if isinstance(node, ast.Import | ast.ImportFrom):
            problems += _import_problems(node, where)
        elif isinstance(node, ast.Assign):
            call = node.value
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "wrap"):
                problems.append(f"{where}: a module-level value that is not wrap(...)")
        elif isinstance(node, ast.FunctionDef):
            if len(node.body) > MAX_FUNCTION_STATEMENTS:
                problems.append(f"{where}: function {node.name} has {len(node.body)} statements; logic belongs in "
                                "forge_monitoring")  # fmt: skip
        elif isinstance(node, ast.ClassDef) and node.name == "FilterModule":
            methods = [n for n in node.body if isinstance(n, ast.FunctionDef)]
            if [m.name for m in methods] != ["filters"] or len(node.body) != 1:
                problems.append(f"{where}: FilterModule has more than filters()")
            elif len(methods[0].body) != 1 or not isinstance(methods[0].body[0], ast.Return):
                problems.append(f"{where}: FilterModule.filters() does more than return the mapping")
        else:
            problems.append(f"{where}: {type(node).__name__} at module level; logic belongs in forge_monitoring")
    return problems


@pytest.mark.parametrize("path", _wrappers(), ids=lambda p: p.name)
def test_filter_plugin_is_a_wrapper(path):
    assert wrapper_problems(path.read_text()) == []


def test_wrapper_check_refuses_logic():
    logic = "from forge_monitoring import x\n\n\ndef helper(v):\n    a = 1\n    b = 2\n    c = 3\n    return v\n"
    assert wrapper_problems(logic) == ["line 4: function helper has 4 statements; logic belongs in forge_monitoring"]
    assert "imports re" in wrapper_problems("from re import compile\n")[0]
    assert wrapper_problems("X = {1: 2}\n") == ["line 1: a module-level value that is not wrap(...)"]


def _without_verifier_helpers(path):
    text = path.read_text()
    if path.parts[-2] == "tests" and path.relative_to(ROOT).parts[0] == "molecule":
        return text.replace(VERIFIER_HELPERS, "")
    return text


def test_no_project_code_is_loaded_by_path_or_through_sys_path():
    this = str(ROOT / "tests" / "unit" / "test_python_home.py")  # names the patterns it looks for
    found = {
        str(p.relative_to(ROOT))
        for p in _python_files()
        if str(p) != this and IMPORT_HACK.search(_without_verifier_helpers(p))
    }
    assert sorted(found - EXCEPTIONS.keys()) == [], "import the package (forge_monitoring) normally instead"
    assert sorted(EXCEPTIONS.keys() - found) == [], "no longer needed: remove it from EXCEPTIONS"


def test_the_package_logic_does_not_raise_ansible_errors():
    """forge_monitoring's filter logic raises FilterError; only plugin_utils turns it into AnsibleFilterError."""
    raising = {
        p.name
        for p in (ROOT / "forge_monitoring").glob("*.py")
        if "import AnsibleFilterError" in p.read_text() and p.name != "plugin_utils.py"
    }
    assert raising == set()
