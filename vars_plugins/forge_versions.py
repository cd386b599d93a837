"""Thin wrapper: forge_monitoring.versions as the variable ``forge_versions`` of the ``all`` group."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.inventory.group import Group
from ansible.plugins.vars import BaseVarsPlugin

from forge_monitoring.errors import FilterError
from forge_monitoring.versions import load

DOCUMENTATION = """
name: forge_versions
short_description: The version manifest versions.yml as forge_versions, for every play
description:
  - Loads versions.yml (the one version manifest, beside site.yml) once and gives it to the C(all) group as
    C(forge_versions), so every play has the same pins without a vars_files entry of its own.
  - Enabled in ansible.cfg and in molecule's config (vars_plugins_enabled). Without it forge_versions is undefined,
    and the roles stop instead of installing unpinned versions.
options:
  stage:
    ini:
      - key: stage
        section: vars_forge_versions
    env:
      - name: ANSIBLE_VARS_PLUGIN_STAGE
"""


class VarsModule(BaseVarsPlugin):
    REQUIRES_ENABLED = True
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        super().get_vars(loader, path, entities)
        if not any(isinstance(e, Group) and e.name == "all" for e in entities):
            return {}
        try:
            return {"forge_versions": load()}
        except FilterError as exc:
            raise AnsibleError(str(exc)) from exc
