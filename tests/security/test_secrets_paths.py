"""The paths by which a secret once got out of a run, each closed: an unreachable webhook (urllib3's retry
warning named the request path), a token secret holding a line break (http.client quoted the header in its
error), and library DEBUG logging (botocore logs response bodies, urllib3 request paths)."""

from __future__ import annotations

import logging

import pytest

from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from tests.security.leaks import LogCapture, add_failing_jobs, deliver_to_unreachable_webhook, found, secrets
from tests.support.harness import TOKEN, TOKEN_SECRET, Aws, Harness

JOB = "j_leakknown0001"


def test_an_unreachable_webhook_leaves_no_secret_in_any_warning(harness: Harness, capture: LogCapture) -> None:
    # Given the webhook's host refuses connections; When a failure alert is delivered
    url = deliver_to_unreachable_webhook(harness, JOB)

    # Then no logger at all, urllib3's included, wrote the webhook's secret path at WARNING or above
    assert "delivery failed" in capture.own()
    assert found({"WARNING+": capture.at_least(logging.WARNING)}, secrets(url)) == []


def test_a_malformed_token_is_never_sent_nor_logged(harness: Harness, capture: LogCapture) -> None:
    # Given the token secret holds two lines (old and new token pasted together during a rotation)
    harness.aws.session.client("secretsmanager").put_secret_value(SecretId=TOKEN_SECRET, SecretString=f"{TOKEN}\nold")
    add_failing_jobs(harness, JOB)

    # When a run goes by
    summary = harness.run()

    # Then nothing was sent to Bright Data, the run stopped as for a rejected token and raised the token alert
    assert harness.bd.count() == 0
    assert (summary.token_rejected, summary.errors, summary.sent) == (True, 0, 2)
    assert harness.slack_kinds() == ["monitor/token_rejected/1"]
    # And the log says what is wrong with the secret, without a trace of the token
    assert "holds spaces, line breaks or control characters: store the bare token" in capture.own()
    logs = {"jobwatch logs": capture.own(), "WARNING+ of every logger": capture.at_least(logging.WARNING)}
    assert found(logs, {"token": TOKEN}) == []


def test_no_library_writes_a_secret_when_the_function_logs_at_debug(
    aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the function's log level is DEBUG (Lambda sets the root logger's level), then the monitor is built
    caplog.set_level(logging.DEBUG)
    capture = LogCapture()
    logging.getLogger().addHandler(capture)
    try:
        harness = Harness.build(aws, bd, slack)
        add_failing_jobs(harness, JOB)

        # When a failure is found and delivered
        harness.run()
        harness.bd.tick()
        assert harness.run().sent == 2
    finally:
        logging.getLogger().removeHandler(capture)

    # Then jobwatch logged at DEBUG, and no logger wrote a secret
    assert any(record.levelno == logging.DEBUG for record, _ in capture.lines)
    assert found({"every logger at DEBUG": capture.everything()}, secrets(slack.webhook_url)) == []
