"""Secrets never leak: no log line, message, run summary or stored item carries the Bright Data token or the
Slack webhook URL (nor the secret path after its host), on the error paths above all."""

from __future__ import annotations

from typing import Any

import pytest

from jobwatch import delivery, poller
from tests.alerts.channels import RecordingSns
from tests.security.leaks import LogCapture, add_failing_jobs, deliver_to_unreachable_webhook, found, outputs, secrets
from tests.support.harness import TOKEN, Harness

FAILING = [f"j_leakfail0000{n}" for n in range(4)]  # their alerts meet Slack's 500, 404, reset, then success
FLAKY, BROKEN, BUGGY = "j_leakflaky0001", "j_leakbroken001", "j_leakbuggy0001"


def _explode_for(job_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected bug in the rule engine for one job: it escapes poll_one and is logged with its traceback."""
    real = poller.decide_alerts

    def decide(ctx: Any, *args: Any) -> Any:
        if ctx.job_id == job_id:
            raise RuntimeError(f"rule engine exploded on {job_id}")
        return real(ctx, *args)

    monkeypatch.setattr(poller, "decide_alerts", decide)


def test_no_error_path_lets_a_secret_out(
    harness: Harness, recorder: RecordingSns, monkeypatch: pytest.MonkeyPatch, capfd: Any, capture: LogCapture
) -> None:
    # Given failing jobs, one job whose polls hit Bright Data 503s, one a broken body, one a bug with a traceback
    add_failing_jobs(harness, *FAILING, FLAKY, BROKEN, BUGGY)
    _explode_for(BUGGY, monkeypatch)
    harness.run()
    harness.bd.tick()
    # And Slack answers the failures' first three posts with 500, 404 and a connection reset
    harness.slack.fail_next(500)
    harness.slack.fail_next(404)
    harness.slack.fail_next_kind("reset")
    harness.bd.fail_next(503, count=4, path_prefix=f"/dca/log/{FLAKY}")
    harness.bd.fail_next_kind("bad_json", path_prefix=f"/dca/log/{BROKEN}")

    # When the failures are seen and delivered, retried next run, and then the token is revoked
    failed, retried = harness.run(), harness.run()
    harness.bd.revoke_token()
    rejected = harness.run()

    # Then every error path was taken
    assert (failed.alerts, failed.errors, failed.delivery_failures, failed.abandoned) == (4, 3, 3, 1)
    assert (retried.alerts, retried.sent) == (2, 2 + 2 + 2)  # two new alerts on two channels, two Slack retries
    assert rejected.token_rejected and "monitor/token_rejected/1" in harness.slack_kinds()
    corpus = outputs(harness, capture, capfd.readouterr(), recorder)
    logs = corpus["jobwatch logs"]
    for evidence in (
        "Slack answered HTTP 500",
        "Slack webhook is gone (HTTP 404 no_service)",
        "Slack post failed (ProtocolError)",
        "TransientError: HTTP 503 after retries",
        "BadResponseError: body is not JSON",
        "Traceback (most recent call last)",
        f"RuntimeError: rule engine exploded on {BUGGY}",
        "Bright Data rejected the API token",
    ):
        assert evidence in logs
    everything = "\n".join(corpus.values())
    assert all(job_id in everything for job_id in (*FAILING, FLAKY, BROKEN, BUGGY))
    assert len(everything) > 50_000 and logs.count("delivery failed") == 3
    # And no secret appears anywhere in it
    assert found(corpus, secrets(harness.slack.webhook_url)) == []


def test_the_search_finds_a_secret_that_is_logged(capture: LogCapture) -> None:
    # Given jobwatch's own loggers logging a webhook URL as an extra key and a token in an exception message
    url = "http://127.0.0.1:9/services/T0CANARY/B0CANARY/canary7c3e9a1f"
    delivery.logger.warning("delivery failed", job_id="j_canary", error=f"post to {url} failed")
    try:
        raise ValueError(f"Invalid header value b'Bearer {TOKEN}'")
    except ValueError:
        poller.logger.exception("job failed unexpectedly")

    # When the captured lines are searched
    hits = found({"jobwatch logs": capture.own()}, secrets(url))

    # Then every one of the secrets is reported
    assert [hit.split(" in ")[0] for hit in hits] == ["token", "webhook url", "webhook path", "webhook key"]


def test_an_unreachable_webhook_is_named_only_by_the_kind_of_error(
    harness: Harness, recorder: RecordingSns, capfd: Any, capture: LogCapture
) -> None:
    # Given the webhook's host refuses connections; When a failure alert is delivered
    url = deliver_to_unreachable_webhook(harness, FAILING[0])

    # Then jobwatch logged and stored the failure by its kind, email still got the alert
    corpus = outputs(harness, capture, capfd.readouterr(), recorder)
    assert "Slack post failed (MaxRetryError)" in corpus["jobwatch logs"]
    assert "slack: Slack post failed (MaxRetryError)" in corpus["table items"]
    assert harness.sns_alert_ids() == [f"{FAILING[0]}/job_failed/1"]
    # And none of jobwatch's own output names the URL or its secret path
    del corpus["WARNING+ logs of every logger"]  # urllib3's own warning: see the next test
    assert found(corpus, secrets(url)) == []
