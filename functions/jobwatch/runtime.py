"""Wiring: settings -> boto3 clients, one urllib3 pool, secrets through Powertools Parameters -> a Monitor.

Built once per Lambda container (and once per CLI command); everything here is reused across invocations.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from botocore.config import Config

from jobwatch.brightdata import BrightDataClient, make_http, make_retry
from jobwatch.monitor import Monitor
from jobwatch.notify import Notifier, SlackNotifier, SnsNotifier
from jobwatch.settings import SecretRef, Settings
from jobwatch.store import Store

IAM_ACTIONS = ("secretsmanager:GetSecretValue", "ssm:GetParameter")
# Keys a JSON secret may hold the value under, for teams that store {"token": "..."} rather than the bare text.
_SECRET_KEYS = ("token", "api_token", "webhook_url", "url", "value")
LIBRARY_LOGGERS = ("botocore", "boto3", "urllib3", "aws_lambda_powertools.utilities.parameters")


def aws_config(settings: Settings) -> Config:
    return Config(
        connect_timeout=min(settings.http_timeout_seconds, 5),
        read_timeout=settings.http_timeout_seconds,
        retries={"mode": "standard", "max_attempts": 4},
        max_pool_connections=max(10, settings.concurrency + 2),
    )


class SecretReader:
    """Reads secrets through Powertools Parameters (cached for `max_age` seconds); never logs their values."""

    def __init__(self, session: Any, config: Config, max_age: int) -> None:
        self._providers = {
            "secretsmanager": parameters.SecretsProvider(boto3_client=session.client("secretsmanager", config=config)),
            "ssm": parameters.SSMProvider(boto3_client=session.client("ssm", config=config)),
        }
        self._max_age = max_age

    def reader(self, ref: SecretRef) -> Callable[[], str]:
        def read() -> str:
            provider = self._providers[ref.backend]
            if ref.backend == "ssm":
                raw = provider.get(ref.name, max_age=self._max_age, decrypt=True)
            else:
                raw = provider.get(ref.name, max_age=self._max_age)
            return _unwrap(raw if isinstance(raw, str) else bytes(raw).decode())  # type: ignore[arg-type]

        return read

    def clear(self) -> None:
        for provider in self._providers.values():
            provider.clear_cache()  # type: ignore[no-untyped-call]


def quiet_libraries() -> None:
    """At DEBUG, botocore logs response bodies (the secrets' values) and urllib3 logs request paths (the Slack
    webhook's secret path): keep both at INFO or above whatever the function's log level."""
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)


def build_monitor(settings: Settings, session: Any = None) -> Monitor:
    """Every adapter a run needs, made from `settings` (AWS endpoints follow AWS_ENDPOINT_URL when set)."""
    quiet_libraries()
    session = session or boto3.session.Session()
    config = aws_config(settings)
    secrets = SecretReader(session, config, settings.secret_max_age_seconds)
    http = make_http(settings.concurrency, settings.http_timeout_seconds, make_retry(settings.retry_backoff_seconds))
    notifiers: list[Notifier] = []
    if settings.slack_webhook_ref:
        notifiers.append(
            SlackNotifier(
                http,
                secrets.reader(settings.slack_webhook_ref),
                min_interval=settings.slack_min_interval_seconds,
                timeout=settings.http_timeout_seconds,
            )
        )
    if settings.topic_arn:
        notifiers.append(SnsNotifier(session.client("sns", config=config), settings.topic_arn))
    return Monitor(
        settings=settings,
        store=Store(session.client("dynamodb", config=config), settings.table_name),
        brightdata=BrightDataClient(http, settings.api_base_url, secrets.reader(settings.token_ref)),
        notifiers=notifiers,
        on_token_rejected=secrets.clear,
    )


def _unwrap(value: str) -> str:
    text = value.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            for key in _SECRET_KEYS:
                if isinstance(data.get(key), str):
                    return str(data[key]).strip()
    return text
