"""Run the venv's real ansible commands from the repository root, as a user would."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run_ansible(tool, *args, timeout=300):
    """Run ``tool`` (ansible, ansible-playbook, ...) and return (returncode, stdout + stderr).

    The repository's ansible.cfg applies; proxies are dropped so local HTTP servers
    are reached directly.
    """
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", no_proxy="127.0.0.1,localhost")
    proc = subprocess.run(
        [str(BIN / tool), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def production_with_cold_volume(tmp_path):
    """A copy of inventories/production with the remedy its plan names: a 500 GB cold volume on vms-1."""
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "production", inv)
    (inv / "host_vars" / "vms-1.example.internal.yml").write_text(
        "---\nforge_private_address: 10.10.0.11\n"
        "forge_host_resources: {ram_mb: 8192, cores: 4, disk_gb: 500, cold_disk_gb: 500}\n"
    )
    return inv
