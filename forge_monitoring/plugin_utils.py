"""What every filter_plugins/*.py shares (as community.general's plugins/plugin_utils): the wrapper that calls the
package's pure function and turns its FilterError into the AnsibleFilterError Ansible reports."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from forge_monitoring.errors import FilterError


def wrap(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as the filter ``name``: a FilterError becomes an AnsibleFilterError whose message starts with
    ``name:`` (the package's message is kept; the name is put in front when it is not already there)."""

    @functools.wraps(func)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FilterError as exc:
            message = str(exc)
            raise AnsibleFilterError(message if message.startswith(f"{name}:") else f"{name}: {message}") from exc

    return filter_
