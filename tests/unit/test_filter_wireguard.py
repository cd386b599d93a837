import base64
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.errors import FilterError
from forge_monitoring.wireguard import forge_wg_addresses, forge_wg_peer_keys

KEY = base64.b64encode(bytes(range(32))).decode()  # a well-formed public key


def test_hub_first_spokes_deterministic():
    out = forge_wg_addresses(["dev-2", "dev-1"], "10.213.200.0/24", ["vms-1"])
    assert out["vms-1"] == "10.213.200.1"
    assert out == forge_wg_addresses(["dev-1", "dev-2"], "10.213.200.0/24", ["vms-1"])
    assert len(set(out.values())) == 3


def test_pins_are_kept_and_others_avoid_them():
    out = forge_wg_addresses(["dev-1", "dev-2"], "10.0.0.0/29", ["hub"], {"dev-1": "10.0.0.2", "ghost": "10.0.0.3"})
    assert out["dev-1"] == "10.0.0.2" and out["hub"] == "10.0.0.1"
    assert out["dev-2"] not in ("10.0.0.1", "10.0.0.2", "10.0.0.0", "10.0.0.7")


def test_edge_a_full_network():
    out = forge_wg_addresses(["a", "b", "c", "d", "e"], "10.0.0.0/29", ["hub"])
    assert sorted(out.values(), key=ipaddress.ip_address) == [f"10.0.0.{i}" for i in range(1, 7)]
    assert forge_wg_addresses([], "10.0.0.0/30", ["hub"]) == {"hub": "10.0.0.1"}


@pytest.mark.parametrize(
    "args,msg",
    [
        ((["a"], "10.0.0.1/24", ["h"]), "not a network"),
        ((["a"], "nonsense", ["h"]), "not a network"),
        (("a", "10.0.0.0/24", ["h"]), "spokes must be a list"),
        ((["a", "a"], "10.0.0.0/24", ["h"]), "appears twice"),
        ((["a", "h"], "10.0.0.0/24", ["h"]), "appears twice"),
        ((["a", "b", "c"], "10.0.0.0/30", ["h"]), "usable addresses"),
        ((["a"], "10.0.0.0/24", ["h"], {"a": "10.0.1.5"}), "not a usable host address"),
        ((["a"], "10.0.0.0/24", ["h"], {"a": "10.0.0.255"}), "not a usable host address"),
        ((["a", "b"], "10.0.0.0/24", ["h"], {"a": "10.0.0.5", "b": "10.0.0.5"}), "already pinned"),
        ((["a"], "10.0.0.0/24", ["h"], {"a": "x"}), "not an IP address"),
    ],
)
def test_invalid_input_is_named(args, msg):
    with pytest.raises(FilterError, match=f"forge_wg_addresses: .*{msg}"):
        forge_wg_addresses(*args)


@given(
    st.sets(st.text("abcdefghij-0123456789", min_size=1, max_size=12), max_size=60),
    st.integers(20, 28),
    st.randoms(),
)
def test_properties_unique_inside_order_free(spokes, prefix, rnd):
    cidr = f"10.99.0.0/{prefix}"
    net = ipaddress.ip_network(cidr)
    spokes = sorted(spokes - {"hub"})
    if len(spokes) + 1 > net.num_addresses - 2:
        return
    out = forge_wg_addresses(spokes, cidr, ["hub"])
    shuffled = list(spokes)
    rnd.shuffle(shuffled)
    assert forge_wg_addresses(shuffled, cidr, ["hub"]) == out
    assert set(out) == set(spokes) | {"hub"} and out["hub"] == str(net.network_address + 1)
    ips = [ipaddress.ip_address(a) for a in out.values()]
    assert len(set(ips)) == len(ips)
    assert all(ip in net and ip not in (net.network_address, net.broadcast_address) for ip in ips)


@given(st.sets(st.text("abcdefghij", min_size=1, max_size=8), min_size=1, max_size=20), st.text("klmn", min_size=1))
def test_property_pinning_freezes_existing_addresses(spokes, newcomer):
    spokes = sorted(spokes)
    before = forge_wg_addresses(spokes, "10.98.0.0/24", ["hub"])
    after = forge_wg_addresses(spokes + [newcomer], "10.98.0.0/24", ["hub"], before)
    assert all(after[name] == addr for name, addr in before.items())


def test_peer_keys_fresh_wins_registry_fills_in():
    other = base64.b64encode(bytes(32)).decode()
    slurped = [
        {"item": "dev-1", "content": base64.b64encode(f"{KEY}\n".encode()).decode()},
        {"item": "dev-2", "failed": True, "msg": "unreachable"},
    ]
    registry = f"# comment\n{other} dev-1\n{other} dev-2\n"
    assert forge_wg_peer_keys(["dev-1", "dev-2", "dev-3"], slurped, registry) == {"dev-1": KEY, "dev-2": other}
    assert forge_wg_peer_keys([], [], "") == {}


@pytest.mark.parametrize(
    "args,msg",
    [
        (("dev-1", []), "hosts must be a list"),
        ((["dev-1"], "x"), "slurp results"),
        ((["dev-1"], [{"item": "dev-1", "content": base64.b64encode(b"not-a-key").decode()}]), "not a WireGuard key"),
        ((["dev-1"], [], "tooshort dev-1"), "not a WireGuard key"),
    ],
)
def test_peer_keys_invalid(args, msg):
    with pytest.raises(FilterError, match=f"forge_wg_peer_keys: .*{msg}"):
        forge_wg_peer_keys(*args)
