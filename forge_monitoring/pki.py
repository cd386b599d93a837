"""Filters for the pki role: where issued files live, and certificate times as Unix time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from forge_monitoring.errors import FilterError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def forge_pki_paths(names, pki_dir):
    """{name: {cert, key, ca}} for certificates issued under pki_dir (the __pki_result contract)."""
    if not isinstance(names, (list, tuple)):
        raise FilterError(f"forge_pki_paths: expected a list of certificate names, got {type(names).__name__}")
    if not isinstance(pki_dir, str) or not pki_dir.startswith("/"):
        raise FilterError(f"forge_pki_paths: pki_dir must be an absolute path, got {pki_dir!r}")
    base = pki_dir.rstrip("/") or "/"
    out = {}
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name):
            raise FilterError(f"forge_pki_paths: certificate name {name!r} is not a lower-case id")
        if name in out:
            raise FilterError(f"forge_pki_paths: certificate name {name!r} appears twice")
        out[name] = {
            "cert": f"{base}/certs/{name}.crt",
            "key": f"{base}/private/{name}.key",
            "ca": f"{base}/ca.crt",
        }
    return out


def forge_asn1_epoch(value):
    """ASN.1 time as community.crypto reports it (YYYYMMDDHHMMSSZ, UTC) -> Unix seconds (int)."""
    if not isinstance(value, str):
        raise FilterError(f"forge_asn1_epoch: expected a string like 20271128093000Z, got {value!r}")
    try:
        moment = datetime.strptime(value, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise FilterError(f"forge_asn1_epoch: {value!r} is not YYYYMMDDHHMMSSZ ({exc})") from exc
    return int(moment.timestamp())
