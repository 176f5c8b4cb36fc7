"""Failures as the operator sees them: one line naming what is wrong and what to do, and an exit code."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from jobwatch.cli.polling import SecretUnreadableError
from jobwatch.ids import InvalidIdError
from jobwatch.operations import DurationError, NotWatchedError
from jobwatch.rules import InvalidRuleError
from jobwatch.settings import ConfigError
from jobwatch.store import StoreError

USAGE = 2
FAILURE = 1
# Errors whose own message already says what is wrong and what to do.
_USAGE_ERRORS = (InvalidIdError, InvalidRuleError, DurationError)
_SELF_EXPLAINED = (ConfigError, StoreError, NotWatchedError, SecretUnreadableError)
_CREDENTIALS_REJECTED = ("UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException")


def describe(exc: BaseException) -> tuple[str, int]:
    """(one line for stderr, exit code) for any failure of a command."""
    if isinstance(exc, _USAGE_ERRORS):
        return str(exc), USAGE
    if isinstance(exc, _SELF_EXPLAINED):
        return str(exc), FAILURE
    if isinstance(exc, BotoCoreError):
        return _botocore(exc), FAILURE
    if isinstance(exc, ClientError):
        return _client_error(exc), FAILURE
    return f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", FAILURE


def _botocore(exc: BotoCoreError) -> str:
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
            "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, NoRegionError):
        return "no AWS region configured: pass --region or export AWS_REGION"
    if isinstance(exc, ProfileNotFound):
        return f"{exc}: check --profile and AWS_PROFILE"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        endpoint = exc.kwargs.get("endpoint_url", "the AWS endpoint")
        return f"cannot reach {endpoint}: check your network, --region and AWS_ENDPOINT_URL"
    return f"AWS call failed: {exc}"


def _client_error(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "ClientError"), error.get("Message", "")
    if code in _CREDENTIALS_REJECTED:
        return f"AWS rejected your credentials ({code}): refresh them (aws sso login, or new access keys)"
    if "AccessDenied" in code:
        return f"AWS denied {exc.operation_name} ({code}): your role needs that permission. {message}".rstrip()
    return f"AWS {exc.operation_name} failed ({code}): {message}".rstrip(": ")
