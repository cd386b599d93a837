"""Filter for every unit template of the roles: the one [Service] sandboxing block (docs/security.md, "Unit
sandboxing"), so the units cannot drift apart. tests/integration/test_unit_hardening.py scores each rendered unit
with `systemd-analyze security` and fails above 2.5."""

from __future__ import annotations

import posixpath
import re

from forge_monitoring.errors import FilterError

NAME = "forge_systemd_hardening"

# Linux capability names (capability.h; `systemd-analyze capability` of systemd 252).
CAPABILITIES = frozenset(
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"
    ]
)  # fmt: skip

# Linux address family names (socket.h) that RestrictAddressFamilies= takes.
ADDRESS_FAMILIES = frozenset(
    [
        "AF_UNIX", "AF_LOCAL", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK", "AF_NETROM", "AF_BRIDGE", "AF_ATMPVC",
        "AF_X25", "AF_INET6", "AF_ROSE", "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY", "AF_NETLINK", "AF_ROUTE",
        "AF_PACKET", "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA", "AF_IRDA", "AF_PPPOX", "AF_WANPIPE",
        "AF_LLC", "AF_IB", "AF_MPLS", "AF_CAN", "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC", "AF_ISDN",
        "AF_PHONET", "AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK", "AF_KCM", "AF_QIPCRTR", "AF_SMC",
        "AF_XDP", "AF_MCTP"
    ]
)  # fmt: skip

DEFAULTS = {
    "read_write_paths": [],
    "capabilities": [],
    "address_families": ["AF_UNIX", "AF_INET", "AF_INET6"],
    "private_tmp": True,
    "private_devices": True,
    "umask": "0027",
}

# A path systemd reads as written: no whitespace or quotes (list separators), no % (unit specifiers), no \.
_PATH = re.compile(r"^/[A-Za-z0-9._@+,:=/-]*$")
_UMASK = re.compile(r"^0[0-7]{3}$")


def _err(option, value, expected):
    return FilterError(f"{NAME}: {option}: {value!r} is not {expected}")


def _names(option, value, known, kind):
    """``value`` as a list of names of ``known`` (kind: "a capability name (CAP_*)"), duplicates dropped."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _err(option, value, f"a list, each {kind}")
    out = []
    for item in value:
        if not isinstance(item, str) or item not in known:
            raise _err(option, item, kind)
        if item not in out:
            out.append(item)
    return out


def _paths(value):
    expected = "an absolute path (characters A-Z a-z 0-9 . _ @ + , : = / -, not / itself)"
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _err("read_write_paths", value, "a list of absolute paths")
    out = []
    for item in value:
        if not isinstance(item, str) or not _PATH.match(item):
            raise _err("read_write_paths", item, expected)
        path = posixpath.normpath(item)
        if path in ("/", "//"):  # would make the whole file system writable again
            raise _err("read_write_paths", item, expected)
        if path not in out:
            out.append(path)
    return out


def _options(options):
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise FilterError(f"{NAME}: expected a mapping of options ({', '.join(DEFAULTS)}), got {options!r}")
    unknown = sorted(set(options) - set(DEFAULTS), key=str)
    if unknown:
        raise FilterError(f"{NAME}: unknown option {unknown[0]!r} (known: {', '.join(DEFAULTS)})")
    merged = {**DEFAULTS, **options}
    families = _names("address_families", merged["address_families"], ADDRESS_FAMILIES, "an address family (AF_*)")
    if not families:  # an empty RestrictAddressFamilies= lifts the restriction
        raise _err("address_families", merged["address_families"], "a non-empty list of address families (AF_*)")
    private_tmp, private_devices = merged["private_tmp"], merged["private_devices"]
    if not isinstance(private_tmp, bool):
        raise _err("private_tmp", private_tmp, "a boolean (true or false)")
    if not isinstance(private_devices, bool):
        raise _err("private_devices", private_devices, "a boolean (true or false)")
    umask = merged["umask"]
    if not isinstance(umask, str) or not _UMASK.match(umask):
        raise _err("umask", umask, "a quoted four-digit octal string such as '0027'")
    return {
        "read_write_paths": _paths(merged["read_write_paths"]),
        "capabilities": _names("capabilities", merged["capabilities"], CAPABILITIES, "a capability name (CAP_*)"),
        "address_families": families,
        "private_tmp": private_tmp,
        "private_devices": private_devices,
        "umask": umask,
    }


def forge_systemd_hardening(options=None):
    """The [Service] sandboxing lines of a unit, one per line, no trailing newline.

    The baseline is the block roles/signoz's units included before (hardening.j2, scored 1.2 by
    `systemd-analyze security` in the molecule containers): no new privileges, no capabilities, the file
    system read-only (ProtectSystem=strict, ProtectHome), private /tmp and /dev, kernel, clock, hostname,
    control-group and /proc protection, no namespaces, realtime, SUID/SGID, personality changes or W+X
    memory, native system calls of @system-service only and none of @privileged or @resources, IPC removed,
    umask 0027.

    ``options`` (a mapping; every key optional) is what a unit may change, and nothing else:

    - ``read_write_paths``: absolute paths the service writes (``ReadWritePaths=``; duplicates dropped, paths
      normalised, ``/`` refused). Each must exist when the unit starts. Default: none.
    - ``capabilities``: ``CAP_*`` names for ``CapabilityBoundingSet=``. ``AmbientCapabilities=`` stays empty:
      only the units that run as root need one (nft and ``wg show`` need ``CAP_NET_ADMIN``), and root holds
      the bounding set's capabilities without ambient ones. Default: none.
    - ``address_families``: the whole ``RestrictAddressFamilies=`` list (``AF_*``, not empty). Default:
      ``AF_UNIX AF_INET AF_INET6``; netlink users (nft, wg) take ``AF_UNIX AF_NETLINK``.
    - ``private_tmp``: ``PrivateTmp=``; false only for a unit that starts before the file systems are
      mounted (forge-firewall.service, ``DefaultDependencies=no``). Default: true.
    - ``private_devices``: ``PrivateDevices=`` (with ``DevicePolicy=closed``); false only for a unit that opens
      device nodes, the GPU textfile collector (nvidia-smi talks to /dev/nvidia*): then ``DevicePolicy=auto``.
      Default: true.
    - ``umask``: ``UMask=``, a quoted four-digit octal string. Default: ``'0027'``.

    ``PrivateNetwork=`` is not offered: every unit of ours talks to the host's network or its netlink.
    Bad input raises FilterError naming the option, the value and the expected form.
    """
    opts = _options(options)
    lines = ["# Sandboxing: forge_systemd_hardening (forge_monitoring/systemd.py); scores in docs/security.md"]
    if opts["read_write_paths"]:
        lines.append("ReadWritePaths=" + " ".join(opts["read_write_paths"]))
    lines += [
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=" + " ".join(opts["capabilities"]),
        "AmbientCapabilities=",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=" + ("yes" if opts["private_tmp"] else "no"),
        "PrivateDevices=" + ("yes" if opts["private_devices"] else "no"),
        "DevicePolicy=" + ("closed" if opts["private_devices"] else "auto"),
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",
        "ProcSubset=pid",
        "RestrictAddressFamilies=" + " ".join(opts["address_families"]),
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "MemoryDenyWriteExecute=yes",
        "RemoveIPC=yes",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged @resources",
        "UMask=" + opts["umask"],
    ]
    return "\n".join(lines)


def forge_systemd_verify_command(kind="service"):
    """The ``validate:`` command of a template task that writes a unit of ``kind`` (service, timer, ...):
    `systemd-analyze verify` of a copy named like a unit (the candidate's own name is a temporary file's, which
    systemd refuses), errors only. One place for every role's unit templates."""
    if kind not in ("service", "timer", "socket", "path", "mount"):
        raise FilterError(
            f"forge_systemd_verify_command: {kind!r} is not a unit type (service, timer, socket, path, mount)"
        )
    return (
        f'/bin/sh -c \'d=$(mktemp -d) && cp %s "$d/forge-candidate.{kind}" '
        f'&& SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no "$d/forge-candidate.{kind}"; r=$?; rm -rf "$d"; '
        "exit $r'"
    )
