#!/usr/bin/env bash
# Make (or refresh) the project virtualenv at .venv: `scripts/bootstrap-venv.sh`.
# Idempotent: when .venv exists and pyproject.toml has not changed since the last
# install, it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.forge-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[venv] creating .venv (about a minute on a fresh machine)" >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]" 2> >(grep -v "is ignored: it is neither" >&2)
echo "$want" > "$stamp"
echo "[venv] ready: $(.venv/bin/ansible --version | head -1)" >&2
