"""Filters used by roles/artifact: manifest validation, host architectures and download plans.

The manifest is ``forge_versions.artifacts`` in versions.yml (schema: docs/artifacts.md).
"Targets" are what a run needs, as ``{name: {arch: [host, ...]}}``.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit

from forge_monitoring.errors import FilterError
from forge_monitoring.hostvars import hostvar

# ansible_architecture (kernel name) or Debian name -> Debian name
ARCHES = {"amd64": "amd64", "x86_64": "amd64", "arm64": "arm64", "aarch64": "arm64"}
MANIFEST_ARCHES = ("amd64", "arm64")
FORMATS = ("tar.gz", "binary")
ENTRY_KEYS = ("version", "groups", "format", "strip_components", "arch")
SOURCE_KEYS = ("url", "sha256", "checksum_url")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~-]*$")
SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")
SUMS_LINE_RE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(\S.*)$")


def _debian_arch(value, where):
    try:
        return ARCHES[str(value)]
    except KeyError:
        raise FilterError(
            f"{where}: unknown architecture {value!r}; expected one of {', '.join(sorted(ARCHES))}"
        ) from None


def _host_arch(host_vars, where):
    """forge_arch (the inventory's word) or the gathered fact, amd64 when neither is known."""
    host = hostvar(host_vars, "inventory_hostname", "?")
    declared = hostvar(host_vars, "forge_arch")
    fact = (hostvar(host_vars, "ansible_facts") or {}).get("architecture")
    arch = _debian_arch(declared, f"{where}: host {host}: forge_arch") if declared else None
    if fact:
        fact_arch = _debian_arch(fact, f"{where}: host {host}: ansible_architecture")
        if arch and arch != fact_arch:
            raise FilterError(
                f"{where}: host {host} has forge_arch {declared} but its facts say {fact} ({fact_arch}); "
                "fix forge_arch in the inventory"
            )
        arch = fact_arch
    return arch or "amd64"


def _expand(url, version):
    return url.replace("{version}", version)


def _filename(url):
    return posixpath.basename(urlsplit(url).path)


def sha256_from_sums(text, filename, source="checksum file"):
    """The sha256 that a sha256sums-format text gives for ``filename`` (matched on the basename).

    A split checksum file, ``<filename>.sha256`` holding the bare hex digest (goreleaser's checksum.split, as the
    OpenTelemetry Collector releases publish: tests/contracts/otelcol-contrib-0.159.0.yml), gives its digest for
    that one file only: its name must be the file's name plus ``.sha256``."""
    bare = str(text).strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", bare):
        if posixpath.basename(urlsplit(str(source)).path) == f"{filename}.sha256":
            return bare.lower()
        raise FilterError(
            f"artifact_plan: {source} holds a bare sha256 without a file name; it is accepted only as the split "
            f"checksum of one file, named {filename}.sha256"
        )
    for line in str(text).splitlines():
        match = SUMS_LINE_RE.match(line.strip())
        if match and posixpath.basename(match.group(2).strip()) == filename:
            return match.group(1).lower()
    raise FilterError(f"artifact_plan: {source} lists no sha256 for {filename}")


def artifact_host_arch(host_vars):
    """Debian architecture of one host, from ``hostvars[host]``."""
    return _host_arch(host_vars, "artifact_host_arch")


def artifact_play_targets(hosts, hostvars, name):
    """Targets for one artifact installed on ``hosts`` (the play's hosts)."""
    arches = {}
    for host in hosts:
        arches.setdefault(_host_arch(hostvars[host], "artifact_play_targets"), []).append(host)
    return {name: {arch: sorted(found) for arch, found in sorted(arches.items())}}


def artifact_inventory_targets(manifest, groups, hostvars):
    """Targets for every manifest artifact whose ``groups`` have hosts in the inventory.

    Facts are not available here, so a host's arch is its forge_arch (default amd64).
    Malformed entries are skipped: artifact_manifest_errors reports them.
    """
    if not isinstance(manifest, dict):
        return {}
    targets = {}
    for name, entry in manifest.items():
        wanted = entry.get("groups") if isinstance(entry, dict) else None
        if not isinstance(wanted, list):
            continue
        hosts = sorted({host for group in wanted for host in groups.get(str(group), [])})
        arches = {}
        for host in hosts:
            arches.setdefault(_host_arch(hostvars[host], "artifact_inventory_targets"), []).append(host)
        if arches:
            targets[name] = dict(sorted(arches.items()))
    return targets


def _url_errors(where, url):
    if not isinstance(url, str) or not url:
        return [f"{where}: must be a non-empty string"]
    unknown = [p for p in PLACEHOLDER_RE.findall(url) if p != "{version}"]
    if unknown:
        return [f"{where}: unknown placeholder {', '.join(unknown)}; only {{version}} is expanded"]
    parts = urlsplit(_expand(url, "0"))
    if parts.scheme not in ("http", "https") or not parts.netloc or not _filename(url):
        return [f"{where}: must be an http(s) URL ending in a file name, got {url!r}"]
    return []


def _source_errors(where, source):
    if not isinstance(source, dict):
        return [f"{where}: must be a mapping with url and sha256 (or checksum_url)"]
    errors = [f"{where}.{key}: unknown field" for key in source if key not in SOURCE_KEYS]
    errors += _url_errors(f"{where}.url", source.get("url"))
    if ("sha256" in source) == ("checksum_url" in source):
        errors.append(f"{where}: needs exactly one of sha256 and checksum_url")
    elif "sha256" in source:
        if not isinstance(source["sha256"], str) or not SHA256_RE.match(source["sha256"]):
            errors.append(f"{where}.sha256: must be 64 hex digits, got {source['sha256']!r}")
    else:
        errors += _url_errors(f"{where}.checksum_url", source["checksum_url"])
    return errors


def _entry_errors(name, entry):
    if not isinstance(name, str) or not NAME_RE.match(name):
        return [f"{name!r}: artifact names are lower case letters, digits, '.', '_' and '-'"]
    if not isinstance(entry, dict):
        return [f"{name}: must be a mapping with version, groups, format and arch"]
    errors = [f"{name}.{key}: unknown field" for key in entry if key not in ENTRY_KEYS]
    version = entry.get("version")
    if not isinstance(version, str) or not VERSION_RE.match(version):
        errors.append(f'{name}.version: must be a quoted version string like "1.2.3", got {version!r}')
    wanted = entry.get("groups")
    if not isinstance(wanted, list) or not all(isinstance(g, str) and g for g in wanted):
        errors.append(f"{name}.groups: must be a list of inventory group names, got {wanted!r}")
    fmt = entry.get("format")
    if fmt not in FORMATS:
        errors.append(f"{name}.format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if "strip_components" in entry:
        strip = entry["strip_components"]
        if fmt != "tar.gz":
            errors.append(f"{name}.strip_components: only valid with format tar.gz")
        elif isinstance(strip, bool) or not isinstance(strip, int) or strip < 0:
            errors.append(f"{name}.strip_components: must be an integer >= 0, got {strip!r}")
    sources = entry.get("arch")
    if not isinstance(sources, dict) or not sources:
        errors.append(f"{name}.arch: must map {' and/or '.join(MANIFEST_ARCHES)} to url and sha256")
        return errors
    for arch, source in sources.items():
        if arch not in MANIFEST_ARCHES:
            errors.append(f"{name}.arch.{arch}: unknown architecture; use {' or '.join(MANIFEST_ARCHES)}")
        else:
            errors += _source_errors(f"{name}.arch.{arch}", source)
    return errors


def artifact_manifest_errors(manifest, targets=None):
    """Every problem of the manifest, each naming the artifact and the field (empty list: valid).

    With ``targets``, also every needed artifact or architecture the manifest lacks.
    """
    if not isinstance(manifest, dict):
        return [f"the manifest must be a mapping of artifact name -> entry, got {type(manifest).__name__}"]
    errors = []
    for name, entry in manifest.items():
        errors += _entry_errors(name, entry)
    for name, arches in (targets or {}).items():
        entry = manifest.get(name)
        if entry is None:
            errors.append(f"{name!r}: no such artifact in the manifest")
        elif isinstance(entry, dict) and isinstance(entry.get("arch"), dict) and entry["arch"]:
            for arch, hosts in arches.items():
                if arch not in entry["arch"]:
                    errors.append(f"{name}.arch.{arch}: missing, needed by {', '.join(hosts)}")
    return errors


def artifact_plan(manifest, targets, cache_dir, mirror="", *, lock=None, sums=None):
    """One entry per (artifact, arch) of ``targets``: where to fetch it, its sha256 and its cache path.

    sha256 comes from the manifest, else from ``sums`` ({checksum_url: sha256sums text}), else from
    the ``lock`` file ({artifacts: [...]} as written by prefetch); it is '' when still unknown.
    ``mirror`` replaces the origin with <mirror>/<name>/<version>/<arch>/<file>.
    """
    locked = {
        (e.get("name"), e.get("version"), e.get("arch"), e.get("filename")): e.get("sha256", "")
        for e in (lock or {}).get("artifacts") or []
    }
    sums = sums or {}
    plan = []
    for name in sorted(targets):
        for arch in sorted(targets[name]):
            try:
                entry = manifest[name]
                source = entry["arch"][arch]
            except KeyError:
                raise FilterError(f"artifact_plan: the manifest has no {name} for {arch}") from None
            version = entry["version"]
            url = _expand(source["url"], version)
            filename = _filename(url)
            checksum_url = _expand(source.get("checksum_url", ""), version)
            if mirror:
                base = f"{mirror.rstrip('/')}/{name}/{version}/{arch}"
                url = f"{base}/{filename}"
                checksum_url = checksum_url and f"{base}/{_filename(checksum_url)}"
            sha256 = source.get("sha256", "").lower()
            if not sha256 and checksum_url in sums:
                sha256 = sha256_from_sums(sums[checksum_url], filename, checksum_url)
            if not sha256:
                sha256 = locked.get((name, version, arch, filename), "")
            plan.append(
                {
                    "name": name,
                    "version": version,
                    "arch": arch,
                    "format": entry["format"],
                    "strip_components": entry.get("strip_components", 0),
                    "url": url,
                    "checksum_url": checksum_url,
                    "filename": filename,
                    "sha256": sha256,
                    "cache_path": posixpath.join(cache_dir, name, version, arch, filename),
                }
            )
    return plan


def artifact_lock(plan, lock=None):
    """The lock file's entries: the existing ones updated with ``plan``, sorted."""
    keys = ("name", "version", "arch", "filename", "url", "sha256")
    entries = {}
    for item in [*((lock or {}).get("artifacts") or []), *plan]:
        entry = {key: item.get(key, "") for key in keys}
        entries[(entry["name"], entry["version"], entry["arch"], entry["filename"])] = entry
    return [entries[key] for key in sorted(entries)]
