"""tests/secrets_scan.py (issue 16 item 4) finds a planted secret in a scanned action and nothing elsewhere."""

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("secrets_scan", ROOT / "tests" / "secrets_scan.py")
secrets_scan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(secrets_scan)


def _log(converge="", verify=""):
    return "\n".join(
        [
            "INFO     default ➜ converge: Executing",
            "TASK [signoz : Write the environment file]",
            converge,
            "INFO     default ➜ converge: Executed: Successful",
            "INFO     default ➜ verify: Executing",
            verify,
            "INFO     default ➜ verify: Executed: Successful",
        ]
    )


def test_every_vault_value_of_the_scenario_is_looked_for():
    values = secrets_scan.secrets("default")
    assert values["mol-admin-Password-1"] == "vault_clickhouse_admin_password"
    assert values["molecule-test-only-passphrase"] == "vault_pki_ca_passphrase"  # from .config/molecule
    assert set(values.values()) >= {"vault_signoz_jwt_secret", "vault_signoz_root_password"}


def test_a_planted_vault_value_in_converge_is_a_hit_naming_the_variable_not_the_value():
    hits = secrets_scan.scan("default", _log(converge="+SIGNOZ_JWT=mol-jwt-secret-0123456789abcdef0123456789"))
    assert hits == ["converge, log line 3: the value of vault_signoz_jwt_secret"]
    assert "mol-jwt" not in hits[0]


def test_private_key_bodies_are_hits():
    pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----"
    wg = "PrivateKey = " + "A" * 43 + "="
    assert [h.split(": ", 1)[1] for h in secrets_scan.scan("default", _log(converge=pem + "\n" + wg))] == [
        "a PEM private key",
        "a WireGuard private key",
    ]


def test_the_verify_output_and_a_clean_converge_are_not_hits():
    assert (
        secrets_scan.scan("default", _log(converge="ok: [fm-mol-vms-1]", verify="ADMIN = mol-admin-Password-1")) == []
    )


def test_a_log_without_a_scanned_action_fails_instead_of_passing(tmp_path):
    log = tmp_path / "empty.log"
    log.write_text("INFO     default ➜ create: Executing\n")
    assert secrets_scan.main(["secrets_scan.py", "default", str(log)]) == 1
