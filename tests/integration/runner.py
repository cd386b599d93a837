"""Run the venv's real ansible commands from the repository root, as a user would."""

import json
import os
import re
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


def vault_test_values():
    """A value for every vault_* variable a role's defaults reference (what a real vault.yml would hold)."""
    refs = set()
    for defaults in ROOT.glob("roles/*/defaults/main.yml"):
        refs |= set(re.findall(r"\bvault_[a-z0-9_]+\b", defaults.read_text()))
    values = {ref: f"test-only-{ref}-0123456789abcdef" for ref in sorted(refs)}
    # the forms upstream enforces (forge_monitoring/checks/secrets.py): SigNoz's password policy, and the
    # 32-byte cookie secret of oauth2-proxy
    values["vault_signoz_root_password"] = "Test-only-root-Passw0rd!"
    values["vault_frontend_oauth_cookie_secret"] = "test-only-cookie-secret-32-byte!"
    return values


def production_copy(tmp_path):
    """A copy of inventories/production with test values for its vault secrets (group_vars/all/vault.yml)."""
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "production", inv)
    (inv / "group_vars" / "all" / "vault.yml").write_text("---\n" + json.dumps(vault_test_values(), indent=1) + "\n")
    return inv


def production_with_cold_volume(tmp_path):
    """production_copy with the remedy its plan names: a 500 GB cold volume on vms-1 (/srv/clickhouse-cold)."""
    inv = production_copy(tmp_path)
    (inv / "host_vars" / "vms-1.example.internal.yml").write_text(
        "---\nforge_private_address: 10.10.0.11\n"
        "forge_host_resources: {ram_mb: 8192, cores: 4, disk_gb: 500, cold_disk_gb: 500}\n"
        "clickhouse_cold_disk_path: /srv/clickhouse-cold/\n"
    )
    return inv
