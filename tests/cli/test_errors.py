"""Every failure leaves the CLI as one line on stderr and an exit code: 2 for usage, 1 for the rest."""

from __future__ import annotations

import re
import socket

import pytest
from botocore.exceptions import ClientError

from jobwatch.cli import commands, main
from jobwatch.cli.errors import describe
from jobwatch.cli.parser import build_parser
from tests.cli.conftest import Cli

COMMANDS = [
    "track",
    "untrack",
    "list",
    "show",
    "poll",
    "watch-collector",
    "unwatch-collector",
    "mute",
    "unmute",
    "demo",
]


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """A shell with no AWS credentials anywhere: no variables, no files, no instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("JOBWATCH_TABLE_NAME", "jobwatch-test")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: jobwatch {command} ")


def test_the_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\S+)", out, flags=re.MULTILINE)
    assert listed == COMMANDS
    assert set(commands.COMMANDS) == set(COMMANDS)


@pytest.mark.parametrize(
    ("argv", "last_line"),
    [
        ([], "jobwatch: error: the following arguments are required: COMMAND"),
        (["mute", "j_abcd0001"], "jobwatch mute: error: the following arguments are required: --for"),
        (
            ["track", "j_abcd0001", "--min-success-rate", "high"],
            "jobwatch track: error: argument --min-success-rate: invalid float value: 'high'",
        ),
        (
            ["launch"],
            "jobwatch: error: argument COMMAND: invalid choice: 'launch' (choose from "
            + ", ".join(f"'{command}'" for command in COMMANDS)
            + ")",
        ),
    ],
)
def test_argparse_usage_errors_exit_2(argv: list[str], last_line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines()[-1] == last_line


def test_a_bad_duration_is_a_usage_error_before_any_aws_call(cli: Cli) -> None:
    result = cli("mute", "j_abcd0001", "--for", "5x")

    assert (result.code, result.err) == (
        2,
        "jobwatch: invalid duration '5x': use a number and a unit, such as 30m, 2h, 1d or 1h30m\n",
    )


def test_without_a_table_name_the_cli_says_how_to_give_one(cli: Cli) -> None:
    result = cli("list")

    assert (result.code, result.err) == (
        1,
        "jobwatch: JOBWATCH_TABLE_NAME is not set (environment): pass --stack NAME or export it\n",
    )


@pytest.mark.usefixtures("aws")
def test_a_missing_table_is_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBWATCH_TABLE_NAME", "jobwatch-nosuch")

    result = cli("list")

    assert (result.code, result.out) == (1, "")
    assert result.err == "jobwatch: table jobwatch-nosuch does not exist: deploy the stack or set JOBWATCH_TABLE_NAME\n"


@pytest.mark.usefixtures("no_aws_config")
def test_missing_credentials_are_one_line(cli: Cli) -> None:
    result = cli("track", "j_abcd0001")

    assert result.code == 1
    assert result.err == (
        "jobwatch: no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
        "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    )


@pytest.mark.usefixtures("no_aws_config")
def test_a_missing_region_is_one_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)

    result = cli("list")

    assert (result.code, result.err) == (1, "jobwatch: no AWS region configured: pass --region or export AWS_REGION\n")


def test_an_unreachable_aws_endpoint_is_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("JOBWATCH_TABLE_NAME", "jobwatch-test")

    result = cli("list")

    assert result.code == 1
    assert result.err == (
        f"jobwatch: cannot reach http://127.0.0.1:{port}/: check your network, --region and AWS_ENDPOINT_URL\n"
    )


@pytest.mark.usefixtures("cli_env")
def test_an_unexpected_error_is_one_line_and_debug_adds_the_traceback(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(commands.views, "job_rows", broken)

    plain = cli("list")
    debug = cli("list", "--debug")

    assert (plain.code, plain.err) == (
        1,
        "jobwatch: unexpected error: RuntimeError: boom (run with --debug for the traceback)\n",
    )
    assert debug.code == 1
    assert debug.err.startswith("Traceback (most recent call last):")
    assert debug.err.endswith(
        "RuntimeError: boom\njobwatch: unexpected error: RuntimeError: boom (run with --debug for the traceback)\n"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDeniedException", "AWS denied Query (AccessDeniedException): your role needs that permission. no"),
        (
            "ExpiredTokenException",
            "AWS rejected your credentials (ExpiredTokenException): refresh them (aws sso login, or new access keys)",
        ),
        ("ThrottlingException", "AWS Query failed (ThrottlingException): no"),
    ],
)
def test_aws_refusals_are_described(code: str, expected: str) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "no"}}, "Query")

    assert describe(error) == (expected, 1)


def test_options_given_after_the_command_count_too() -> None:
    args = build_parser().parse_args(["--region", "eu-west-1", "list", "--stack", "jw", "--verbose"])

    assert (args.region, args.stack, args.verbose, args.debug) == ("eu-west-1", "jw", True, False)
