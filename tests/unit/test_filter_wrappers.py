"""Each filter_plugins/*.py maps its filter names to the
package's functions, as Ansible loads it, and turns a bad input into an AnsibleFilterError naming the filter."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import filter_loader, init_plugin_loader
from conftest import ROOT

# plugin file -> (its filter names, one bad call: filter name, args)
PLUGINS = {
    "apt": ({"forge_apt_pin"}, ("forge_apt_pin", [["nginx"], "1 2"])),
    "artifact": (
        {"artifact_host_arch", "artifact_play_targets", "artifact_inventory_targets", "artifact_manifest_errors",
         "artifact_plan", "artifact_lock"},
        ("artifact_host_arch", [{"inventory_hostname": "h", "forge_arch": "i386"}]),
    ),
    "clickhouse_dsn": ({"clickhouse_dsn", "clickhouse_dsn_quote"}, ("clickhouse_dsn", ["", 9000, "u", "p"])),
    "clickhouse_topology": ({"clickhouse_topology", "coordinator_ensemble"}, ("clickhouse_topology", [[], {}])),
    "firewall": ({"forge_firewall_rules"}, ("forge_firewall_rules", [[{"port": 0}]])),
    "forge_inventory": (
        {"forge_inventory_problems", "forge_substitute_notice"}, ("forge_inventory_problems", ["x", "not groups"]),
    ),
    "forge_schema": (
        {"forge_schema_problems", "forge_invariant_problems"}, ("forge_invariant_problems", [{}, "not groups"]),
    ),
    "preflight": (
        {"forge_spec_problems", "forge_port_problems", "forge_network_problems", "forge_secret_problems",
         "forge_capacity_problems"},
        ("forge_capacity_problems", [{}, {}, ["clickhouse"]]),
    ),
    "provenance": (
        {"forge_production_problems", "forge_fixture_sha256s", "forge_cache_problems", "forge_clickhouse_minimum",
         "forge_detect_clickhouse", "forge_detect_artifact", "forge_detect_wireguard", "forge_detected_row",
         "forge_detect_otel_agent"},
        ("forge_production_problems", [{}, "not groups", {}]),
    ),
    "forge_report": ({"forge_verify_table"}, ("forge_verify_table", ["not rows", "h"])),
    "monitoring": ({"forge_metric_problems"}, ("forge_metric_problems", ["x", [], []])),
    "pki": ({"forge_pki_paths", "forge_asn1_epoch"}, ("forge_asn1_epoch", [5])),
    "retention": ({"forge_retention", "forge_retention_plan"}, ("forge_retention_plan", [{"logs": "x"}, None, 500])),
    "signoz_compat": (
        {"signoz_compat_problems", "signoz_compat_inventory_problems", "signoz_invite_api",
         "signoz_password_problems", "signoz_ttl_requests", "signoz_ttl_todo"},
        ("signoz_compat_problems", ["x", {}]),
    ),
    "otel_agent": (
        {"forge_otel_components", "forge_otel_queue", "forge_otel_agent_config"},
        ("forge_otel_components", ["not: [components"]),
    ),
    "sizing": ({"forge_sizing", "forge_host_resources", "forge_components_for"}, ("forge_components_for", [[], "x"])),
    "systemd": (
        {"forge_systemd_hardening", "forge_systemd_verify_command"},
        ("forge_systemd_hardening", [{"umask": 63}]),
    ),
    "wireguard": ({"forge_wg_addresses", "forge_wg_peer_keys"}, ("forge_wg_peer_keys", ["x", []])),
}  # fmt: skip


@pytest.fixture(scope="module")
def loaded():
    """{plugin file stem: {filter name: function}} as Ansible's own plugin loader finds them."""
    init_plugin_loader()
    filter_loader.add_directory(str(ROOT / "filter_plugins"))
    out: dict[str, dict] = {}
    for plugin in filter_loader.all():
        path = getattr(plugin, "_original_path", "") or ""
        if path.startswith(str(ROOT / "filter_plugins")):
            stem = path.rsplit("/", 1)[-1].removesuffix(".py")
            out.setdefault(stem, {})[plugin.ansible_name] = plugin.j2_function
    return out


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_wrapper_maps_every_filter_to_the_package(loaded, plugin):
    names, _ = PLUGINS[plugin]
    assert set(loaded[plugin]) == names
    for func in loaded[plugin].values():
        assert func.__wrapped__.__module__.startswith("forge_monitoring."), func


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_wrapper_turns_bad_input_into_ansible_filter_error(loaded, plugin):
    _, (name, args) = PLUGINS[plugin]
    with pytest.raises(AnsibleFilterError, match=rf"^{name}: ") as err:
        loaded[plugin][name](*args)
    assert type(err.value.__cause__).__name__ == "FilterError"
