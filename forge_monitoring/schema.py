"""The inventory's schema (forge_monitoring/schema/inventory.schema.json) and its check on the controller.

The schema describes every variable an operator sets, per host (group_vars apply to each host of the group):
the roles' options come from roles/*/meta/argument_specs.yml (type, list elements, choices), refined by
OVERLAY (formats, ranges and nested shapes argument specs cannot say) and the project's own forge_* variables.
``python -m forge_monitoring.schema`` rewrites the file; tests/unit/test_inventory_schema.py keeps the file, the
argument specs and this generator in agreement. Validation uses the ``jsonschema`` library with the formats
below (DNS names, URLs, addresses, networks, time zones known to the controller's zoneinfo).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import sys
import zoneinfo
from pathlib import Path

import jsonschema
import yaml

from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import UNSET, managed_hosts, read

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "inventory.schema.json"

DNS_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
DNS_NAME = re.compile(rf"^{DNS_LABEL}(\.{DNS_LABEL})*$")
URL = re.compile(r"^(https?|ftp|file)://[^\s/:?#]+(:[0-9]{1,5})?(/\S*)?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WILDCARDS = ("0.0.0.0", "::")


def _ip(value):
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _cidr(value):
    if "/" not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=True)
        return True
    except ValueError:
        return False


def _timezone(value):
    if not re.match(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", value):
        return False
    try:
        zoneinfo.ZoneInfo(value)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


# format name -> (test on a string, the expected form in messages)
FORMATS = {
    "ip-address": (_ip, "an IP address like 10.0.1.10"),
    "unicast-address": (lambda v: _ip(v) and v not in WILDCARDS, "one IP address of the host, never a wildcard"),
    "cidr": (_cidr, "a network in CIDR form like 10.20.0.0/16 (no host bits)"),
    "dns-name": (
        lambda v: bool(DNS_NAME.match(v)) and not _ip(v),
        "a DNS name without scheme or path, like example.com",
    ),
    "host": (lambda v: _ip(v) or bool(DNS_NAME.match(v)), "a DNS name or an IP address, without scheme or port"),
    "url": (lambda v: bool(URL.match(v)), "a URL with its scheme, like https://host.example.com/path"),
    "url-or-empty": (lambda v: v == "" or bool(URL.match(v)), "an http(s):// URL or an empty string"),
    "timezone": (_timezone, "a time zone name of the tz database, like UTC or Europe/London (zoneinfo)"),
    "email": (lambda v: bool(EMAIL.match(v)), "an e-mail address like ops@example.com"),
}

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
for _name, (_test, _) in FORMATS.items():
    FORMAT_CHECKER.checks(_name)(_test)


def _str(fmt=None, **kw):
    return {"type": "string", **({"format": fmt} if fmt else {}), **kw}


def _list(items, **kw):
    return {"type": "array", "items": items, **kw}


def _obj(props, required=(), extra=False, **kw):
    out = {"type": "object", "properties": props, "additionalProperties": extra, **kw}
    if required:
        out["required"] = list(required)
    return out


# the strings Ansible's argument-spec validation takes for a bool (`-e flag=true` gives a string)
BOOL_STRINGS = ["true", "false", "True", "False", "yes", "no", "on", "off", "1", "0"]
BOOL = {"oneOf": [{"type": "boolean"}, {"enum": BOOL_STRINGS}], "x-expected": "true or false"}
NUM = {"type": "number"}
POSNUM = {"type": "number", "exclusiveMinimum": 0}
ABS_PATH = _str(pattern="^/", **{"x-expected": "an absolute path"})
CIDRS = _list(_str("cidr"))
MODE = {"type": "string", "pattern": "^0?[0-7]{3,4}$", "x-expected": "a quoted octal mode like '0755'"}
SIGNAL = {"enum": ["traces", "logs", "metrics"]}
PORT_DECL = _obj(
    {
        "name": {"type": "string"},
        "port": {"type": ["integer", "string"]},
        "proto": {"enum": ["tcp", "udp"]},
        "sources": {"type": ["array", "string"]},
        "interface": {"type": "string"},
    },
    required=("name", "port"),
)
CERT_REQUEST = _obj(
    {
        "name": _str(pattern="^[a-z][a-z0-9_-]*$"),
        "usage": {"enum": ["server", "client"]},
        "common_name": _str(minLength=1),
        "sans": _list(_str(pattern=r"^(DNS|IP):\S+$")),
        "owner": {"type": "string"},
        "group": {"type": "string"},
    },
    required=("name", "usage", "common_name"),
)
GITHUB_LOGIN = _str(pattern="^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$", **{"x-expected": "a GitHub login"})

# The project's own variables (no role declares them) and refinements of role options, by variable name.
OVERLAY = {
    "forge_env": {"enum": ["lab", "production"]},
    "forge_domain": _str("dns-name"),
    "forge_private_address": _str("ip-address"),
    "forge_coordinator": {"enum": ["zookeeper", "keeper"]},
    "forge_networks": {
        "type": "object",
        "additionalProperties": {"oneOf": [_str("cidr"), _list(_str("cidr"), minItems=1)]},
    },
    "forge_host_resources": _obj(
        {
            "ram_mb": {"type": "integer", "minimum": 1},
            "cores": POSNUM,
            "disk_gb": POSNUM,
            "cold_disk_gb": {"type": "number", "minimum": 0},
        },
        required=("ram_mb", "cores", "disk_gb"),
    ),
    "forge_sizing_budgets": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
    "forge_ingest_estimates": {
        "type": "object",
        "propertyNames": SIGNAL,
        "additionalProperties": {
            "oneOf": [
                _obj({"monthly_gb": {"type": "number", "minimum": 0}}, required=("monthly_gb",)),
                _obj({"rate": {"type": "number", "minimum": 0}, "bytes": POSNUM, "compression": POSNUM}),
            ]
        },
    },
    "forge_retention_policy": _obj(
        {
            "classes": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "x-expected": "a whole number of days >= 1"},
            },
            "signals": {"type": "object", "propertyNames": SIGNAL, "additionalProperties": {"type": "string"}},
        }
    ),
    "forge_retention_headroom": {
        "type": "number",
        "minimum": 0,
        "exclusiveMaximum": 1,
        "x-expected": "a fraction 0 <= x < 1 of the data (0.2 is 20 %), not a percentage",
    },
    "forge_retention_allow_overflow": BOOL,
    "forge_ingest_start": _str(pattern=r"^\d{4}-\d{2}-\d{2}$", **{"x-expected": "a date YYYY-MM-DD"}),
    "forge_substitutes": {
        "type": "object",
        "additionalProperties": _obj(
            {"kind": {"enum": ["substitute", "fixture"]}, "what": _str(minLength=1)}, required=("kind", "what")
        ),
    },
    "forge_authorized_users": _list(
        _obj(
            {"github": GITHUB_LOGIN, "email": _str("email"), "role": {"enum": ["admin", "viewer"]}},
            required=("github", "role"),
        ),
    ),
    "forge_metrics_extra": _list({"type": "object"}),
    "forge_alerts_extra": _list({"type": "object"}),
    "forge_dashboards_extra": _list({"type": "object"}),
    # base
    "base_apt_mirror": _str("url-or-empty"),
    "base_apt_security_mirror": _str("url-or-empty"),
    "base_apt_proxy": _str("url-or-empty"),
    "base_chrony_pools": _list(_str("dns-name")),
    "base_chrony_servers": _list(_str("host")),
    "base_chrony_serve_networks": CIDRS,
    "base_timezone": _str("timezone"),
    "base_directories": _list(
        _obj(
            {"path": ABS_PATH, "owner": {"type": "string"}, "group": {"type": "string"}, "mode": MODE},
            required=("path", "mode"),
        ),
    ),
    "base_service_users": _list(
        _obj(
            {
                "name": _str(pattern="^[a-z_][a-z0-9_-]*$"),
                "comment": {"type": "string"},
                "home": {"type": "string"},
                "shell": {"type": "string"},
                "groups": _list({"type": "string"}),
                "system": {"type": "boolean"},
            },
            required=("name",),
        ),
    ),
    "base_ports": _list(PORT_DECL),
    # clickhouse
    "clickhouse_apt_repo_uri": _str("url"),
    "clickhouse_apt_repo_key_url": _str("url"),
    "clickhouse_listen_address": _str("unicast-address"),
    "clickhouse_cluster_name": _str(pattern="^[A-Za-z_][A-Za-z0-9_]*$", **{"x-expected": "an identifier"}),
    "clickhouse_shard": {"type": "integer", "minimum": 1, "maximum": 99},
    "clickhouse_replica": _str(pattern="^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
    "clickhouse_cold_disk_path": {"oneOf": [{"const": ""}, ABS_PATH], "x-expected": "an absolute path or ''"},
    "clickhouse_allowed_sources": CIDRS,
    "clickhouse_user_networks": CIDRS,
    "clickhouse_ports": _list(PORT_DECL),
    "clickhouse_certificates": _list(CERT_REQUEST),
    # clickhouse_keeper, zookeeper
    "clickhouse_keeper_listen_address": _str("unicast-address"),
    "clickhouse_keeper_id": {"type": ["integer", "string"], "pattern": "^$", "minimum": 1, "maximum": 255},
    "zookeeper_listen_address": _str("unicast-address"),
    "zookeeper_id": {"type": ["integer", "string"], "pattern": "^$", "minimum": 1, "maximum": 255},
    "zookeeper_data_dir": _str(pattern="^/(?!tmp(/|$))", **{"x-expected": "an absolute path outside /tmp"}),
    # firewall
    "firewall_table": _str(pattern="^[a-z][a-z0-9_]{0,31}$", **{"x-expected": "a lower-case nft name"}),
    "firewall_admin_networks": CIDRS,
    "firewall_confirm_timeout": {"type": "integer", "minimum": 1},
    # frontend
    "frontend_server_name": _str("dns-name"),
    "frontend_server_aliases": _list(_str("dns-name")),
    "frontend_allowed_sources": CIDRS,
    "frontend_tls_cert_file": ABS_PATH,
    "frontend_tls_key_file": ABS_PATH,
    "frontend_tls_protocols": _list({"enum": ["TLSv1.2", "TLSv1.3"]}, minItems=1),
    "frontend_authorized_users": {"$ref": "#/properties/forge_authorized_users"},
    "frontend_ports": _list(PORT_DECL),
    "frontend_certificates": _list(CERT_REQUEST),
    # node_exporter
    "node_exporter_listen_address": _str("unicast-address"),
    "node_exporter_allowed_sources": CIDRS,
    "node_exporter_ports": _list(PORT_DECL),
    # pki
    "pki_certificates": _list(CERT_REQUEST),
    "pki_requests": _list(CERT_REQUEST),
    "pki_renew_days": {"type": "integer", "minimum": 1},
    # signoz
    "signoz_root_email": _str("email"),
    "signoz_external_url": _str("url"),
    "signoz_users": _list(
        _obj(
            {
                "email": _str("email"),
                "name": {"type": "string"},
                "role": {"enum": ["admin", "editor", "viewer"]},
                "github": GITHUB_LOGIN,
            },
            required=("email",),
        ),
    ),
    "signoz_http_sources": CIDRS,
    "signoz_opamp_sources": CIDRS,
    "signoz_ports": _list(PORT_DECL),
    # signoz_ingest
    "signoz_ingest_listen_address": _str("unicast-address"),
    "signoz_ingest_sources": CIDRS,
    "signoz_ingest_ports": _list(PORT_DECL),
    # wireguard
    "wireguard_cidr": _str("cidr"),
    "wireguard_interface": _str(pattern="^[a-z][a-z0-9_-]{0,14}$", **{"x-expected": "an interface name like wg0"}),
    "wireguard_userspace": {"enum": ["auto", True, False]},
    "wireguard_endpoint": _str("host"),
    "wireguard_listen_sources": CIDRS,
    "wireguard_persistent_keepalive": {"type": "integer", "minimum": 0},
    "wireguard_pinned_addresses": {"type": "object", "additionalProperties": _str("ip-address")},
    "wireguard_ports": _list(PORT_DECL),
    # artifact
    "artifact_mirror": _str("url-or-empty"),
    "artifact_controller_proxy": _str("url-or-empty"),
}

SPEC_TYPES = {
    "str": "string",
    "path": "string",
    "int": "integer",
    "bool": "boolean",
    "float": "number",
    "list": "array",
    "dict": "object",
}


def _from_spec(var, option):
    """The JSON Schema of one argument-spec option (type, list elements, choices)."""
    kind = option.get("type", "str")
    if kind == "bool":
        return dict(BOOL)
    out = {}
    if kind in SPEC_TYPES:
        out["type"] = SPEC_TYPES[kind]
    if kind == "list" and option.get("elements") in SPEC_TYPES:
        out["items"] = {"type": SPEC_TYPES[option["elements"]]}
    if option.get("choices"):
        out["enum"] = list(option["choices"])
    if kind == "int" and var.endswith("_port"):
        out.update({"minimum": 1, "maximum": 65535, "x-expected": "a TCP/UDP port 1-65535"})
    return out


def _merge(base, refined):
    """refined over base; a refinement that names no type keeps the spec's type unless it says enum/oneOf/$ref."""
    if any(k in refined for k in ("enum", "oneOf", "$ref", "const")):
        return dict(refined)
    out = dict(base)
    for key, value in refined.items():
        if key == "items" and isinstance(out.get("items"), dict):
            out["items"] = _merge(out["items"], value)
        else:
            out[key] = value
    return out


def role_options(root=ROOT):
    """{variable: (role, option)} from every role's meta/argument_specs.yml (entry point main first)."""
    options = {}
    for path in sorted((root / "roles").glob("*/meta/argument_specs.yml")):
        role = path.parts[-3]
        specs = (yaml.safe_load(path.read_text()) or {}).get("argument_specs") or {}
        for entry in sorted(specs, key=lambda e: e != "main"):
            for var, option in ((specs[entry] or {}).get("options") or {}).items():
                options.setdefault(var, (role, option))
    return options


def build(root=ROOT):
    props = {}
    for var, (role, option) in sorted(role_options(root).items()):
        schema = _from_spec(var, option)
        schema["x-role"] = role
        props[var] = _merge(schema, OVERLAY[var]) if var in OVERLAY else schema
    for var, schema in OVERLAY.items():
        props.setdefault(var, dict(schema))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://forge-monitoring.invalid/inventory.schema.json",
        "title": "forge-monitoring inventory: the variables of one host (host_vars over group_vars)",
        "description": "Generated by `python -m forge_monitoring.schema` from roles/*/meta/argument_specs.yml and "
        "forge_monitoring/schema.py OVERLAY; checked by playbooks/preflight.yml (docs/preflight.md).",
        "type": "object",
        "properties": dict(sorted(props.items())),
    }


@functools.cache
def _load_text(text):
    return json.loads(text)


def load():
    """The schema file (parsed once per content)."""
    return _load_text(SCHEMA_FILE.read_text())


def _path(error):
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _type_name(kind):
    names = {
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "object": "a mapping",
        "null": "null",
    }
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(k, k) for k in kinds)


def expected(schema):  # noqa: PLR0911 (one return per kind of node)
    """The expected form of a schema node, in words."""
    if "x-expected" in schema:
        return schema["x-expected"]
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "format" in schema:
        return FORMATS[schema["format"]][1]
    if "oneOf" in schema:
        return " or ".join(expected(s) for s in schema["oneOf"])
    if "const" in schema:
        return repr(schema["const"])
    words = _type_name(schema.get("type", "any value"))
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        words += ", each " + expected(schema["items"])
    if schema.get("type") == "object" and schema.get("properties"):
        keys = ", ".join(k + ("" if k in schema.get("required", []) else "?") for k in schema["properties"])
        words += f" {{{keys}}}"
    if "pattern" in schema and schema.get("type") == "string":
        words += f" matching {schema['pattern']}"
    if "minimum" in schema and "maximum" in schema:
        return words + f" {schema['minimum']}-{schema['maximum']}"
    for key, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in schema:
            words += f" {sign} {schema[key]}"
    return words


def _best(error):
    """The most specific error of a oneOf/anyOf (the branch whose type matches)."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        same_type = [e for e in error.context if e.validator != "type"]
        if same_type:
            return _best(jsonschema.exceptions.best_match(same_type))
    return error


def _message(host, error):
    top, error = error, _best(error)
    if "x-expected" in top.schema:
        return f"{host}: {_path(top)} is {top.instance!r}; expected {top.schema['x-expected']}"
    where = _path(error)
    value = error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        known = set(error.schema.get("properties") or {})
        extra = sorted(k for k in value if k not in known)
        return f"{host}: {where} has unknown key(s) {', '.join(map(str, extra))}; expected {expected(error.schema)}"
    if error.validator == "required":
        return f"{host}: {where} lacks {error.message.split(' is a required')[0]}; expected {expected(error.schema)}"
    if "propertyNames" in error.relative_schema_path:
        return f"{host}: {where} has the key {value!r}; expected keys {expected(error.schema)}"
    return f"{host}: {where} is {value!r}; expected {expected(error.schema)}"


def validator(schema=None):
    schema = schema or load()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=FORMAT_CHECKER)


_VALIDATORS = {}


def _default_validator():
    schema = load()
    if id(schema) not in _VALIDATORS:
        _VALIDATORS.clear()
        _VALIDATORS[id(schema)] = validator(schema)
    return _VALIDATORS[id(schema)]


def values_of(hv, schema):
    """The schema's variables this host sets, as plain values (those the controller cannot evaluate left out)."""
    out = {}
    for var in schema["properties"]:
        value = read(hv, var)
        if value is not UNSET:
            out[var] = value
    return out


def host_problems(host, values, check=None):
    check = check or _default_validator()
    errors = sorted(check.iter_errors(values), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [_message(host, e) for e in errors]


def schema_problems(hostvars, groups):
    """Every managed host's variables checked against the schema: one line per problem."""
    if not isinstance(groups, dict):
        raise FilterError("expected hostvars | forge_schema_problems(groups)")
    schema = load()
    check = validator(schema)
    problems = []
    for host in managed_hosts(groups):
        problems += host_problems(host, values_of(hostvars[host], schema), check)
    return problems


def main(argv=None):
    SCHEMA_FILE.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
