"""Unit tests for forge_monitoring/systemd.py (the logic behind filter_plugins/systemd.py): the one sandboxing block
of every unit. The rendered units' scores are tests/integration/test_unit_hardening.py."""

import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.systemd import (
    ADDRESS_FAMILIES,
    CAPABILITIES,
    forge_systemd_hardening,
    forge_systemd_verify_command,
)

# roles/signoz/templates/hardening.j2 as it was (less its comment): the baseline may only ever get stricter.
BASELINE = """\
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
UMask=0027"""


def _settings(block):
    """{key: [values]} of the block's setting lines (comments left out)."""
    out = {}
    for line in block.splitlines():
        if not line.startswith("#"):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_the_default_is_the_former_signoz_block():
    block = forge_systemd_hardening({})
    assert block.splitlines()[0].startswith("# Sandboxing: forge_systemd_hardening")
    assert block.split("\n", 1)[1] == BASELINE
    assert forge_systemd_hardening() == forge_systemd_hardening(None) == block
    assert not block.endswith("\n")  # the template's own line end follows


def test_options_change_only_their_own_lines():
    block = forge_systemd_hardening(
        {
            "read_write_paths": ["/var/lib/signoz/", "/var/lib/signoz-db", "/var/lib/signoz", "/var/lib/x/../signoz"],
            "capabilities": ["CAP_NET_ADMIN", "CAP_NET_ADMIN"],
            "address_families": ["AF_UNIX", "AF_NETLINK"],
            "private_tmp": False,
            "umask": "0077",
        }
    )
    got = _settings(block)
    assert got["ReadWritePaths"] == ["/var/lib/signoz /var/lib/signoz-db"]  # normalised, duplicates dropped
    assert got["CapabilityBoundingSet"] == ["CAP_NET_ADMIN"]
    assert got["AmbientCapabilities"] == [""]  # root units hold the bounding set; no unit needs ambient ones
    assert got["RestrictAddressFamilies"] == ["AF_UNIX AF_NETLINK"]
    assert got["PrivateTmp"] == ["no"]
    assert got["UMask"] == ["0077"]
    base = _settings(BASELINE)
    changed = {"ReadWritePaths", "CapabilityBoundingSet", "RestrictAddressFamilies", "PrivateTmp", "UMask"}
    assert {k: v for k, v in got.items() if k not in changed} == {k: v for k, v in base.items() if k not in changed}


def test_a_device_user_opens_the_host_devices_and_nothing_else_changes():
    got = _settings(forge_systemd_hardening({"private_devices": False}))
    assert got["PrivateDevices"] == ["no"] and got["DevicePolicy"] == ["auto"]
    base = _settings(BASELINE)
    assert {k: v for k, v in got.items() if k not in {"PrivateDevices", "DevicePolicy"}} == {
        k: v for k, v in base.items() if k not in {"PrivateDevices", "DevicePolicy"}
    }


def test_no_read_write_paths_no_line():
    assert "ReadWritePaths" not in forge_systemd_hardening({"read_write_paths": []})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("umask=0077", "expected a mapping of options"),
        (
            {"private_network": True},
            r"unknown option 'private_network' \(known: read_write_paths, capabilities, address_families, "
            r"private_tmp, private_devices, umask\)$",
        ),
        ({"read_write_paths": "/var/lib/signoz"}, "read_write_paths: '/var/lib/signoz' is not a list of absolute"),
        ({"read_write_paths": ["var/lib/signoz"]}, "read_write_paths: 'var/lib/signoz' is not an absolute path"),
        ({"read_write_paths": ["/var/lib/my data"]}, "read_write_paths: '/var/lib/my data' is not an absolute path"),
        ({"read_write_paths": ["/var/lib/%i"]}, "read_write_paths: '/var/lib/%i' is not an absolute path"),
        ({"read_write_paths": ["/"]}, "read_write_paths: '/' is not an absolute path .*not / itself"),
        ({"read_write_paths": ["/var/.."]}, r"read_write_paths: '/var/\.\.' is not an absolute path"),
        ({"read_write_paths": [None]}, "read_write_paths: None is not an absolute path"),
        (
            {"capabilities": "CAP_NET_ADMIN"},
            r"capabilities: 'CAP_NET_ADMIN' is not a list, each a capability name \(CAP_\*\)$",
        ),
        ({"capabilities": ["NET_ADMIN"]}, r"capabilities: 'NET_ADMIN' is not a capability name \(CAP_\*\)"),
        ({"capabilities": ["cap_net_admin"]}, "capabilities: 'cap_net_admin' is not a capability name"),
        ({"address_families": ["AF_NETLNK"]}, r"address_families: 'AF_NETLNK' is not an address family \(AF_\*\)"),
        ({"address_families": []}, r"address_families: \[\] is not a non-empty list of address families"),
        ({"private_tmp": "no"}, "private_tmp: 'no' is not a boolean"),
        ({"private_devices": 0}, "private_devices: 0 is not a boolean"),
        ({"umask": 63}, "umask: 63 is not a quoted four-digit octal string such as '0027'"),
        ({"umask": "077"}, "umask: '077' is not a quoted four-digit"),
        ({"umask": "0087"}, "umask: '0087' is not a quoted four-digit"),
    ],
)
def test_bad_input_names_the_option_the_value_and_the_form(options, message):
    with pytest.raises(FilterError, match=rf"^forge_systemd_hardening: {message}"):
        forge_systemd_hardening(options)


@given(
    paths=st.lists(st.from_regex(r"/[a-z][a-z0-9_-]{0,8}(/[a-z0-9_-]{1,8}){0,3}", fullmatch=True), max_size=4),
    caps=st.lists(st.sampled_from(sorted(CAPABILITIES)), max_size=3),
    families=st.lists(st.sampled_from(sorted(ADDRESS_FAMILIES)), min_size=1, max_size=4),
    private_tmp=st.booleans(),
)
def test_properties_every_setting_once_and_deterministic(paths, caps, families, private_tmp):
    options = {"read_write_paths": paths, "capabilities": caps, "address_families": families}
    options["private_tmp"] = private_tmp
    block = forge_systemd_hardening(options)
    assert block == forge_systemd_hardening(dict(reversed(list(options.items()))))
    got = _settings(block)
    assert all(len(v) == 1 for k, v in got.items() if k != "SystemCallFilter")
    assert got["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert set(got) - {"ReadWritePaths"} == set(_settings(BASELINE))
    assert got["RestrictAddressFamilies"][0].split() == list(dict.fromkeys(families))
    assert got["CapabilityBoundingSet"][0].split() == list(dict.fromkeys(caps))
    assert got.get("ReadWritePaths", [""])[0].split() == list(dict.fromkeys(paths))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_verify_command_accepts_a_good_unit_and_refuses_a_broken_one(tmp_path):
    """The one validate command of the roles' unit templates, run as Ansible runs it (%s: the candidate file)."""
    good = tmp_path / "good"
    good.write_text("[Unit]\nDescription=x\n[Service]\nType=oneshot\nExecStart=/bin/true\n")
    bad = tmp_path / "bad"
    bad.write_text("[Unit]\nDescription=x\n[Service]\nType=oneshot\nExecStart=relative/path\n")
    command = forge_systemd_verify_command("service")
    assert subprocess.run(command.replace("%s", str(good)), shell=True, check=False).returncode == 0  # noqa: S602
    assert subprocess.run(command.replace("%s", str(bad)), shell=True, check=False).returncode != 0  # noqa: S602
    with pytest.raises(FilterError, match="forge_systemd_verify_command: 'unit' is not a unit type"):
        forge_systemd_verify_command("unit")
