"""The error the package's filter logic raises for bad input; filter_plugins/ turns it into AnsibleFilterError."""

from __future__ import annotations


class FilterError(ValueError):
    """A filter's input is malformed or does not fit; the message names the filter and the expected form."""
