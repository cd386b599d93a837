"""Run the venv's real ansible commands from the repository root, as a user would."""

import os
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
