"""Delivery: alerts are stored before they are sent, a failed send stays pending, channels fail independently."""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

from jobwatch.records import MONITOR_KEY
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from tests.support.harness import Aws, Harness

JOB = "j_deliveryjob01"


def _failed_job(harness: Harness, job_id: str = JOB) -> None:
    harness.bd.add_job(job_id, [{"status": "failed", "inputs": 10, "success": 1, "fails": 9}])
    harness.track(job_id)


def test_a_slack_failure_stays_pending_and_is_retried_next_run_while_email_goes_out(harness: Harness) -> None:
    # Given Slack answers 500 to the next post
    _failed_job(harness)
    harness.slack.fail_next(500)

    # When the job's failure is found
    first = harness.run()

    # Then email went out, Slack did not, and the alert waits on the item for Slack only
    assert (first.alerts, first.sent, first.delivery_failures) == (1, 1, 1)
    assert harness.sns_alert_ids() == [f"{JOB}/job_failed/1"]
    assert harness.slack.messages == []
    pending = harness.item(JOB)["pending"][f"{JOB}/job_failed/1"]
    assert pending["channels"] == ["slack"] and pending["attempts"] == 1
    assert pending["last_error"] == "slack: Slack answered HTTP 500"
    assert harness.item(JOB).get("active") == "job"  # kept active until delivered

    # When the next run comes
    second = harness.run()

    # Then Slack gets it once, email is not repeated, and the finished job retires
    assert (second.polled, second.sent) == (0, 1)
    assert harness.slack_kinds() == [f"{JOB}/job_failed/1"]
    assert harness.sns_alert_ids() == [f"{JOB}/job_failed/1"]
    item = harness.item(JOB)
    assert item["pending"] == {} and "active" not in item
    assert item["history"][-1]["delivered"] == ["slack"]
    assert harness.bd.count(path_prefix=f"/dca/log/{JOB}") == 1


def test_an_sns_failure_does_not_stop_slack(harness: Harness) -> None:
    # Given SNS publish fails (throttled) for this run
    _failed_job(harness)
    sns = harness.monitor.notifiers[1]
    client = sns._client  # the notifier's own boto3 client

    def throttle(**_: object) -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")

    client.meta.events.register("before-call.sns.Publish", throttle, unique_id="throttle")
    first = harness.run()
    client.meta.events.unregister("before-call.sns.Publish", unique_id="throttle")

    # Then Slack got the alert and email waits for the next run
    assert harness.slack_kinds() == [f"{JOB}/job_failed/1"]
    assert harness.sns_alert_ids() == []
    assert first.delivery_failures == 1
    assert harness.item(JOB)["pending"][f"{JOB}/job_failed/1"]["channels"] == ["email"]

    harness.run()
    assert harness.sns_alert_ids() == [f"{JOB}/job_failed/1"]
    assert harness.slack_kinds() == [f"{JOB}/job_failed/1"]


def test_a_deleted_slack_webhook_is_given_up_and_counted(harness: Harness) -> None:
    # Given the webhook was deleted in Slack (410)
    _failed_job(harness)
    harness.slack.fail_next(410, count=5)

    summary = harness.run()

    # Then the alert is not retried forever: abandoned, counted, recorded in history; email still went
    assert (summary.abandoned, summary.sent) == (1, 1)
    item = harness.item(JOB)
    assert item["pending"] == {}
    assert item["history"][-1]["failed"] == ["slack"] and item["history"][-1]["delivered"] == ["email"]
    harness.run()
    assert harness.slack.count(path_prefix="/services/") == 1


def test_a_slack_429_holds_further_posts_until_retry_after(harness: Harness) -> None:
    # Given two failing jobs and Slack rate-limiting the first post with a long Retry-After
    _failed_job(harness, "j_ratelimited01")
    _failed_job(harness, "j_ratelimited02")
    harness.slack.fail_next(429, headers={"Retry-After": "600"})

    summary = harness.run()

    # Then only one post was attempted; both alerts wait for Slack, email got both
    assert harness.slack.count(path_prefix="/services/") == 1
    assert harness.slack.messages == []
    assert summary.delivery_failures == 2
    assert sorted(harness.sns_alert_ids()) == ["j_ratelimited01/job_failed/1", "j_ratelimited02/job_failed/1"]


def test_two_runs_at_once_never_send_an_alert_twice(harness: Harness) -> None:
    # Given 30 jobs that have failed
    for n in range(30):
        _failed_job(harness, f"j_overlap{n:05d}")

    # When two invocations run at the same moment against the same table
    barrier = threading.Barrier(2)
    results = []

    def invoke() -> None:
        barrier.wait()
        results.append(harness.run())

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    harness.run()  # and a third, later

    # Then every failure was delivered exactly once per channel
    expected = sorted(f"j_overlap{n:05d}/job_failed/1" for n in range(30))
    assert sorted(harness.sns_alert_ids()) == expected
    assert sum(r.alerts for r in results) == 30
    for n in range(30):
        item = harness.item(f"j_overlap{n:05d}")
        assert item["pending"] == {} and len(item["history"]) == 1


def test_a_failed_write_of_the_monitor_item_loses_no_alert_and_fails_no_run(
    aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver
) -> None:
    # Given a failed job, then (one poll at a time) a Bright Data 429 the run must remember on the monitor's item
    harness = Harness.build(aws, bd, slack, JOBWATCH_CONCURRENCY="1")
    _failed_job(harness)
    harness.bd.add_job("j_deliveryjob02", [{"status": "running", "inputs": 10, "success": 1}])
    harness.track("j_deliveryjob02")
    harness.bd.fail_next(429, path_prefix="/dca/log/j_deliveryjob02")
    table = harness.store._client

    def refuse_monitor_item(params: dict[str, Any], **_: Any) -> None:
        if params["Key"]["job_id"]["S"] == MONITOR_KEY:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "UpdateItem")

    table.meta.events.register("before-parameter-build.dynamodb.UpdateItem", refuse_monitor_item)
    try:
        # When the run cannot write the monitor item
        summary = harness.run()
    finally:
        table.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", refuse_monitor_item)

    # Then the job's alert still went out on both channels, and the lost write is counted, not raised
    assert (summary.rate_limited, summary.state_write_failures, summary.sent) == (True, 1, 2)
    assert harness.slack_kinds() == [f"{JOB}/job_failed/1"]
    assert harness.sns_alert_ids() == [f"{JOB}/job_failed/1"]
    assert harness.item(JOB)["pending"] == {}
    assert harness.store.get(MONITOR_KEY) is None


def test_a_deleted_topic_keeps_email_alerts_pending_while_slack_goes_on(harness: Harness) -> None:
    # Given the alert topic was deleted (by hand, or with a stack torn down around a kept table)
    _failed_job(harness)
    harness.aws.session.client("sns").delete_topic(TopicArn=harness.aws.topic_arn)

    # When the failure is found, and the next run comes
    first = harness.run()
    second = harness.run()

    # Then Slack had it at once; email stays owed, retried every run, with the reason on the item
    assert harness.slack_kinds() == [f"{JOB}/job_failed/1"]
    assert (first.delivery_failures, second.delivery_failures, second.abandoned) == (1, 1, 0)
    pending = harness.item(JOB)["pending"][f"{JOB}/job_failed/1"]
    assert (pending["channels"], pending["attempts"]) == (["email"], 2)
    assert pending["last_error"] == "email: SNS publish failed (NotFound)"
