#!/usr/bin/env bash
# Make (or refresh) the project virtualenv at .venv: `scripts/bootstrap-venv.sh`.
# Idempotent: when .venv exists and pyproject.toml has not changed since the last
# install, it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.forge-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
# ansible.cfg loads the mitogen strategy from .venv/ansible-mitogen-strategy: a link to the
# plugins of the ansible_mitogen package in this venv, whatever its Python version
link_mitogen() {
  local dir
  dir=$(.venv/bin/python -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))') || {
    echo "[venv] ansible_mitogen is not importable from .venv (pyproject.toml pins mitogen)" >&2; return 1; }
  ln -sfn "$dir/plugins/strategy" .venv/ansible-mitogen-strategy
}
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  [ -e .venv/ansible-mitogen-strategy ] || link_mitogen
  exit 0
fi
echo "[venv] installing .venv from pyproject.toml (about a minute on a fresh machine)" >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
log=.venv/pip-install.log
if ! { .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e ".[test]"; } > "$log" 2>&1; then
  grep -v "is ignored: it is neither" "$log" | tail -30 >&2
  echo "[venv] pip install failed (full log: $log)" >&2
  exit 1
fi
link_mitogen
echo "$want" > "$stamp"
version=$(.venv/bin/ansible --version)
echo "[venv] ready: ${version%%$'\n'*}" >&2
