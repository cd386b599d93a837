"""roles/signoz's metastore choice through the real ansible-playbook: sqlite by default, PostgreSQL optional
(upstream's sqlstore.provider and sqlstore.postgres.dsn, SIGNOZ_* variables). No SigNoz binary can be had
here, so this proves the preflight check and the env file the role writes, not a SigNoz on PostgreSQL."""

import json
import sys

from runner import ROOT, run_ansible

PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "signoz_metastore.yml"
SECRET = "pg-Secret-0123456789"


def _run(tmp_path, **extra):
    out = tmp_path / "signoz.env"
    variables = {"forge_test_env_out": str(out), "ansible_python_interpreter": sys.executable, **extra}
    rc, output = run_ansible("ansible-playbook", "-i", "localhost,", PLAYBOOK, "-e", json.dumps(variables))
    env = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line) if out.exists() else {}
    return rc, output, env


def test_sqlite_is_the_default_metastore(tmp_path):
    rc, output, env = _run(tmp_path)
    assert rc == 0, output
    assert env["SIGNOZ_SQLSTORE_PROVIDER"] == "sqlite"
    assert env["SIGNOZ_SQLSTORE_SQLITE_PATH"] == "/var/lib/signoz/signoz.db"
    assert "SIGNOZ_SQLSTORE_POSTGRES_DSN" not in env


def test_postgres_metastore_takes_its_dsn_from_vault_and_never_shows_it(tmp_path):
    dsn = f"postgres://signoz:{SECRET}@10.0.0.5:5432/signoz?sslmode=verify-full"
    rc, output, env = _run(tmp_path, signoz_sqlstore_provider="postgres", vault_signoz_postgres_dsn=dsn)
    assert rc == 0, output
    assert env["SIGNOZ_SQLSTORE_PROVIDER"] == "postgres"
    assert env["SIGNOZ_SQLSTORE_POSTGRES_DSN"] == dsn
    assert "SIGNOZ_SQLSTORE_SQLITE_PATH" not in env
    assert SECRET not in output


def test_postgres_without_a_dsn_is_refused_before_anything_is_written(tmp_path):
    rc, output, env = _run(tmp_path, signoz_sqlstore_provider="postgres")
    assert rc != 0
    assert "signoz_sqlstore_provider is postgres; expected sqlite, or postgres with signoz_postgres_dsn" in output
    assert env == {}
    rc, output, _ = _run(tmp_path, signoz_sqlstore_provider="mysql")
    assert rc != 0 and "signoz_sqlstore_provider is mysql" in output
    bad = f"signoz:{SECRET}@10.0.0.5/signoz"  # not a postgres:// URL
    rc, output, _ = _run(tmp_path, signoz_sqlstore_provider="postgres", signoz_postgres_dsn=bad)
    assert rc != 0 and "expected sqlite, or postgres with signoz_postgres_dsn" in output
    assert SECRET not in output
