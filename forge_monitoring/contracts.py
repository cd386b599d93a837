"""Upstream contracts: what roles/ uses from each pinned upstream release, checked against tests/contracts/.

A contract (tests/contracts/<component>-<version>.yml, schema in docs/testing.md "Upstream contracts") records,
with a citation per entry, what one upstream release offers: HTTP routes, environment variables, config keys,
collector components, CLI subcommands and flags, the release archive's layout, ClickHouse rights.

``extract_usage(root)``  reads roles/ (tasks, templates, defaults, vars) and returns every use of upstream;
``check(root)``          compares it with the contracts of the versions pinned in versions.yml;
``forge-monitoring contracts --check`` prints the violations and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import yaml

from forge_monitoring.sizing import forge_sizing

ROOT = Path(__file__).resolve().parent.parent

# Components that have upstream contracts; every pinned version of one needs tests/contracts/<name>-<version>.yml.
# otelcol-contrib and fluent-bit: contracts for the dev-site agent roles of issue 18, ahead of their pins.
CONTRACT_COMPONENTS = (
    "signoz",
    "signoz-otel-collector",
    "histogram-quantile",
    "clickhouse",
    "otelcol-contrib",
    "fluent-bit",
)
SECTIONS = ("routes", "env", "config_keys", "components", "cli", "archive", "clickhouse_rights", "runtime")
COMPONENT_KINDS = ("receivers", "processors", "exporters", "extensions", "connectors")
# one place `path:12`, a range `path:12-20`, several lines `path:12,30` or several places `a.go:1; b.go:2`
CITE = re.compile(r"^[^\s:;]+:\d+(-\d+)?(,\d+(-\d+)?)*(; [^\s:;]+:\d+(-\d+)?(,\d+(-\d+)?)*)*$")

# Variables that hold an artifact's version directory (/opt/<name>/<version>) in the roles, by artifact name.
# A path written "{{ <var> }}/<path>" is a path inside that release archive (after strip_components).
ARCHIVE_HOMES: dict[str, str] = {
    "__signoz_home": "signoz",
    "__signoz_release.path": "signoz",
    "__signoz_collector_home": "signoz-otel-collector",
    "__signoz_collector_release.path": "signoz-otel-collector",
    "__signoz_ingest_home": "signoz-otel-collector",
    "__signoz_ingest_release.path": "signoz-otel-collector",
    "__clickhouse_udf_release.path": "histogram-quantile",
    "__frontend_oauth2_proxy_home": "oauth2-proxy",
    "__frontend_oauth2_proxy_release.path": "oauth2-proxy",
    "__otel_agent_home": "otelcol-contrib",
    "__otel_agent_release.path": "otelcol-contrib",
}
# A release-directory variable the table above does not know is reported, so a new one cannot slip past.
HOME_LIKE = re.compile(r"\{\{\s*(__\w+_(?:home|new|good)|__\w+_release\.path)\s*\}\}/((?:\{\{.*?\}\}|[^\s\"'])+)")
BINARIES = {"signoz": "signoz", "signoz-otel-collector": "signoz-otel-collector", "otelcol-contrib": "otelcol-contrib"}
# a binary at the top of its release directory: "{{ <release dir var> }}/<binary or a variable naming it> <args>"
HOME_BINARY = re.compile(r"\{\{\s*(__\w+_home|__\w+_release\.path)\s*\}\}/(\{\{\s*\w+\s*\}\}|[\w.-]+)(.*)")
SIGNOZ_API = re.compile(r"\{\{\s*__signoz_api\s*\}\}")
JINJA_EXPR = re.compile(r"\{\{.*?\}\}")
JINJA_STMT = re.compile(r"\{%.*?%\}")
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)

# --------------------------------------------------------------------------------------------------- schema

_STR_LIST = {"type": "array", "items": {"type": "string"}}
_CITED = {
    "cite": {"type": "string", "pattern": CITE.pattern},
    "repository": {"type": "string"},
    "tag": {"type": "string"},
    "commit": {"type": "string", "pattern": r"^[0-9a-f]{7,40}$"},
}
_ENUMS = {"type": "object", "additionalProperties": {"type": "array"}}


def _entry(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An entry: its typed fields, a required cite; further informational keys (a note, a policy) are allowed."""
    return {
        "type": "object",
        "required": [*required, "cite"],
        "properties": {**props, **_CITED},
    }


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["component", "version", "repository", "tag"],
    "properties": {
        "component": {"enum": list(CONTRACT_COMPONENTS)},
        "version": {"type": "string", "minLength": 1},
        "repository": {"type": "string", "pattern": r"^[\w.-]+/[\w.-]+$"},
        "tag": {"type": "string", "minLength": 1},
        "commit": {"type": "string", "pattern": r"^[0-9a-f]{7,40}$"},
        "routes": {
            "type": "array",
            "items": _entry(
                {
                    "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                    "path": {"type": "string", "pattern": r"^/"},
                    "auth": {"enum": ["none", "viewer", "editor", "admin"]},
                    "query": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"required": _STR_LIST, "optional": _STR_LIST, "enums": _ENUMS},
                    },
                    "body": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "required": _STR_LIST,
                            "optional": _STR_LIST,
                            "enums": _ENUMS,
                            "unknown_fields": {"enum": ["reject", "ignore"]},
                        },
                    },
                    "status": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
                },
                ["method", "path", "auth", "status"],
            ),
        },
        "env": {
            "type": "array",
            "items": _entry(
                {
                    "name": {"type": "string", "pattern": r"^[A-Z][A-Z0-9_]*$"},
                    "values": {"type": "array"},
                    "required": {"type": "boolean"},
                    "default": {},
                },
                ["name"],
            ),
        },
        "config_keys": {
            "type": "array",
            "items": _entry(
                {
                    "key": {"type": "string", "minLength": 1},
                    "default": {},
                    "values": {"type": "array"},
                    "required": {"type": "boolean"},
                },
                ["key"],
            ),
        },
        "components": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                kind: {"type": "array", "items": _entry({"name": {"type": "string"}}, ["name"])}
                for kind in COMPONENT_KINDS
            },
        },
        "cli": {
            "type": "array",
            "items": _entry(
                {
                    "command": _STR_LIST,
                    "flags": {"type": "array", "items": {"type": "string", "pattern": r"^--?[\w-]+$"}},
                },
                ["command", "flags"],
            ),
        },
        "archive": {
            "type": "object",
            "required": ["name", "wrapper", "paths"],
            "properties": {
                "name": {"type": "string"},
                "wrapper": {"type": ["string", "null"]},
                "cite": {"type": "string", "pattern": CITE.pattern},
                "paths": {"type": "array", "items": _entry({"path": {"type": "string"}}, ["path"])},
            },
        },
        "clickhouse_rights": {
            "type": "array",
            "items": _entry({"grant": {"type": "string"}, "why": {"type": "string"}}, ["grant"]),
        },
        "runtime": {"type": "array", "items": _entry({"fact": {"type": "string"}}, ["fact"])},
    },
}


def validate_contract(data: Any, name: str = "contract") -> list[str]:
    """Errors of one loaded contract against SCHEMA (empty when valid); ``name`` prefixes each message."""
    try:
        import jsonschema  # noqa: PLC0415 (optional: ansible-lint brings it into the test venv)
    except ImportError:  # pragma: no cover - the test venv has it
        return _validate_plain(data, name)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "(top)"
        errors.append(f"{name}: {where}: {err.message}")
    return errors


def _validate_plain(data: Any, name: str) -> list[str]:
    """The schema's core without jsonschema (a controller without the test extra): top-level keys, known sections,
    a cite of the right form on every entry. Types and enumerations are left to the jsonschema run in the tests."""
    if not isinstance(data, dict):
        return [f"{name}: (top): not a mapping"]
    errors = [f"{name}: (top): '{k}' is a required property" for k in SCHEMA["required"] if k not in data]
    errors += [f"{name}: (top): unknown section '{k}'" for k in data if k not in SCHEMA["properties"]]

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, dict):
                    entry(item, f"{path}.{i}")
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")

    def entry(node: dict[str, Any], path: str) -> None:
        if "cite" not in node:
            errors.append(f"{name}: {path}: 'cite' is a required property")
        elif not CITE.match(str(node["cite"])):
            errors.append(f"{name}: {path}.cite: {node['cite']!r} does not match {CITE.pattern!r}")

    for section in SECTIONS:
        if section in data:
            walk(data[section], section)
    return errors


def load_contract(path: Path) -> dict[str, Any]:
    """One contract file, validated; ValueError listing every schema error, or a name/content mismatch."""
    data = yaml.safe_load(path.read_text())
    errors = validate_contract(data, path.name)
    if not errors:
        version = str(data["version"])
        names = {f"{data['component']}-{v}.yml" for v in (version, ".".join(version.split(".")[:3]))}
        if path.name not in names:
            errors.append(f"{path.name}: file name must be {' or '.join(sorted(names))}")
    if errors:
        raise ValueError("\n".join(errors))
    return data


# --------------------------------------------------------------------------------------------------- usage


@dataclass(frozen=True)
class Use:
    """One thing roles/ uses from upstream. ``where`` is path:line relative to the tree's root."""

    component: str
    kind: str  # route | env | cli | component | config_key | archive_path
    item: str
    where: str
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Violation:
    kind: str
    item: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.item} ({self.where}): {self.reason}"


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that records each mapping's first line (1-based) under the key '__line__'."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _tasks(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always"):
            if key in node:
                yield from _tasks(node[key])


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _rel(root: Path, path: Path) -> str:
    return str(path.relative_to(root))


def _normalise_path(path: str) -> str:
    path = JINJA_EXPR.sub("{id}", path)
    return re.sub(r"\{[^}/]*\}", "{id}", path)


def extract_routes(root: Path) -> list[Use]:
    """Every ansible.builtin.uri task under roles/ whose url has /api/: one Use per (method, path)."""
    uses = []
    for path in sorted((root / "roles").glob("*/*/*.yml")):
        if path.parent.name not in ("tasks", "handlers"):
            continue
        text = path.read_text()
        lines = text.splitlines()
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
        for task in _tasks(data):
            module = task.get("ansible.builtin.uri", task.get("uri")) or _deploy_health(task)
            if not isinstance(module, dict) or "url" not in module:
                continue
            url = str(module["url"])
            urls = [url]
            loop = task.get("loop", task.get("with_items"))
            if re.search(r"\{\{\s*item\s*\}\}", url) and isinstance(loop, list):
                urls = [re.sub(r"\{\{\s*item\s*\}\}", str(item), url) for item in loop]
            for one in urls:
                # a SigNoz url whose path is not literal here (a loop over a variable) cannot be checked: it is
                # kept as it stands, so the check reports it rather than letting it pass unseen
                api = SIGNOZ_API.search(one)
                if "/api/" in one or api:
                    use = _route_use(root, path, task, module, one[api.end() :] if api else one)
                    gate = _version_gate(lines, task.get("__line__", 0))
                    if gate:
                        use.details["versions"] = gate
                    uses.append(use)
    return uses


def _deploy_health(task: dict[str, Any]) -> dict[str, Any] | None:
    """roles/artifact's deploy entry point polls the caller's artifact_deploy_health_url with a GET: a route too."""
    include = task.get("ansible.builtin.include_role", task.get("include_role"))
    if not isinstance(include, dict) or include.get("name") != "artifact" or include.get("tasks_from") != "deploy":
        return None
    url = (task.get("vars") or {}).get("artifact_deploy_health_url")
    return {"url": url, "method": "GET"} if url else None


# A task that runs only on some upstream versions says so on the line above it:
#   # upstream: signoz < 0.130.0
# Its uses are checked against every contract in that range (at least one must exist), not the pinned one.
VERSION_GATE = re.compile(
    r"^\s*#\s*upstream:\s*(?P<component>[a-z-]+)\s*(?P<op><=|>=|<|>|==)\s*(?P<version>[0-9.]+)\s*$"
)


def _version_gate(lines: list[str], line: int) -> dict[str, str] | None:
    """The ``# upstream: <component> <op> <version>`` comment right above the task starting at ``line`` (1-based)."""
    if line < 2:
        return None
    found = VERSION_GATE.match(lines[line - 2])
    return found.groupdict() if found else None


def _vt(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])


def in_gate(version: str, gate: dict[str, str]) -> bool:
    """Whether an upstream ``version`` falls in a task's version gate."""
    a, b = _vt(version), _vt(gate["version"])
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b}[gate["op"]]


def _route_use(root: Path, path: Path, task: dict[str, Any], module: dict[str, Any], url: str) -> Use:
    api = url[url.index("/api/") :] if "/api/" in url else url
    route, _, query = api.partition("?")
    method = str(module.get("method", "GET")).upper()
    query_values = dict(part.partition("=")[::2] for part in query.split("&") if part)
    query_names = sorted(query_values)
    body = _strip_lines(module.get("body"))
    fields: dict[str, Any] = {}
    if module.get("body_format") == "json" and isinstance(body, dict):
        fields = body
    status = module.get("status_code")
    statuses = [int(s) for s in (status if isinstance(status, list) else [status])] if status is not None else []
    headers = _strip_lines(module.get("headers")) or {}
    normalised = _normalise_path(route)
    return Use(
        "signoz",
        "route",
        f"{method} {normalised}",
        f"{_rel(root, path)}:{task.get('__line__', 0)}",
        {
            "method": method,
            "path": normalised,
            "query": query_names,
            "query_values": query_values,
            "body": fields,
            "status": statuses,
            "authorized": any(h.lower() in ("authorization", "signoz-api-key") for h in headers),
        },
    )


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _role_defaults(role_dir: Path, cache: dict[Path, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The role's defaults/main.yml and vars/main.yml merged (unrendered); ``cache`` spares re-reading them."""
    if cache is not None and role_dir in cache:
        return cache[role_dir]
    values: dict[str, Any] = {}
    for sub in ("defaults", "vars"):
        file = role_dir / sub / "main.yml"
        if file.exists():
            values.update(yaml.load(file.read_text(), Loader=_SafeLoader) or {})  # noqa: S506 (a safe loader)
    if cache is not None:
        cache[role_dir] = values
    return values


def _text_files(root: Path) -> Iterator[Path]:
    for path in sorted((root / "roles").rglob("*")):
        if path.is_file() and path.suffix in (".j2", ".yml", ".yaml") and "meta" not in path.parts:
            yield path


def _code_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a role file, without comment lines (YAML # and Jinja {# #})."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#") or (stripped.startswith("{#") and stripped.endswith("#}")):
            continue
        yield number, line.split(" #", 1)[0] if path.suffix != ".j2" else line


def extract_env(root: Path) -> list[Use]:
    """Every SIGNOZ_* variable set by the roles' templates (env files, Environment= lines) and task environments.

    ``SIGNOZ_{{ key }}=`` inside ``{% for key, value in <dict> ... %}`` expands to the dict's literal keys in
    the role's defaults/vars. SIGNOZ_OTEL_COLLECTOR_* belongs to the collector, the rest to SigNoz.
    """
    uses = []
    cache: dict[Path, dict[str, Any]] = {}
    for path in _text_files(root):
        defaults = _role_defaults(root / "roles" / path.relative_to(root / "roles").parts[0], cache)
        loops: dict[str, str] = {}
        for number, line in _code_lines(path):
            for stmt in re.finditer(r"\{%-?\s*for\s+(\w+)\s*(?:,\s*\w+)?\s+in\s+(\w+)", line):
                loops[stmt.group(1)] = stmt.group(2)
            names = re.findall(r"(?:^|[\s\"'=])(SIGNOZ_[A-Z0-9_]+)\s*[=:]", line)
            for var in re.findall(r"SIGNOZ_\{\{\s*(\w+)\s*\}\}", line):
                source = defaults.get(loops.get(var, ""), {})
                names += [f"SIGNOZ_{key}" for key in source] if isinstance(source, dict) else []
            for name in names:
                component = "signoz-otel-collector" if name.startswith("SIGNOZ_OTEL_COLLECTOR_") else "signoz"
                uses.append(Use(component, "env", name, f"{_rel(root, path)}:{number}"))
    return uses


def _cli_use(component: str, rest: str, where: str) -> Use:
    """The subcommand words and --flags after a binary, as a cli use."""
    # the command ends where the YAML or shell string that holds it ends
    rest = re.split(r"[\"']", JINJA_STMT.sub(" ", JINJA_EXPR.sub("X", rest)), maxsplit=1)[0]
    words: list[str] = []
    flags: list[str] = []
    for token in rest.split():
        if token.startswith("-"):
            flags.append(token.split("=", 1)[0])
        elif not flags and re.fullmatch(r"[a-z][a-z0-9-]*", token):
            words.append(token)
        else:
            break
    return Use(component, "cli", " ".join([component, *words]), where, {"command": words, "flags": sorted(set(flags))})


def extract_cli(root: Path) -> list[Use]:
    """Every run of bin/signoz or bin/signoz-otel-collector, and of a binary at the top of a known release
    directory (otelcol-contrib: ``{{ __otel_agent_release.path }}/{{ otel_agent_binary }} validate``, the binary's
    name resolved from the role's defaults): subcommand words and --flags."""
    uses = []
    pattern = re.compile(r"bin/(signoz-otel-collector|signoz)(?![\w-])(.*)")
    cache: dict[Path, dict[str, Any]] = {}
    for path in _text_files(root):
        role = path.relative_to(root / "roles").parts[0]
        for number, line in _code_lines(path):
            where = f"{_rel(root, path)}:{number}"
            for match in pattern.finditer(line):
                uses.append(_cli_use(match.group(1), match.group(2), where))
            for match in HOME_BINARY.finditer(line):
                component = ARCHIVE_HOMES.get(match.group(1), "")
                binary = _resolve(match.group(2), _role_defaults(root / "roles" / role, cache))
                if (
                    component in BINARIES
                    and binary == BINARIES[component]
                    and component not in ("signoz", "signoz-otel-collector")
                ):
                    uses.append(_cli_use(component, match.group(3), where))
    return uses


def _resolve(text: str, values: dict[str, Any]) -> str:
    """``{{ name }}`` replaced by the literal value of ``name`` in ``values`` (left as it is when absent)."""
    for _ in range(3):  # a default may name another default ({{ otel_agent_binary }} -> {{ otel_agent_artifact }})
        text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(values.get(m.group(1), m.group(0))), text)
    return text


def extract_archive_paths(root: Path) -> list[Use]:
    """Every "{{ <release dir var> }}/<path>" in the roles: a path inside that artifact's archive."""
    uses = []
    cache: dict[Path, dict[str, Any]] = {}
    for path in _text_files(root):
        role = path.relative_to(root / "roles").parts[0]
        if role == "artifact":
            continue
        defaults = _role_defaults(root / "roles" / role, cache)
        for number, line in _code_lines(path):
            for match in HOME_LIKE.finditer(line):
                var, rest = match.group(1), match.group(2)
                rest = _resolve(rest, defaults)
                rest = rest.strip("\"',").split("{{")[0].rstrip("/")
                where = f"{_rel(root, path)}:{number}"
                component = ARCHIVE_HOMES.get(var, "")
                uses.append(Use(component, "archive_path", rest, where, {"var": var}))
    return uses


# ----------------------------------------------------------------------------------- collector configuration


def render_ingest_config(root: Path) -> dict[str, Any]:
    """roles/signoz_ingest's __signoz_ingest_config rendered the way the role renders it (Ansible's Templar over
    the role's defaults and vars), for a minimal hub-less host with the sizing filter's memory_limiter."""
    import json  # noqa: PLC0415

    from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415
    from ansible.template import Templar, trust_as_template  # noqa: PLC0415

    role = root / "roles" / "signoz_ingest"
    variables = _trusted(_role_defaults(role), trust_as_template)
    host = "ingest-1"
    variables.update(
        {
            "inventory_hostname": host,
            "group_names": ["signoz"],
            "groups": {"clickhouse": [host], "signoz": [host]},
            "hostvars": {host: {"forge_private_address": "10.0.0.1"}},
            "forge_private_address": "10.0.0.1",
            "forge_domain": "example.internal",
            "vault_clickhouse_signoz_password": "x",
            "forge_host_sizing": forge_sizing({"name": host, "ram_mb": 8192, "cores": 4, "disk_gb": 100}, ["ingest"]),
        }
    )
    templar = Templar(loader=DataLoader(), variables=variables)
    rendered = templar.template(trust_as_template("{{ __signoz_ingest_config | to_json }}"))
    return json.loads(rendered)


def _trusted(value: Any, trust: Any) -> Any:
    if isinstance(value, str):
        return trust(value)
    if isinstance(value, dict):
        return {k: _trusted(v, trust) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v, trust) for v in value]
    return value


def _dotted(prefix: str, node: Any) -> Iterator[str]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _dotted(f"{prefix}.{key}", value)
    else:
        yield prefix


def collector_config_uses(config: dict[str, Any], where: str) -> list[Use]:
    """Component type names and their config keys (dotted: <kind>.<type>.<key>...) of one collector config."""
    uses = []
    for kind in COMPONENT_KINDS:
        for name, body in (config.get(kind) or {}).items():
            ctype = name.split("/", 1)[0]
            uses.append(Use("signoz-otel-collector", "component", f"{kind}.{ctype}", where))
            if isinstance(body, dict) and body:
                uses += [
                    Use("signoz-otel-collector", "config_key", key, where) for key in _dotted(f"{kind}.{ctype}", body)
                ]
    return uses


def extract_collector_config(root: Path) -> list[Use]:
    vars_file = root / "roles" / "signoz_ingest" / "vars" / "main.yml"
    line = next(
        (
            n
            for n, text in enumerate(vars_file.read_text().splitlines(), 1)
            if text.startswith("__signoz_ingest_config:")
        ),
        0,
    )
    return collector_config_uses(render_ingest_config(root), f"{_rel(root, vars_file)}:{line}")


def extract_usage(root: Path = ROOT, *, collector_config: bool = True) -> list[Use]:
    """Everything roles/ under ``root`` uses from upstream."""
    uses = extract_routes(root) + extract_env(root) + extract_cli(root) + extract_archive_paths(root)
    if collector_config:
        uses += extract_collector_config(root)
    return uses


# --------------------------------------------------------------------------------------------------- pins


def pinned_versions(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """(component, version, where) for every version of a contract component that versions.yml pins."""
    data = yaml.safe_load((root / "versions.yml").read_text())["forge_versions"]
    pins = []
    for name, entry in (data.get("artifacts") or {}).items():
        if name in CONTRACT_COMPONENTS:
            pins.append((name, str(entry["version"]), f"versions.yml forge_versions.artifacts.{name}.version"))
    if "clickhouse-server" in (data.get("apt") or {}):
        pins.append(("clickhouse", str(data["apt"]["clickhouse-server"]), "versions.yml forge_versions.apt"))
    if data.get("clickhouse"):
        pins.append(("clickhouse", str(data["clickhouse"]), "versions.yml forge_versions.clickhouse"))
    return pins


def contract_path(contracts_dir: Path, component: str, version: str) -> Path | None:
    """The contract file of a pinned version; a four-part ClickHouse build (25.12.5.44) also finds 25.12.5."""
    for candidate in (version, ".".join(version.split(".")[:3])):
        path = contracts_dir / f"{component}-{candidate}.yml"
        if path.exists():
            return path
    return None


# --------------------------------------------------------------------------------------------------- compare


def compare(
    uses: list[Use], contracts: dict[str, dict[str, Any]], strip: dict[str, int] | None = None
) -> list[Violation]:
    """Violations of ``uses`` against ``contracts`` (component -> loaded contract).

    ``strip``: artifact -> strip_components from versions.yml, checked against the archive's wrapper.
    A use whose component has no contract is a violation too.
    """
    out: list[Violation] = []
    uncovered: dict[str, list[Use]] = {}
    for use in uses:
        if use.kind == "archive_path" and not use.component:
            out.append(
                Violation(
                    use.kind,
                    use.item,
                    use.where,
                    f"{use.details['var']} is not a known release directory (ARCHIVE_HOMES)",
                )
            )
            continue
        if use.component not in CONTRACT_COMPONENTS:
            continue
        contract = contracts.get(use.component)
        if contract is None:
            uncovered.setdefault(use.component, []).append(use)
            continue
        out += _CHECKS[use.kind](use, contract)
    for component, contract in contracts.items():
        mine = [u for u in uses if u.component == component]
        if mine:
            out += _missing_required(mine, contract)
    for component, missing in uncovered.items():
        wheres: dict[tuple[str, str], list[str]] = {}
        for use in missing:
            wheres.setdefault((use.kind, use.item), []).append(use.where)
        out += [
            Violation(kind, item, ", ".join(places), f"unchecked: no contract loaded for {component}")
            for (kind, item), places in wheres.items()
        ]
    for component, amount in (strip or {}).items():
        archive = (contracts.get(component) or {}).get("archive")
        if archive is None:
            continue
        wrapped = archive.get("wrapper") is not None
        if wrapped != (amount >= 1):
            out.append(
                Violation(
                    "archive_layout",
                    component,
                    "versions.yml",
                    f"strip_components {amount} but the archive {archive['name']} has wrapper "
                    f"{archive.get('wrapper')!r}",
                )
            )
    return out


def _missing_required(uses: list[Use], contract: dict[str, Any]) -> list[Violation]:
    """What the contract marks ``required: true`` and the roles never set: an env var (always), a collector config
    key (when the roles configure its component)."""
    out = []
    env = {u.item for u in uses if u.kind == "env"}
    for entry in contract.get("env", []):
        if entry.get("required") is True and entry["name"] not in env:
            out.append(
                Violation(
                    "env", entry["name"], "roles/", f"required by {_version(contract)} ({entry['cite']}), never set"
                )
            )
    components = {u.item: u.where for u in uses if u.kind == "component"}
    keys = {u.item for u in uses if u.kind == "config_key"}
    for entry in contract.get("config_keys", []):
        key = entry["key"]
        component = ".".join(key.split(".")[:2])
        if entry.get("required") is not True or key.split(".")[0] not in COMPONENT_KINDS:
            continue
        if component in components and not any(k == key or k.startswith(key + ".") for k in keys):
            out.append(
                Violation(
                    "config_key",
                    key,
                    components[component],
                    f"required by {_version(contract)} ({entry['cite']}) when {component} is configured, not set",
                )
            )
    return out


def _version(contract: dict[str, Any]) -> str:
    return f"{contract['component']} {contract['version']}"


def _check_route(use: Use, contract: dict[str, Any]) -> list[Violation]:
    d = use.details
    same_path = [r for r in contract.get("routes", []) if _normalise_path(r["path"]) == d["path"]]
    route = next((r for r in same_path if r["method"] == d["method"]), None)
    if route is None:
        methods = sorted(r["method"] for r in same_path)
        why = f"answers only {', '.join(methods)}" if methods else "has no such route"
        return [Violation("route", use.item, use.where, f"{_version(contract)} {why}")]
    out = [
        Violation("route", use.item, use.where, reason)
        for reason in _query_problems(d.get("query_values", dict.fromkeys(d["query"], "")), route, contract)
        + _body_problems(d["body"], route, contract)
    ]
    out += [
        Violation(
            "route", use.item, use.where, f"expects status {status}; {_version(contract)} answers {route['status']}"
        )
        for status in d["status"]
        if status not in route["status"]
    ]
    if route["auth"] != "none" and not d["authorized"]:
        out.append(
            Violation(
                "route",
                use.item,
                use.where,
                f"needs auth '{route['auth']}' but sends no Authorization or SIGNOZ-API-KEY header",
            )
        )
    return out


def _query_problems(used: dict[str, str], route: dict[str, Any], contract: dict[str, Any]) -> list[str]:
    query = route.get("query") or {}
    allowed = set(query.get("required", [])) | set(query.get("optional", []))
    problems = [f"query parameter '{n}' is not in {_version(contract)}" for n in used if n not in allowed]
    problems += [f"required query parameter '{n}' is missing" for n in query.get("required", []) if n not in used]
    return problems + _enum_problems("query parameter", used, query.get("enums") or {})


def _enum_problems(what: str, used: dict[str, Any], enums: dict[str, list[Any]]) -> list[str]:
    """Literal values (no Jinja) outside the contract's enumeration; templated values are left to the fixtures."""
    return [
        f"{what} '{name}' = {value!r} is not one of {enums[name]}"
        for name, value in used.items()
        if name in enums and isinstance(value, str) and "{{" not in value and value not in enums[name]
    ]


def _body_problems(used: dict[str, Any], route: dict[str, Any], contract: dict[str, Any]) -> list[str]:
    body = route.get("body")
    if body is None:
        return [f"{_version(contract)} takes no body"] if used else []
    allowed = set(body.get("required", [])) | set(body.get("optional", []))
    effect = "ignores" if body.get("unknown_fields") == "ignore" else "rejects"
    problems = [
        f"body field '{n}' is not in {_version(contract)} (upstream {effect} it)" for n in used if n not in allowed
    ]
    problems += [f"required body field '{n}' is missing" for n in body.get("required", []) if n not in used]
    return problems + _enum_problems("body field", used, body.get("enums") or {})


def _check_env(use: Use, contract: dict[str, Any]) -> list[Violation]:
    if any(e["name"] == use.item for e in contract.get("env", [])):
        return []
    return [Violation("env", use.item, use.where, f"not an environment variable of {_version(contract)}")]


def _check_cli(use: Use, contract: dict[str, Any]) -> list[Violation]:
    entry = next((c for c in contract.get("cli", []) if c["command"] == use.details["command"]), None)
    if entry is None:
        return [Violation("cli", use.item, use.where, f"{_version(contract)} has no such subcommand")]
    return [
        Violation("cli", f"{use.item} {flag}", use.where, f"flag not in {_version(contract)}")
        for flag in use.details["flags"]
        if flag not in entry["flags"]
    ]


def _check_component(use: Use, contract: dict[str, Any]) -> list[Violation]:
    kind, name = use.item.split(".", 1)
    if any(c["name"] == name for c in (contract.get("components") or {}).get(kind, [])):
        return []
    return [Violation("component", use.item, use.where, f"not a {kind[:-1]} of {_version(contract)}")]


def _check_config_key(use: Use, contract: dict[str, Any]) -> list[Violation]:
    keys = {k["key"] for k in contract.get("config_keys", [])}
    parts = use.item.split(".")
    if any(".".join(parts[:i]) in keys for i in range(2, len(parts) + 1)):
        return []
    return [Violation("config_key", use.item, use.where, f"not a config key of {_version(contract)}")]


def _check_archive_path(use: Use, contract: dict[str, Any]) -> list[Violation]:
    archive = contract.get("archive")
    if archive is None:
        return [Violation("archive_path", use.item, use.where, f"{_version(contract)} has no archive layout")]
    paths = [p["path"] for p in archive.get("paths", [])]
    if any(p == use.item or p.startswith(use.item + "/") or fnmatch(p, use.item) for p in paths):
        return []
    return [
        Violation("archive_path", use.item, use.where, f"not in the {archive['name']} archive of {_version(contract)}")
    ]


_CHECKS = {
    "route": _check_route,
    "env": _check_env,
    "cli": _check_cli,
    "component": _check_component,
    "config_key": _check_config_key,
    "archive_path": _check_archive_path,
}


def check(root: Path = ROOT, contracts_dir: Path | None = None) -> list[Violation]:
    """All violations of roles/ under ``root`` against the contracts of the versions pinned in versions.yml."""
    contracts_dir = contracts_dir or root / "tests" / "contracts"
    out: list[Violation] = []
    contracts: dict[str, dict[str, Any]] = {}
    for component, version, where in pinned_versions(root):
        path = contract_path(contracts_dir, component, version)
        if path is None:
            out.append(
                Violation(
                    "pin", f"{component} {version}", where, f"no contract {component}-{version}.yml in {contracts_dir}"
                )
            )
            continue
        try:
            contracts.setdefault(component, load_contract(path))
        except ValueError as err:
            out.append(Violation("contract", path.name, str(path), str(err)))
    artifacts = yaml.safe_load((root / "versions.yml").read_text())["forge_versions"].get("artifacts") or {}
    strip = {n: int(a.get("strip_components", 0)) for n, a in artifacts.items() if n in CONTRACT_COMPONENTS}
    uses = extract_usage(root)
    pinned = [u for u in uses if "versions" not in u.details]
    for use in uses:
        gate = use.details.get("versions")
        if gate is None:
            continue
        if gate["component"] != use.component:
            out.append(Violation(use.kind, use.item, use.where, f"its version gate names {gate['component']}"))
            continue
        covering = [
            path
            for path in sorted(contracts_dir.glob(f"{use.component}-*.yml"))
            if re.fullmatch(rf"{re.escape(use.component)}-\d[\d.]*", path.stem)
            and in_gate(path.stem[len(use.component) + 1 :], gate)
        ]
        if not covering:
            out.append(
                Violation(
                    use.kind,
                    use.item,
                    use.where,
                    f"no contract of {use.component} {gate['op']} {gate['version']} in {contracts_dir}",
                )
            )
        for path in covering:
            try:
                out += _CHECKS[use.kind](use, load_contract(path))
            except ValueError as err:
                out.append(Violation("contract", path.name, str(path), str(err)))
    return out + compare(pinned, contracts, strip)


# --------------------------------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="list what roles/ uses that the pinned versions' contracts lack (exit 1 when any)",
    )
    parser.add_argument("--list", action="store_true", help="list everything roles/ uses from upstream")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.list or not args.check:
        for use in extract_usage(args.root):
            print(f"{use.component:22} {use.kind:13} {use.item}  ({use.where})")
        if not args.check:
            return 0
    violations = check(args.root)
    for violation in violations:
        print(violation)
    print(f"{len(violations)} contract violation(s)" if violations else "roles/ keeps to the pinned contracts")
    return 1 if violations else 0
