"""`rucket serve`'s start-up warnings and banner fields, from the configuration alone."""

from __future__ import annotations

import pytest

from rucket import cli, config


@pytest.mark.parametrize(("address", "network"), [
    pytest.param("0.0.0.0:9000", True, id="wildcard"),
    pytest.param("192.168.1.5:9000", True, id="lan-address"),
    pytest.param("[::]:9000", True, id="ipv6-wildcard"),
    pytest.param("127.0.0.1:9000", False, id="loopback"),
    pytest.param("localhost:9000", False, id="localhost"),
    pytest.param("[::1]:9000", False, id="ipv6-loopback"),
])
def test_default_credentials_warning_names_network_exposure(address: str, network: bool,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cli._warnings(config.Config(address=address, data_dir="/x"), "/x")
    err = capsys.readouterr().err
    assert "default root credentials" in err
    assert ("reachable from the network" in err) is network


def test_no_credentials_warning_with_own_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    cli._warnings(config.Config(root_password="own-secret", data_dir="/x"), "/x")
    assert "credentials" not in capsys.readouterr().err


def test_secret_shown_only_when_it_is_the_builtin_default() -> None:
    assert cli._shown_secret(config.Config()) == config.DEFAULT_ROOT
    assert "own-secret" not in cli._shown_secret(config.Config(root_password="own-secret"))


@pytest.mark.parametrize(("host", "local"), [("0.0.0.0", "127.0.0.1"), ("::", "127.0.0.1"),
                                             ("10.0.0.2", "10.0.0.2"), ("::1", "[::1]")])
def test_banner_endpoint_is_one_a_local_client_can_use(host: str, local: str) -> None:
    assert cli._local(host) == local
