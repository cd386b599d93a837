"""Secrets: every vault_* variable an applied role reads (its defaults, `| default('')` or not) present with its
form: the lengths and character classes upstream enforces. A role variable the inventory sets itself (e.g.
signoz_jwt_secret) is checked in place of the vault variable. Messages never show a secret's value."""

from __future__ import annotations

import base64
import binascii
import re

from forge_monitoring import signoz_compat
from forge_monitoring.hostvars import UNSET

VAULT_REF = re.compile(r"\{\{\s*(vault_[a-z0-9_]+)\b")
DSN = re.compile(r"^postgres(ql)?://[^/]+/[^/?]+")


def _min(n):
    def check(value):
        return [] if len(value) >= n else [f"it is {len(value)} characters long; expected at least {n}"]

    return check


def _cookie(value):
    """oauth2-proxy: 16, 24 or 32 bytes, raw or (URL-safe) base64 of them."""
    if len(value.encode()) in (16, 24, 32):
        return []
    try:
        raw = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
        if len(raw) in (16, 24, 32):
            return []
    except (binascii.Error, ValueError):
        pass
    return [f"it is {len(value.encode())} bytes; expected 16, 24 or 32 bytes, or base64 of them (oauth2-proxy)"]


def _signoz_password(value):
    found = signoz_compat.signoz_password_problems(value)
    return [f"{'; '.join(found)} (SigNoz's password policy)"] if found else []


def _dsn(value):
    return [] if DSN.match(value) else ["expected postgres://user:password@host:5432/database"]


def _ssh_key(value):
    return [] if "PRIVATE KEY-----" in value else ["expected an SSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)"]


def _always(inv, host):
    return True


def _oauth(inv, host):
    return inv.value(host, "frontend", "frontend_oauth_enabled") is not False


# vault variable -> (role, the role variable that reads it, when it is needed, form check)
SECRETS = {
    "vault_clickhouse_signoz_password": ("clickhouse", "clickhouse_signoz_password", _always, _min(12)),
    "vault_clickhouse_admin_password": ("clickhouse", "clickhouse_admin_password", _always, _min(12)),
    "vault_signoz_jwt_secret": ("signoz", "signoz_jwt_secret", _always, _min(32)),
    "vault_signoz_root_password": ("signoz", "signoz_root_password", _always, _signoz_password),
    "vault_signoz_postgres_dsn": (
        "signoz",
        "signoz_postgres_dsn",
        lambda inv, h: inv.value(h, "signoz", "signoz_sqlstore_provider") == "postgres",
        _dsn,
    ),
    "vault_frontend_oauth_client_id": ("frontend", "frontend_oauth_client_id", _oauth, _min(1)),
    "vault_frontend_oauth_client_secret": ("frontend", "frontend_oauth_client_secret", _oauth, _min(1)),
    "vault_frontend_oauth_cookie_secret": ("frontend", "frontend_oauth_cookie_secret", _oauth, _cookie),
    "vault_pki_ca_passphrase": (
        "pki",
        "pki_ca_passphrase",
        lambda inv, h: inv.value(h, "pki", "pki_ca_source") != "files",
        _min(16),
    ),
    "vault_clickhouse_backup_ssh_key": (
        "clickhouse",
        "clickhouse_backup_rsync_ssh_key_content",
        lambda inv, h: bool(inv.value(h, "clickhouse", "clickhouse_backup_rsync_dest")),
        _ssh_key,
    ),
}
WHERE = "in inventories/<env>/group_vars/all/vault.yml (ansible-vault encrypt_string)"


def role_secrets(inv, role):
    """The vault variables a role's defaults read, with the role variable that reads each."""
    found = {}
    for var, default in inv.defaults(role).items():
        if isinstance(default, str):
            for ref in VAULT_REF.findall(default):
                found.setdefault(ref, var)
    return found


def problems(inv):
    out = []
    for host in inv.managed:
        values = {}
        for role in inv.roles_of(host):
            for ref, role_var in sorted(role_secrets(inv, role).items()):
                owner, _, needed, check = SECRETS.get(ref, (role, role_var, _always, _min(1)))
                if not needed(inv, host):
                    continue
                own = inv.var(host, role_var)
                name, value = (role_var, own) if own is not UNSET and ref not in str(own) else (ref, inv.var(host, ref))
                if (name, host) in values:
                    continue
                values[(name, host)] = value
                label = f"{name} (read by roles/{role} as {role_var})" if name == ref else f"{name} (roles/{role})"
                if value is UNSET or value is None or value == "":
                    state = "is empty" if value == "" else "is not defined"
                    out.append(f"{host}: {label} {state}; expected a vault-encrypted string {WHERE}")
                    continue
                if not isinstance(value, str):
                    out.append(f"{host}: {label} is a {type(value).__name__}; expected a string {WHERE}")
                    continue
                for problem in check(value):
                    out.append(f"{host}: {label}: {problem}")
        out += _distinct(inv, host)
    return out


def _distinct(inv, host):
    if "clickhouse" not in inv.roles_of(host):
        return []
    pairs = [
        inv.value(host, "clickhouse", "clickhouse_signoz_password"),
        inv.value(host, "clickhouse", "clickhouse_admin_password"),
    ]
    if UNSET in pairs:
        pairs = [inv.var(host, "vault_clickhouse_signoz_password"), inv.var(host, "vault_clickhouse_admin_password")]
    if pairs[0] not in (UNSET, None, "") and pairs[0] == pairs[1]:
        return [
            f"{host}: vault_clickhouse_signoz_password and vault_clickhouse_admin_password are the same; "
            "expected two different passwords"
        ]
    return []
