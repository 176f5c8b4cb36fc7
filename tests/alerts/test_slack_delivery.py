"""Slack's rate limit: one post per min interval, nothing while a 429's Retry-After runs, alerts kept until sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from urllib3.util.retry import Retry

from jobwatch.alerts import Alert, Kind, Severity
from jobwatch.brightdata import make_http
from jobwatch.notify import SlackNotifier
from jobwatch.sim.slack import WEBHOOK_PATH, SlackReceiver
from tests.alerts.channels import FakeClock, assert_transcript, install
from tests.alerts.scenarios import at, ended, poll_each_state, running
from tests.support.harness import Harness

FIRST, SECOND = "j_ratelimited001", "j_ratelimited002"


def alert(n: int) -> Alert:
    return Alert(f"j_spacing{n:04d}/job_failed/1", Kind.FAILED, Severity.CRITICAL, f"j_spacing{n:04d}", "x", "t")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def notifier(slack: SlackReceiver, clock: FakeClock) -> Iterator[SlackNotifier]:
    yield SlackNotifier(
        make_http(1, 2.0, Retry(total=0)), lambda: slack.webhook_url, min_interval=1.0, clock=clock, sleep=clock.sleep
    )


def test_posts_are_spaced_by_the_min_interval(notifier: SlackNotifier, slack: SlackReceiver, clock: FakeClock) -> None:
    # Given a notifier allowed one post per second
    # When it sends three alerts back to back, then a fourth after 5 quiet seconds
    results = [notifier.send(alert(n)) for n in range(3)]
    clock.advance(5.0)
    results.append(notifier.send(alert(3)))

    # Then it waited a full second before the second and third post, not before the fourth, and all arrived
    assert all(r.ok for r in results)
    assert clock.sleeps == [1.0, 1.0]
    assert len(slack.messages) == 4


def test_a_429_holds_every_post_until_retry_after_has_passed(
    notifier: SlackNotifier, slack: SlackReceiver, clock: FakeClock
) -> None:
    # Given Slack answers the next post with 429 and Retry-After: 7
    slack.fail_next(429, headers={"Retry-After": "7"})

    # When the notifier sends, sends again within the 7 seconds, then after them
    limited = notifier.send(alert(1))
    clock.advance(6.5)
    held = notifier.send(alert(2))
    clock.advance(1.0)
    after = notifier.send(alert(3))

    # Then the held post never reached Slack, both failures are worth retrying, the last one went through
    assert (limited.ok, limited.retry, held.ok, held.retry, after.ok) == (False, True, False, True, True)
    assert slack.count(path_prefix=WEBHOOK_PATH) == 2
    assert harness_ids(slack) == ["j_spacing0003/job_failed/1"]


def test_a_message_slack_refuses_as_invalid_blocks_goes_out_as_plain_text(
    notifier: SlackNotifier, slack: SlackReceiver
) -> None:
    slack.fail_next(400, body="invalid_blocks")

    result = notifier.send(alert(1))

    assert result.ok
    assert slack.messages == [{"text": "🔴 x"}]


def test_rate_limited_alerts_stay_pending_and_arrive_on_a_later_run(harness: Harness, slack: SlackReceiver) -> None:
    # Given two jobs that fail in the same run, and Slack answering the first post with 429, Retry-After 60
    clock = FakeClock()
    recorder = install(harness, slack_clock=clock)
    for job_id in (FIRST, SECOND):
        harness.bd.add_job(job_id, [running(100, 1.0), ended("failed", 150, 1.0)])
        harness.track(job_id)
    poll_each_state(harness, 1)
    slack.fail_next(429, headers={"Retry-After": "60"})

    # When the run that sees the failures delivers them
    poll_each_state(harness, 1, start=5)

    # Then email got both, Slack got one rejected post and nothing more; both alerts still owe Slack
    assert len(harness.aws.sns_messages()) == 2
    assert (slack.count(path_prefix=WEBHOOK_PATH), slack.messages) == (1, [])
    for job_id in (FIRST, SECOND):
        pending = harness.item(job_id)["pending"][f"{job_id}/job_failed/1"]
        assert pending["channels"] == ["slack"]

    # When the next run comes 30 seconds into the Retry-After, then another after it
    clock.advance(30)
    harness.run(now=at(10))
    assert slack.count(path_prefix=WEBHOOK_PATH) == 1  # nothing posted while blocked
    clock.advance(31)
    harness.run(now=at(15))

    # Then Slack received both alerts, once each; email was not repeated; nothing is pending any more
    assert harness.slack_kinds() == [f"{FIRST}/job_failed/1", f"{SECOND}/job_failed/1"]
    assert len(harness.aws.sns_messages()) == 2
    assert all(harness.item(j)["pending"] == {} for j in (FIRST, SECOND))
    assert_transcript("slack_429", harness, recorder)


def harness_ids(slack: SlackReceiver) -> list[str]:
    return [m["blocks"][-1]["elements"][0]["text"].split("`")[1] for m in slack.messages]
