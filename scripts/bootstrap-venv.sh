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
# The controller's Python: ansible-core 2.21 needs 3.12 or newer. FORGE_PYTHON wins; then the
# first python3.13 / python3.12 that runs (a pyenv shim of a version that is not selected does
# not), then pyenv's own installs, then python3 when it is new enough (Debian 13 has 3.13).
new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
pick_python() {
  local c v
  if [ -n "${FORGE_PYTHON:-}" ]; then
    new_enough "$FORGE_PYTHON" && { echo "$FORGE_PYTHON"; return 0; }
    echo "[venv] FORGE_PYTHON=$FORGE_PYTHON is not a Python 3.12 or newer" >&2; return 1
  fi
  for v in 3.13 3.12; do
    c=$(command -v "python$v" || true)
    [ -n "$c" ] && new_enough "$c" && { echo "$c"; return 0; }
    for c in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$v".*/bin/"python$v" 2>/dev/null | sort -rV); do
      new_enough "$c" && { echo "$c"; return 0; }
    done
  done
  c=$(command -v python3 || true)
  [ -n "$c" ] && new_enough "$c" && { echo "$c"; return 0; }
  echo "[venv] no Python 3.12 or newer found (ansible-core 2.21 needs it on the controller): install" \
    "python3.13 (Debian 13: python3 python3-venv; elsewhere pyenv install 3.13) or set FORGE_PYTHON" >&2
  return 1
}
if [ -x .venv/bin/python ] && ! new_enough .venv/bin/python; then
  echo "[venv] .venv runs $(.venv/bin/python -V 2>&1): remaking it on a Python 3.12 or newer" >&2
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  python=$(pick_python)
  echo "[venv] installing .venv from pyproject.toml with $python ($("$python" -V 2>&1); about two minutes)" >&2
  "$python" -m venv .venv
else
  echo "[venv] refreshing .venv from pyproject.toml" >&2
fi
log=.venv/pip-install.log
if ! { .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e ".[test,plan]"; } > "$log" 2>&1; then
  grep -v "is ignored: it is neither" "$log" | tail -30 >&2
  echo "[venv] pip install failed (full log: $log)" >&2
  exit 1
fi
link_mitogen
echo "$want" > "$stamp"
version=$(.venv/bin/ansible --version)
echo "[venv] ready: ${version%%$'\n'*}" >&2
