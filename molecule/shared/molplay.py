"""TEST-ONLY helpers for the verifiers: run a playbook of the repository against the scenario's molecule inventory
with the json callback (return code, machine-readable results per task and host; ansible-core prints a failed
task's message on stderr, wrapped, the json callback keeps it whole), and run a command in a scenario container
with `docker exec` (checks between hosts, hosts in no inventory group)."""

import json
import os
import subprocess


def run_playbook(playbook, *args):
    cmd = [
        "ansible-playbook",
        "-i",
        # the inventory directory: groups are in its `hosts` file, connection settings in ansible_inventory.yml
        os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]),
        os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], playbook),
        *args,
    ]
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json")
    r = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    assert "{" in r.stdout, r.stderr[-3000:]
    return r.returncode, json.loads(r.stdout[r.stdout.index("{") :])


def changed_tasks(data):
    """[(host, task name)] of every changed result."""
    return [
        (host, task["task"]["name"])
        for play in data["plays"]
        for task in play["tasks"]
        for host, result in task["hosts"].items()
        if result.get("changed")
    ]


def docker_exec(container, script, timeout=300):
    return subprocess.run(
        ["docker", "exec", container, "sh", "-c", script], capture_output=True, text=True, timeout=timeout, check=False
    )
