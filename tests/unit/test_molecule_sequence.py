"""Every molecule scenario's test sequence holds the standard's stages in order (check mode on fresh hosts, converge,
idempotence, verify), and the default scenario's cold boot sits between converge and idempotence, so the
idempotence stage is the rerun on the rebooted hosts (issue 16 item 5, docs/testing.md)."""

import pytest
import yaml
from conftest import ROOT

SHARED = yaml.safe_load((ROOT / ".config/molecule/config.yml").read_text())["scenario"]["test_sequence"]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


def sequence(name):
    own = yaml.safe_load((ROOT / "molecule" / name / "molecule.yml").read_text()).get("scenario", {})
    return own.get("test_sequence", SHARED)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_sequence_checks_converges_reruns_and_verifies_in_order(name):
    steps = [s.split()[0] for s in sequence(name)]
    positions = [steps.index(stage) for stage in ("create", "check", "converge", "idempotence", "verify")]
    assert positions == sorted(positions), steps
    assert steps[0] == steps[-1] == "destroy"


def test_the_default_scenario_boots_cold_before_its_idempotence_rerun():
    steps = sequence("default")
    boot = steps.index("side_effect cold_boot.yml")
    assert steps.index("converge") < boot == steps.index("idempotence") - 1
    assert (ROOT / "molecule/default/cold_boot.yml").is_file()
