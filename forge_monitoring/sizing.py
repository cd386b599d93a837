"""Memory and CPU budgets for one host: systemd limits, ClickHouse memory settings, collector memory_limiter.

The model and every default, with its source, are in docs/sizing.md. MB here means MiB (systemd's ``M``).
"""

from __future__ import annotations

import math

from forge_monitoring.errors import FilterError

COMPONENTS = ("clickhouse", "zookeeper", "signoz", "alertmanager", "ingest", "frontend", "agent")

# Fixed memory budgets in MiB. Source in the comment; docs/sizing.md repeats them.
DEFAULT_BUDGETS_MB = {
    "signoz": 2048,  # seed "Resource Requirements": query_service_ram 2GB
    "alertmanager": 512,  # seed: alert_manager_ram 512MB (SigNoz's built-in one runs inside the signoz process)
    "frontend": 1024,  # seed: frontend_ram 1GB (nginx + oauth2-proxy)
    "os": 2048,  # seed: os_overhead 2GB
    "zookeeper": 512,  # reasoned: single node, JVM -Xmx256m plus metaspace, threads and off-heap
    "ingest": 512,  # reasoned: one SigNoz ingest collector with batch + memory_limiter at seed-scale rates
    "agent": 200,  # seed "Development Servers (Agents)": ram_usage < 200MB, for the whole agent set
    "clickhouse_min": 1024,  # reasoned: below about 1 GiB SigNoz's merges and queries fail with MEMORY_LIMIT_EXCEEDED
}
BUDGET_KEYS = (*COMPONENTS, "os", "clickhouse_min")

# Which systemd units carry each component's budget, and the share of it each unit gets.
# alertmanager maps to the signoz unit: its 512 MB is added to signoz's MemoryMax.
UNITS = {
    "clickhouse": {"clickhouse": 1.0},
    "zookeeper": {"zookeeper": 1.0},
    "signoz": {"signoz": 1.0},
    "alertmanager": {"signoz": 1.0},
    "ingest": {"ingest": 1.0},
    "frontend": {"nginx": 0.5, "oauth2-proxy": 0.5},
    "agent": {"otel-agent": 0.6, "fluent-bit": 0.2, "exporters": 0.2},
}

# CPU: the OS keeps 10 % of the host; the agent set gets the seed's 5 % of the host; the rest is split by weight.
OS_CPU_SHARE = 0.10
AGENT_CPU_SHARE = 0.05  # seed: agent cpu_usage < 5%
CPU_WEIGHTS = {"clickhouse": 50, "ingest": 20, "signoz": 15, "alertmanager": 5, "zookeeper": 5, "frontend": 5}

# seed "Development Servers (Agents)": network_bandwidth < 10Mbps, disk_io < 100MB/day, for the whole agent set
AGENT_NETWORK_MBPS = 10
AGENT_DISK_MB_PER_DAY = 100

MEMORY_HIGH_RATIO = 0.90  # MemoryHigh = 90 % of MemoryMax: the kernel reclaims before it kills
CH_SERVER_RATIO = 0.80  # max_server_memory_usage: ClickHouse refuses queries before the cgroup throttles
CH_QUERY_RATIO = 0.50  # max_memory_usage per query, of max_server_memory_usage
CH_MARK_CACHE_RATIO = 0.10  # of ClickHouse's MemoryMax (ClickHouse's default 5 GiB is sized for big hosts)
CH_UNCOMPRESSED_CACHE_RATIO = 0.05  # only used by queries with use_uncompressed_cache=1
LIMITER_RATIO = 0.80  # memory_limiter limit_mib, of the collector's MemoryMax
SPIKE_RATIO = 0.20  # spike_limit_mib, of limit_mib (the memory_limiter processor's own default)
MIB = 1024 * 1024


def forge_sizing(host, components, budgets=None):
    """Memory and CPU limits for the components placed on one host.

    host: {name, ram_mb, cores, disk_gb}; components: names from COMPONENTS; budgets: overrides of
    DEFAULT_BUDGETS_MB (MiB). ClickHouse gets the RAM the fixed budgets leave, unless budgets.clickhouse fixes it.
    """
    name, ram, cores, disk = _host(host)
    placed = _components(name, components)
    budget = _budgets(name, budgets)

    fixed = {c: budget[c] for c in placed if c != "clickhouse"}
    if "clickhouse" in placed and "clickhouse" in budget:
        fixed["clickhouse"] = budget["clickhouse"]
    fixed_total = sum(fixed.values()) + budget["os"]
    ch_min = budget["clickhouse_min"] if "clickhouse" in placed and "clickhouse" not in fixed else 0
    if fixed_total + ch_min > ram or ("clickhouse" in fixed and fixed["clickhouse"] < budget["clickhouse_min"]):
        terms = " + ".join(f"{c} {_num(v)}" for c, v in [*fixed.items(), ("os", budget["os"])])
        need = f"; the fixed budgets need {_num(fixed_total)} MB ({terms})"
        if ch_min:
            need += f" and ClickHouse needs at least {_num(ch_min)} MB more ({_num(fixed_total + ch_min)} MB in all)"
        elif "clickhouse" in fixed:
            need += f" and ClickHouse is fixed at {_num(fixed['clickhouse'])} MB (minimum {budget['clickhouse_min']})"
        raise FilterError(f"forge_sizing: host {name} has {_num(ram)} MB RAM{need}")

    memory = {c: int(v) for c, v in fixed.items()}
    if "clickhouse" in placed and "clickhouse" not in memory:
        memory["clickhouse"] = int(ram - fixed_total)
    memory = {c: memory[c] for c in placed}

    cpu = _cpu(placed, cores)
    out_components = {}
    units = {}
    for comp in placed:
        out_components[comp] = {
            "memory_max_mb": memory[comp],
            "memory_high_mb": _high(memory[comp]),
            "cpu_quota_percent": cpu[comp],
            "units": sorted(UNITS[comp]),
        }
        mem_parts = _split(memory[comp], UNITS[comp])
        cpu_parts = _split(cpu[comp], UNITS[comp])
        for unit in UNITS[comp]:
            entry = units.setdefault(unit, {"memory_max_mb": 0, "cpu_quota_percent": 0, "components": []})
            entry["memory_max_mb"] += mem_parts[unit]
            entry["cpu_quota_percent"] += cpu_parts[unit]
            entry["components"].append(comp)
    for entry in units.values():
        entry["memory_high_mb"] = _high(entry["memory_max_mb"])

    result = {
        "host": name,
        "components": out_components,
        "units": units,
        "os_reserve_mb": int(budget["os"]),
        "totals": {
            "ram_mb": ram,
            "cores": cores,
            "disk_gb": disk,
            "memory_max_mb": sum(memory.values()),
            "memory_allocated_mb": sum(memory.values()) + int(budget["os"]),
            "memory_unallocated_mb": int(ram - sum(memory.values()) - budget["os"]),
            "cpu_quota_percent": sum(cpu.values()),
            "cpu_capacity_percent": int(cores * 100),
            "os_cpu_reserve_percent": int(cores * 100 * OS_CPU_SHARE),
        },
    }
    if "clickhouse" in placed:
        result["clickhouse"] = _clickhouse(memory["clickhouse"])
    if "ingest" in placed:
        result["ingest_memory_limiter"] = _limiter(units["ingest"]["memory_max_mb"])
    if "agent" in placed:
        result["agent_memory_limiter"] = _limiter(units["otel-agent"]["memory_max_mb"])
        result["agent_limits"] = {
            "network_mbps": AGENT_NETWORK_MBPS,
            # what the agent may send on average: exporters are rate-limited to this
            "network_bytes_per_s": AGENT_NETWORK_MBPS * 1_000_000 // 8,
            "disk_mb_per_day": AGENT_DISK_MB_PER_DAY,
            # on-disk buffers (collector file queue, log tail buffers) never hold more than one day's budget
            "buffer_limit_mb": AGENT_DISK_MB_PER_DAY,
        }
    return result


def forge_host_resources(name, resources, facts=None):
    """The host dict forge_sizing takes: the inventory's forge_host_resources, else the host's facts.

    facts: ansible_facts (memtotal_mb, processor_vcpus or processor_cores, mounts); the disk is the size of
    the filesystem holding /var/lib (or /).
    """
    if resources:
        if not isinstance(resources, dict):
            raise FilterError(
                f"forge_host_resources: host {name}: forge_host_resources must be a dict "
                f"{{ram_mb, cores, disk_gb}}, got {resources!r}"
            )
        return {"name": name, **{k: resources.get(k) for k in ("ram_mb", "cores", "disk_gb")}}
    if not isinstance(facts, dict) or "memtotal_mb" not in facts:
        raise FilterError(
            f"forge_host_resources: host {name}: no forge_host_resources in the inventory and no facts "
            f"(memtotal_mb, processor_vcpus) to size from; gather facts or set forge_host_resources"
        )
    mounts = {m.get("mount"): m for m in facts.get("mounts") or [] if isinstance(m, dict)}
    disk = mounts.get("/var/lib") or mounts.get("/var") or mounts.get("/") or {}
    return {
        "name": name,
        "ram_mb": facts["memtotal_mb"],
        "cores": facts.get("processor_vcpus") or facts.get("processor_cores") or 1,
        "disk_gb": (disk.get("size_total") or 1e9) / 1e9,
    }


def forge_components_for(group_names, sized_components):
    """The sized components of a host in these groups (playbooks/vars/placement.yml forge_sized_components)."""
    if not isinstance(sized_components, dict):
        raise FilterError("forge_components_for: sized_components must be a dict of group -> [component]")
    out = []
    for group, comps in sized_components.items():
        if group in (group_names or []):
            out += [c for c in comps if c not in out]
    return out


def _host(host):
    if not isinstance(host, dict):
        raise FilterError(f"forge_sizing: host must be a dict {{name, ram_mb, cores, disk_gb}}, got {host!r}")
    name = host.get("name")
    if not isinstance(name, str) or not name.strip():
        raise FilterError(f"forge_sizing: host needs a non-empty 'name', got {name!r}")
    values = {}
    for key in ("ram_mb", "cores", "disk_gb"):
        values[key] = _positive(f"host {name}: {key}", host.get(key))
    if values["cores"] < 1:
        raise FilterError(f"forge_sizing: host {name}: cores is {values['cores']}; expected at least 1")
    return name, values["ram_mb"], values["cores"], values["disk_gb"]


def _components(name, components):
    if not isinstance(components, list | tuple) or not components:
        raise FilterError(f"forge_sizing: host {name}: components must be a non-empty list, got {components!r}")
    placed = []
    for comp in components:
        if comp not in COMPONENTS:
            raise FilterError(
                f"forge_sizing: host {name}: unknown component {comp!r}; expected some of {', '.join(COMPONENTS)}"
            )
        if comp in placed:
            raise FilterError(f"forge_sizing: host {name}: component {comp} is listed twice")
        placed.append(comp)
    return [c for c in COMPONENTS if c in placed]


def _budgets(name, budgets):
    budgets = {} if budgets is None else budgets
    if not isinstance(budgets, dict):
        raise FilterError(f"forge_sizing: host {name}: budgets must be a dict of MB, got {budgets!r}")
    merged = dict(DEFAULT_BUDGETS_MB)
    for key, value in budgets.items():
        if key not in BUDGET_KEYS:
            raise FilterError(
                f"forge_sizing: host {name}: unknown budget {key!r}; expected some of {', '.join(BUDGET_KEYS)}"
            )
        merged[key] = _positive(f"host {name}: budgets.{key}", value)
    return merged


def _positive(what, value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise FilterError(f"forge_sizing: {what} must be a positive number, got {value!r}")
    return value


def _cpu(placed, cores):
    capacity = cores * 100
    cpu = {}
    available = capacity * (1 - OS_CPU_SHARE)
    if "agent" in placed:
        cpu["agent"] = max(1, int(capacity * AGENT_CPU_SHARE))
        available -= cpu["agent"]
    weighted = [c for c in placed if c in CPU_WEIGHTS]
    total_weight = sum(CPU_WEIGHTS[c] for c in weighted)
    for comp in weighted:
        cpu[comp] = max(1, int(available * CPU_WEIGHTS[comp] / total_weight))
    return {c: cpu[c] for c in placed}


def _split(total, shares):
    """Integer split of total by shares; the last unit gets the rounding remainder, so the parts sum to total."""
    units = list(shares)
    parts = {u: int(total * shares[u]) for u in units[:-1]}
    parts[units[-1]] = int(total) - sum(parts.values())
    return parts


def _high(max_mb):
    return int(max_mb * MEMORY_HIGH_RATIO)


def _clickhouse(max_mb):
    server = int(max_mb * CH_SERVER_RATIO) * MIB
    return {
        "max_server_memory_usage": server,
        "max_memory_usage": int(server * CH_QUERY_RATIO),
        "mark_cache_size": int(max_mb * CH_MARK_CACHE_RATIO) * MIB,
        "uncompressed_cache_size": int(max_mb * CH_UNCOMPRESSED_CACHE_RATIO) * MIB,
    }


def _limiter(max_mb):
    limit = int(max_mb * LIMITER_RATIO)
    return {"check_interval": "1s", "limit_mib": limit, "spike_limit_mib": int(limit * SPIKE_RATIO)}


def _num(value):
    return int(value) if float(value).is_integer() else value
