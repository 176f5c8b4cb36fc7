"""Every setting jobwatch reads, parsed once from the environment into one frozen object."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DEFAULT_API_BASE_URL = "https://api.brightdata.com"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the variable and what to do."""


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: Secrets Manager (`secretsmanager:NAME`) or SSM Parameter Store (`ssm:NAME`)."""

    backend: str
    name: str

    @classmethod
    def parse(cls, variable: str, value: str) -> SecretRef:
        backend, sep, name = value.partition(":")
        if not sep or backend not in ("secretsmanager", "ssm") or not name:
            raise ConfigError(
                f"{variable}={value!r} is not a secret reference: use 'secretsmanager:<secret name>' "
                "or 'ssm:<parameter name>'"
            )
        return cls(backend, name)


@dataclass(frozen=True)
class Settings:
    table_name: str
    token_ref: SecretRef
    slack_webhook_ref: SecretRef | None
    topic_arn: str | None
    api_base_url: str = DEFAULT_API_BASE_URL
    min_success_rate: float = 0.9
    min_inputs: int = 10
    concurrency: int = 16
    http_timeout_seconds: float = 10.0
    retry_backoff_seconds: float = 1.0
    safety_margin_seconds: float = 15.0
    ttl_days: int = 30
    secret_max_age_seconds: int = 300
    schedule_period_minutes: float = 5.0
    max_poll_interval_minutes: float = 30.0
    max_running_minutes: float = 360.0
    stall_polls: int = 6
    recovery_margin: float = 0.02
    notify_done: bool = False
    group_limit: int = 5
    slack_min_interval_seconds: float = 1.0
    discovery_lookback_days: int = 2
    job_url_template: str = "https://brightdata.com/cp/scrapers/jobs/{job_id}"

    @property
    def channels(self) -> tuple[str, ...]:
        """The delivery channels this deployment has configured."""
        return tuple(name for name, on in (("slack", self.slack_webhook_ref), ("email", self.topic_arn)) if on)


def _number(kind: Callable[[str], T], low: float, high: float) -> Callable[[str, str], T]:
    def parse(variable: str, raw: str) -> T:
        try:
            value = kind(raw)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{variable}={raw!r} is not {noun}: set {noun}, as in the README's table") from None
        if not low <= float(value) <= high:  # type: ignore[arg-type]
            raise ConfigError(f"{variable}={raw!r} is out of range: use a value from {low:g} to {high:g}")
        return value

    return parse


def _bool(variable: str, raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{variable}={raw!r} is not a boolean: use true or false")


def _url(variable: str, raw: str) -> str:
    if not raw.startswith(("https://", "http://")):
        raise ConfigError(f"{variable}={raw!r} is not a URL: use https://api.brightdata.com or a test server URL")
    return raw.rstrip("/")


def _text(variable: str, raw: str) -> str:
    return raw


# variable -> (Settings field, parser); a missing or empty variable keeps the field's default.
_OPTIONAL: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "JOBWATCH_API_BASE_URL": ("api_base_url", _url),
    "JOBWATCH_MIN_SUCCESS_RATE": ("min_success_rate", _number(float, 0.0, 1.0)),
    "JOBWATCH_MIN_INPUTS": ("min_inputs", _number(int, 0, 10_000_000)),
    "JOBWATCH_CONCURRENCY": ("concurrency", _number(int, 1, 64)),
    "JOBWATCH_HTTP_TIMEOUT_SECONDS": ("http_timeout_seconds", _number(float, 0.1, 60)),
    "JOBWATCH_RETRY_BACKOFF_SECONDS": ("retry_backoff_seconds", _number(float, 0.0, 10)),
    "JOBWATCH_SAFETY_MARGIN_SECONDS": ("safety_margin_seconds", _number(float, 0.0, 300)),
    "JOBWATCH_TTL_DAYS": ("ttl_days", _number(int, 1, 3650)),
    "JOBWATCH_SECRET_MAX_AGE_SECONDS": ("secret_max_age_seconds", _number(int, 0, 86_400)),
    "JOBWATCH_SCHEDULE_PERIOD_MINUTES": ("schedule_period_minutes", _number(float, 0.01, 1440)),
    "JOBWATCH_MAX_POLL_INTERVAL_MINUTES": ("max_poll_interval_minutes", _number(float, 0.0, 1440)),
    "JOBWATCH_MAX_RUNNING_MINUTES": ("max_running_minutes", _number(float, 1, 100_000)),
    "JOBWATCH_STALL_POLLS": ("stall_polls", _number(int, 2, 10_000)),
    "JOBWATCH_RECOVERY_MARGIN": ("recovery_margin", _number(float, 0.0, 0.5)),
    "JOBWATCH_NOTIFY_DONE": ("notify_done", _bool),
    "JOBWATCH_GROUP_LIMIT": ("group_limit", _number(int, 1, 1000)),
    "JOBWATCH_SLACK_MIN_INTERVAL_SECONDS": ("slack_min_interval_seconds", _number(float, 0.0, 60)),
    "JOBWATCH_DISCOVERY_LOOKBACK_DAYS": ("discovery_lookback_days", _number(int, 0, 16)),
    "JOBWATCH_JOB_URL_TEMPLATE": ("job_url_template", _text),
}
REQUIRED = ("JOBWATCH_TABLE_NAME", "JOBWATCH_TOKEN_PARAMETER")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: os.environ); raise ConfigError naming the first bad variable."""
    env = os.environ if env is None else env
    for variable in REQUIRED:
        if not env.get(variable, "").strip():
            raise ConfigError(f"{variable} is not set: the template sets it; for local runs export it (see README)")
    slack = env.get("JOBWATCH_SLACK_WEBHOOK_PARAMETER", "").strip()
    topic = env.get("JOBWATCH_TOPIC_ARN", "").strip()
    values: dict[str, object] = {}
    for variable, (field, parse) in _OPTIONAL.items():
        raw = env.get(variable, "").strip()
        if raw:
            values[field] = parse(variable, raw)
    settings = Settings(
        table_name=env["JOBWATCH_TABLE_NAME"].strip(),
        token_ref=SecretRef.parse("JOBWATCH_TOKEN_PARAMETER", env["JOBWATCH_TOKEN_PARAMETER"].strip()),
        slack_webhook_ref=SecretRef.parse("JOBWATCH_SLACK_WEBHOOK_PARAMETER", slack) if slack else None,
        topic_arn=topic or None,
        **values,  # type: ignore[arg-type]
    )
    if not settings.channels:
        raise ConfigError(
            "neither JOBWATCH_TOPIC_ARN nor JOBWATCH_SLACK_WEBHOOK_PARAMETER is set: configure at least one channel"
        )
    return settings
