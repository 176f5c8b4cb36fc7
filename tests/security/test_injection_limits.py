"""Lengths are capped: a 100 KB label or error message still gives a Slack message within Block Kit's limits
and an SNS Subject under 100 characters, and stays free of markup."""

from __future__ import annotations

from typing import Any

from jobwatch.sim.slack import MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT
from tests.alerts.channels import RecordingSns, sns_published
from tests.alerts.scenarios import ended, errors, poll_each_state, running
from tests.security.hostile import HOSTILE, assert_safe, job_link, text_objects
from tests.support.harness import Harness

JOB = "j_hundredkb00001"
HUGE = (HOSTILE + "\n") * (100_000 // (len(HOSTILE) + 1) + 1)  # just over 100 KB, with line breaks


def _fail_with(harness: Harness, label: str, message: str) -> None:
    harness.bd.add_job(
        JOB, [running(100, 1.0), ended("failed", 150, 0.2)], errors=errors((message, 3, message), ("x", 1, message))
    )
    harness.track(JOB, label=label)
    poll_each_state(harness, 2)


def _assert_within_block_kit(harness: Harness) -> None:
    """Slack accepted one Block Kit message first time, every text within its limit, no markup but the job link."""
    assert harness.slack.count(status=400) == 0
    [payload] = harness.slack.messages
    assert len(payload["blocks"]) <= MAX_BLOCKS and len(payload["text"]) <= MAX_SECTION_TEXT
    for block in payload["blocks"]:
        limit = MAX_HEADER_TEXT if block["type"] == "header" else MAX_SECTION_TEXT
        assert all(len(t["text"]) <= limit for t in text_objects(block))
    assert_safe(payload, job_link(f"https://brightdata.com/cp/scrapers/jobs/{JOB}"))


def _one_line_subject(message: dict[str, Any]) -> str:
    subject = message["subject"]
    assert len(subject) < 100 and subject.isprintable()
    return str(subject)


def test_a_100_kb_error_message_and_code_fit_every_channel(harness: Harness, recorder: RecordingSns) -> None:
    # Given a job whose per-input error code and message are 100 KB of hostile text; When it fails
    _fail_with(harness, "Nightly prices", HUGE)

    # Then Slack got a message within Block Kit's limits, and email a one-line subject and capped examples
    _assert_within_block_kit(harness)
    [received] = harness.aws.sns_messages()
    assert _one_line_subject(received).endswith("failed (was running) — Nightly prices")
    assert [len(e["code"]) for e in received["doc"]["errors"]] == [60, 1]
    assert [len(e["example"]) for e in received["doc"]["errors"]] == [500, 500]
    [email] = sns_published(recorder)
    assert max(len(line) for line in email["email"].splitlines()) < 300


def test_a_100_kb_label_fits_slack(harness: Harness) -> None:
    # Given a job with a 100 KB hostile label; When it fails
    _fail_with(harness, HUGE, "blocked")

    # Then Slack got a message within Block Kit's limits
    _assert_within_block_kit(harness)


def test_a_100_kb_label_still_reaches_email(harness: Harness) -> None:
    # Given a job with a 100 KB hostile label; When it fails
    _fail_with(harness, HUGE, "blocked")

    # Then the email subscriber got the alert, under a one-line subject
    received = harness.aws.sns_messages()
    assert [m["doc"]["alert_id"] for m in received] == [f"{JOB}/job_failed/1"]
    assert _one_line_subject(received[0]).startswith(f"[jobwatch] CRITICAL: Job {JOB} failed")
