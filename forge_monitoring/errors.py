"""The error the package's filter logic raises for bad input; filter_plugins/ turns it into AnsibleFilterError."""

from __future__ import annotations


class FilterError(ValueError):
    """A filter's input is malformed or does not fit; the message names the filter and the expected form."""


def need(name: str, value: object, kind: type | tuple[type, ...], what: str) -> None:
    """Refuse an argument of the wrong type, naming the filter ``name`` and the expected form ``what``."""
    if not isinstance(value, kind):
        raise FilterError(f"{name}: expected {what}, got {type(value).__name__}")
