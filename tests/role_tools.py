"""The extensionless Python tools that roles install on hosts (roles/*/files), loaded as modules for their tests.

They are scripts, not part of the package: a host runs them with its own /usr/bin/python3, so they stay single
files without a .py name and cannot be imported by name. This is the one place that loads them by path.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def python_tools() -> list[Path]:
    """Every file under roles/*/files without an extension whose first line is a python shebang."""
    return sorted(
        path
        for path in ROOT.glob("roles/*/files/*")
        if path.is_file() and not path.suffix and path.read_bytes()[:64].split(b"\n")[0].endswith(b"python3")
    )


def load_tool(relpath: str) -> ModuleType:
    """roles/<role>/files/<tool> (relpath from the repository root) as a fresh module; __main__ does not run."""
    path = ROOT / relpath
    loader = importlib.machinery.SourceFileLoader(path.name.replace("-", "_"), str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
