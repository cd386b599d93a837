"""The one idiom for pinned Debian packages: ``{{ packages | forge_apt_pin(version) }}`` gives the apt module's
``name=version`` list (every package at the one pinned version of versions.yml), or the names alone where the
inventory explicitly sets the version to "" (any version)."""

from __future__ import annotations

import re

from forge_monitoring.errors import FilterError

NAME = "forge_apt_pin"
# Debian policy 5.6.1 (package names) and 5.6.12 (versions: [epoch:]upstream[-revision])
PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
VERSION = re.compile(r"^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$")


def forge_apt_pin(packages: str | list[str], version: str) -> list[str]:
    """``packages`` (a name or a list of names) as apt module names pinned to ``version``."""
    names = [packages] if isinstance(packages, str) else packages
    if not isinstance(names, list) or not names:
        raise FilterError(f"{NAME}: packages is {packages!r}; expected a package name or a non-empty list of them")
    for name in names:
        if not isinstance(name, str) or not PACKAGE.match(name):
            raise FilterError(f"{NAME}: {name!r} is not a Debian package name (lower case, digits, + . -)")
    if version is None or not isinstance(version, str):
        raise FilterError(f"{NAME}: version is {version!r}; expected a Debian version string from versions.yml")
    if version and not VERSION.match(version):
        raise FilterError(f"{NAME}: {version!r} is not a Debian version (such as 1.22.1-9+deb12u12 or 2:4.5-1)")
    return [f"{name}={version}" if version else name for name in names]
