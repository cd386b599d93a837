"""matplotlib is the optional extra `plan`: without it `forge-monitoring plan` says how to install it."""

import argparse
import importlib.util
from pathlib import Path

from forge_monitoring import plan


def test_plan_without_matplotlib_names_the_extra(monkeypatch, capsys, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    args = argparse.Namespace(inventory=Path("inventories/lab"), start=None, out=tmp_path)
    assert plan.run(args) == 2
    err = capsys.readouterr().err
    assert "matplotlib" in err and "pip install 'forge-monitoring[plan]'" in err
    assert not any(tmp_path.iterdir())
