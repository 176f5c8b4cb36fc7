"""Where the CLI finds its deployment: a CloudFormation stack's function environment, or JOBWATCH_* variables.

With `--stack NAME` the CLI reads the stack's outputs, then the monitor function's own environment
(lambda:GetFunctionConfiguration), so a local `jobwatch poll` runs with exactly the Lambda's settings.
Without it, the JOBWATCH_* environment variables are used, as the Lambda reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from jobwatch.settings import ConfigError, Settings, load_settings

TABLE_OUTPUT = "JobsTableName"
FUNCTION_OUTPUT = "MonitorFunctionName"
TOPIC_OUTPUT = "AlertTopicArn"
# Table commands are interactive: fail within seconds, and leave retries to the operator's AWS configuration.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15)


@dataclass(frozen=True)
class Deployment:
    """The JOBWATCH_* variables in force, where they came from, and the boto3 session to use."""

    env: Mapping[str, str]
    origin: str  # "stack NAME (function F)" or "environment"
    session: Any
    complete: bool = True  # False when only the stack outputs could be read, not the function's environment

    def table_settings(self) -> Settings:
        """Settings for commands that use only the table: JOBWATCH_TABLE_NAME is required; the rest is optional."""
        if not self.env.get("JOBWATCH_TABLE_NAME", "").strip():
            raise ConfigError(f"JOBWATCH_TABLE_NAME is not set ({self.origin}): pass --stack NAME or export it")
        filled = dict(self.env)
        filled.setdefault("JOBWATCH_TOKEN_PARAMETER", "ssm:not-read-by-table-commands")
        has_channel = any(filled.get(v, "").strip() for v in ("JOBWATCH_TOPIC_ARN", "JOBWATCH_SLACK_WEBHOOK_PARAMETER"))
        if not has_channel:
            filled["JOBWATCH_TOPIC_ARN"] = "not-read-by-table-commands"
        settings = load_settings(filled)
        # Channels this deployment has are unknown here: show none rather than a guess.
        return settings if has_channel else replace(settings, topic_arn=None, slack_webhook_ref=None)

    def full_settings(self) -> Settings:
        """Every setting the Lambda uses; `poll` needs them (token secret, channels, API URL)."""
        if not self.complete:
            raise ConfigError(
                f"the function environment of {self.origin} could not be read: poll needs "
                "lambda:GetFunctionConfiguration, or export the JOBWATCH_* variables and omit --stack"
            )
        try:
            return load_settings(self.env)
        except ConfigError as exc:
            if self.origin != "environment":
                raise
            raise ConfigError(f"{exc} - or pass --stack NAME to use the deployed function's settings") from exc

    def client(self, service: str) -> Any:
        return self.session.client(service, config=CLIENT_CONFIG)


def resolve(stack: str | None, region: str | None, profile: str | None) -> Deployment:
    """The deployment the command works on: `stack` (or $JOBWATCH_STACK) when given, else the environment."""
    session = new_session(region, profile)
    stack = stack or os.environ.get("JOBWATCH_STACK", "").strip() or None
    if stack is None:
        env = {k: v for k, v in os.environ.items() if k.startswith("JOBWATCH_")}
        return Deployment(env, "environment", session)
    return _from_stack(session, stack)


def new_session(region: str | None = None, profile: str | None = None) -> Any:
    """A boto3 session that shares botocore's parsed service models with the sessions made before it."""
    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader())
    return boto3.session.Session(botocore_session=core, region_name=region, profile_name=profile)


@cache
def _shared_loader() -> botocore.loaders.Loader:
    # Parsing endpoints.json and a service model takes ~0.3 s per session; a process making several pays once.
    return botocore.loaders.create_loader()


def _from_stack(session: Any, stack: str) -> Deployment:
    cloudformation = session.client("cloudformation", config=CLIENT_CONFIG)
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            raise ConfigError(
                f"stack {stack} does not exist in {session.region_name}: check --stack and --region"
            ) from exc
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}
    function = outputs.get(FUNCTION_OUTPUT)
    if function:
        try:
            config = session.client("lambda", config=CLIENT_CONFIG).get_function_configuration(FunctionName=function)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("AccessDeniedException", "ResourceNotFoundException"):
                raise
        else:
            # Lambda gives every value as a string; an emulator may not (moto keeps Number parameters as numbers).
            env = {k: str(v) for k, v in config.get("Environment", {}).get("Variables", {}).items()}
            return Deployment(env, f"stack {stack} (function {function})", session)
    env = {"JOBWATCH_TABLE_NAME": outputs.get(TABLE_OUTPUT, ""), "JOBWATCH_TOPIC_ARN": outputs.get(TOPIC_OUTPUT, "")}
    return Deployment({k: v for k, v in env.items() if v}, f"stack {stack} outputs", session, complete=False)
