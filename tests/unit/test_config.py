from __future__ import annotations

from pathlib import Path

import pytest

from rucket import config


def test_precedence_defaults_toml_env_flags(tmp_path: Path) -> None:
    toml = tmp_path / "rucket.toml"
    toml.write_text('region = "eu-west-1"\nroot_user = "fromtoml"\naddress = "127.0.0.1:1"\n'
                    '[[users]]\naccess_key = "alt"\nsecret_key = "altsecret"\n')
    env = {"RUCKET_ROOT_USER": "fromenv", "RUCKET_ADDRESS": "127.0.0.1:2"}
    cfg = config.load(toml, {"address": "127.0.0.1:3", "data_dir": None}, env=env)
    assert cfg.region == "eu-west-1"  # toml over default
    assert cfg.root_user == "fromenv"  # env over toml
    assert cfg.address == "127.0.0.1:3"  # flag over env
    assert cfg.data_dir == config.DEFAULT_DATA_DIR  # a flag of None does not override
    assert cfg.users == (config.UserConfig("alt", "altsecret"),)


def test_json_roundtrip_for_workers() -> None:
    cfg = config.load(None, {"domains": ("a.test", "b.test")}, env={})
    assert config.Config.from_json(cfg.to_json()) == cfg


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    toml = tmp_path / "rucket.toml"
    toml.write_text("bogus = 1\n")
    with pytest.raises(ValueError, match="bogus"):
        config.load(toml, env={})


def test_default_credentials_detected() -> None:
    assert config.load(None, env={}).uses_default_credentials()
    assert not config.load(None, env={"RUCKET_ROOT_PASSWORD": "x"}).uses_default_credentials()


@pytest.mark.parametrize(("toml", "env", "allowed"), [
    pytest.param("", {}, False, id="default-refuses"),
    pytest.param("allow_insecure_sse_c = true\n", {}, True, id="toml"),
    pytest.param("", {"RUCKET_ALLOW_INSECURE_SSE_C": "true"}, True, id="env"),
    pytest.param("allow_insecure_sse_c = true\n", {"RUCKET_ALLOW_INSECURE_SSE_C": "false"}, False, id="env-wins"),
])
def test_allow_insecure_sse_c_setting(tmp_path: Path, toml: str, env: dict[str, str], allowed: bool) -> None:
    path = tmp_path / "rucket.toml"
    path.write_text(toml)
    assert config.load(path, env=env).allow_insecure_sse_c is allowed


@pytest.mark.parametrize(("toml", "env", "strict"), [
    pytest.param("", {}, False, id="default-region-accepts-any-scope"),
    pytest.param('region = "us-east-1"\n', {}, True, id="configured-region-is-strict"),
    pytest.param("", {"RUCKET_REGION": "eu-west-1"}, True, id="env-region-is-strict"),
    pytest.param("", {"RUCKET_REGION": "eu-west-1", "RUCKET_STRICT_REGION": "false"}, False, id="opt-out"),
    pytest.param("strict_region = true\n", {}, True, id="opt-in"),
])
def test_strict_region_follows_an_explicit_region(tmp_path: Path, toml: str, env: dict[str, str],
                                                  strict: bool) -> None:
    path = tmp_path / "rucket.toml"
    path.write_text(toml)
    assert config.load(path, env=env).strict_region is strict


def test_users_are_own_accounts_unless_told(tmp_path: Path) -> None:
    toml = tmp_path / "rucket.toml"
    toml.write_text('[[users]]\naccess_key = "alt"\nsecret_key = "s1"\n'
                    '[[users]]\naccess_key = "dev"\nsecret_key = "s2"\nown_account = false\n')
    assert [u.own_account for u in config.load(toml, env={}).users] == [True, False]


def test_kms_keys_from_toml_and_env(tmp_path: Path) -> None:
    toml = tmp_path / "rucket.toml"
    toml.write_text('kms_keys = ["testkey-1", "testkey-2"]\nkms_default_key = "testkey-1"\n')
    cfg = config.load(toml, env={})
    assert cfg.kms_keys == ("testkey-1", "testkey-2") and cfg.kms_default_key == "testkey-1"
    assert config.Config.from_json(cfg.to_json()) == cfg
    assert config.load(toml, env={"RUCKET_KMS_KEYS": " a, b ,,c"}).kms_keys == ("a", "b", "c")
