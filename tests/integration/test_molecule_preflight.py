"""Every molecule scenario that converges site.yml passes the controller's preflight (schema, invariants, secrets)
with its own inventory, as molecule writes it: .config/molecule/config.yml's provisioner.inventory deep-merged with
the scenario's, ${VAR}s as molecule fills them. A check that refused a scenario would only show up minutes into
`molecule test`; here it shows up in seconds. The artifact cache is not what this proves (prepare fills it), so
the run goes online (artifact_offline=false): the manifest is still checked."""

import os
import re

import pytest
import yaml
from runner import ROOT, run_ansible

SITE_SCENARIOS = sorted(
    p.parent.name
    for p in ROOT.glob("molecule/*/converge.yml")
    if re.search(r"import_playbook: \.\./\.\./site\.yml", p.read_text())
)


def _merge(base, over):
    """molecule's deep merge of a scenario's molecule.yml over the shared config."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in over.items()}}
    return over


VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _inventory(scenario, tmp_path):
    env = {
        "MOLECULE_PROJECT_DIRECTORY": str(ROOT),
        "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "ephemeral"),
        "MOLECULE_SCENARIO_DIRECTORY": str(ROOT / "molecule" / scenario),
    }
    (tmp_path / "ephemeral").mkdir()

    def fill(text):
        return VAR.sub(lambda m: env.get(m[1], os.environ.get(m[1], m[2] or "")), text)

    base = yaml.safe_load(fill((ROOT / ".config/molecule/config.yml").read_text()))["provisioner"]["inventory"]
    data = yaml.safe_load(fill((ROOT / "molecule" / scenario / "molecule.yml").read_text()))
    inv = _merge(base, (data.get("provisioner") or {}).get("inventory") or {})
    out = tmp_path / "inventory"
    for kind in ("group_vars", "host_vars"):
        (out / kind).mkdir(parents=True)
        for name, values in (inv.get(kind) or {}).items():
            (out / kind / f"{name}.yml").write_text(yaml.safe_dump(values))
    hosts = inv["hosts"]
    for platform in data["platforms"]:
        hosts["all"].setdefault("hosts", {}).setdefault(platform["name"], {})
    (out / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return out


def test_the_scenarios_that_run_site_yml_are_found():
    assert {"default", "clickhouse_cluster"} <= set(SITE_SCENARIOS)


@pytest.mark.parametrize("scenario", SITE_SCENARIOS)
def test_the_scenario_inventory_passes_preflight(scenario, tmp_path):
    inv = _inventory(scenario, tmp_path)
    rc, out = run_ansible("ansible-playbook", "-i", inv, "playbooks/preflight.yml", "-e", "artifact_offline=false")
    assert rc == 0, out[-4000:]
    assert "failed=0" in out
