"""authstate-admin without a server: every command's --help, and where the configuration comes from
(flags over the environment over a profile of the profile file). Against a server:
tests/e2e/test_admin_cli.py and, for the rotation, tests/e2e/test_key_rotation.py."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools.admin import cli
from tools.admin.config import LOCAL, ConfigError, load


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command line that names a command (``sessions list``, ``keys rotate``, ...)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaves(sub, (*path, name))
    return found or [path]


COMMANDS = leaves(cli.build_parser())


def test_the_commands_are_the_ones_the_readme_lists() -> None:
    assert sorted(" ".join(command) for command in COMMANDS) == [
        "keys list",
        "keys rotate",
        "metadata get",
        "metadata merge",
        "sessions list",
        "sessions revoke",
        "sessions revoke-all",
        "sessions show",
        "token inspect",
    ]


@pytest.mark.parametrize("command", [(), *COMMANDS, *{(c[0],) for c in COMMANDS}], ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: authstate-admin {' '.join(command)}".rstrip())
    assert "--json" in out or not command or len(command) == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_profile_is_read_and_the_environment_and_flags_win(tmp_path: Path) -> None:
    profiles = write(
        tmp_path / "admin.toml",
        '[default]\nurl = "https://a.example/"\napi_key = "k1"\n[prod]\nurl = "https://p.example"\n'
        'api_key_secret_id = "arn:secret"\nrotation_function = "f"\nregion = "eu-west-1"\n',
    )
    environ = {"AUTHSTATE_ADMIN_CONFIG": str(profiles)}
    default = load(profile=None, environ=environ)
    assert (default.url, default.key(), default.source) == (
        "https://a.example",
        "k1",
        f"profile default of {profiles}",
    )
    prod = load(profile="prod", environ=environ)
    assert (prod.url, prod.api_key_secret_id, prod.rotation_function, prod.region) == (
        "https://p.example",
        "arn:secret",
        "f",
        "eu-west-1",
    )
    chosen = load(profile=None, environ={**environ, "AUTHSTATE_PROFILE": "prod", "AUTHSTATE_API_KEY": "k2"})
    assert (chosen.url, chosen.key()) == ("https://p.example", "k2")
    flagged = load(
        profile="prod", url="http://flag.example", environ={**environ, "AUTHSTATE_URL": "http://env"}
    )
    assert flagged.url == "http://flag.example"


def test_the_built_in_local_profile_is_make_run(tmp_path: Path) -> None:
    local = load(profile="local", environ={"AUTHSTATE_ADMIN_CONFIG": str(tmp_path / "none.toml")})
    assert (local.url, local.key(), local.rotation_function, local.lambda_endpoint) == (
        LOCAL["url"],
        "local-dev-key",
        "RotateSigningKeysFunction",
        "http://127.0.0.1:3000",
    )


@pytest.mark.parametrize(
    ("text", "profile", "environ", "message"),
    [
        ("", None, {}, "no API URL (no profile): pass --url, set AUTHSTATE_URL"),
        ("", "staging", {}, "no profile 'staging' in"),
        ('[default]\nurl = "x"\npassword = "y"\n', None, {}, "unknown setting password"),
        ("[default\n", None, {}, "cannot read the profile file"),
        ("[default]\nurl = 3\n", None, {}, "url must be a string"),
    ],
)
def test_configuration_errors_say_what_to_do(
    tmp_path: Path, text: str, profile: str | None, environ: dict[str, str], message: str
) -> None:
    path = write(tmp_path / "admin.toml", text)
    with pytest.raises(ConfigError) as raised:
        load(profile=profile, environ={"AUTHSTATE_ADMIN_CONFIG": str(path), **environ})
    assert message in str(raised.value)


def test_no_api_key_is_a_configuration_error(tmp_path: Path) -> None:
    config = load(profile=None, url="http://x", environ={"AUTHSTATE_ADMIN_CONFIG": str(tmp_path / "none")})
    with pytest.raises(ConfigError) as raised:
        config.key()
    assert "no API key (no profile): set AUTHSTATE_API_KEY" in str(raised.value)


def test_the_api_key_never_shows_in_the_configuration(tmp_path: Path) -> None:
    config = load(profile=None, url="http://x", environ={"AUTHSTATE_API_KEY": "s3cr3t-key"})
    assert "s3cr3t-key" not in repr(config)


def test_a_configuration_error_is_one_line_and_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTHSTATE_ADMIN_CONFIG", str(tmp_path / "none.toml"))
    for variable in ("AUTHSTATE_URL", "AUTHSTATE_PROFILE", "AUTHSTATE_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    assert cli.main(["metadata", "get", "u1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("authstate-admin metadata get: error: no API URL")
    assert err.count("\n") == 1


def test_a_merge_update_must_be_a_json_object(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTHSTATE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AUTHSTATE_API_KEY", "k")
    assert cli.main(["metadata", "merge", "u1", "[1, 2]"]) == 2
    assert "the update must be a JSON object" in capsys.readouterr().err
    assert cli.main(["metadata", "merge", "u1", "{bad"]) == 2
    assert "not JSON" in capsys.readouterr().err
