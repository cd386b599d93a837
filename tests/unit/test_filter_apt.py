"""forge_monitoring/apt.py: the one idiom for pinned Debian packages."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forge_monitoring.apt import forge_apt_pin
from forge_monitoring.errors import FilterError

NAMES = st.from_regex(r"[a-z0-9][a-z0-9+.-]{1,20}", fullmatch=True)
VERSIONS = st.from_regex(r"([0-9]:)?[0-9][A-Za-z0-9.+~]{0,10}(-[A-Za-z0-9.+~]{1,8})?", fullmatch=True)


@given(st.lists(NAMES, min_size=1, max_size=5), VERSIONS)
def test_every_package_gets_the_pinned_version(names, version):
    assert forge_apt_pin(names, version) == [f"{n}={version}" for n in names]


def test_one_name_and_an_explicitly_empty_version():
    assert forge_apt_pin("nginx", "1.22.1-9+deb12u12") == ["nginx=1.22.1-9+deb12u12"]
    assert forge_apt_pin(["clickhouse-server", "clickhouse-client"], "") == ["clickhouse-server", "clickhouse-client"]


@pytest.mark.parametrize(
    ("packages", "version", "expected"),
    [
        ([], "1.0", "expected a package name or a non-empty list"),
        (["Nginx"], "1.0", "'Nginx' is not a Debian package name"),
        (["nginx=1.0"], "1.0", "'nginx=1.0' is not a Debian package name"),
        (["nginx"], None, "version is None; expected a Debian version string from versions.yml"),
        (["nginx"], "1.0 beta", "'1.0 beta' is not a Debian version"),
        (["nginx"], "latest", "'latest' is not a Debian version"),
    ],
)
def test_bad_input_is_named(packages, version, expected):
    with pytest.raises(FilterError, match="^forge_apt_pin: ") as err:
        forge_apt_pin(packages, version)
    assert expected in str(err.value)
