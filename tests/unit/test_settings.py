"""Settings: every variable parsed and validated once; a bad one fails with a message naming it."""

from __future__ import annotations

import pytest

from jobwatch.settings import ConfigError, SecretRef, load_settings

BASE = {
    "JOBWATCH_TABLE_NAME": "jobwatch-jobs",
    "JOBWATCH_TOKEN_PARAMETER": "secretsmanager:jobwatch/brightdata-token",
    "JOBWATCH_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:jobwatch-alerts",
}


def test_defaults_apply_when_only_the_required_settings_are_given() -> None:
    settings = load_settings(BASE)

    assert settings.table_name == "jobwatch-jobs"
    assert settings.token_ref == SecretRef("secretsmanager", "jobwatch/brightdata-token")
    assert settings.api_base_url == "https://api.brightdata.com"
    assert (settings.min_success_rate, settings.min_inputs, settings.concurrency) == (0.9, 10, 16)
    assert (settings.ttl_days, settings.group_limit, settings.notify_done) == (30, 5, False)
    assert settings.channels == ("email",)


def test_every_optional_setting_is_read() -> None:
    env = {
        **BASE,
        "JOBWATCH_SLACK_WEBHOOK_PARAMETER": "ssm:/jobwatch/slack-webhook",
        "JOBWATCH_API_BASE_URL": "http://127.0.0.1:8080/",
        "JOBWATCH_MIN_SUCCESS_RATE": "0.75",
        "JOBWATCH_MIN_INPUTS": "50",
        "JOBWATCH_CONCURRENCY": "4",
        "JOBWATCH_HTTP_TIMEOUT_SECONDS": "2.5",
        "JOBWATCH_TTL_DAYS": "7",
        "JOBWATCH_NOTIFY_DONE": "true",
        "JOBWATCH_GROUP_LIMIT": "10",
    }

    settings = load_settings(env)

    assert settings.slack_webhook_ref == SecretRef("ssm", "/jobwatch/slack-webhook")
    assert settings.api_base_url == "http://127.0.0.1:8080"
    assert (settings.min_success_rate, settings.min_inputs, settings.concurrency) == (0.75, 50, 4)
    assert (settings.http_timeout_seconds, settings.ttl_days, settings.notify_done) == (2.5, 7, True)
    assert settings.channels == ("slack", "email")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("JOBWATCH_TABLE_NAME", "", "JOBWATCH_TABLE_NAME is not set"),
        ("JOBWATCH_TOKEN_PARAMETER", "", "JOBWATCH_TOKEN_PARAMETER is not set"),
        ("JOBWATCH_TOKEN_PARAMETER", "plain-token-value", "is not a secret reference"),
        ("JOBWATCH_TOKEN_PARAMETER", "vault:x", "is not a secret reference"),
        ("JOBWATCH_MIN_SUCCESS_RATE", "90%", "JOBWATCH_MIN_SUCCESS_RATE='90%' is not a number"),
        ("JOBWATCH_MIN_SUCCESS_RATE", "1.5", "JOBWATCH_MIN_SUCCESS_RATE='1.5' is out of range"),
        ("JOBWATCH_CONCURRENCY", "0", "JOBWATCH_CONCURRENCY='0' is out of range"),
        ("JOBWATCH_CONCURRENCY", "many", "JOBWATCH_CONCURRENCY='many' is not a whole number"),
        ("JOBWATCH_NOTIFY_DONE", "maybe", "JOBWATCH_NOTIFY_DONE='maybe' is not a boolean"),
        ("JOBWATCH_API_BASE_URL", "api.brightdata.com", "JOBWATCH_API_BASE_URL='api.brightdata.com' is not a URL"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_settings({**BASE, variable: value})


def test_at_least_one_channel_is_required() -> None:
    env = {k: v for k, v in BASE.items() if k != "JOBWATCH_TOPIC_ARN"}

    with pytest.raises(ConfigError, match="configure at least one channel"):
        load_settings(env)
