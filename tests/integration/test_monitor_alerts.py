"""The alert rules end to end: loopback Bright Data -> monitor -> moto DynamoDB -> Slack receiver and SNS."""

from __future__ import annotations

from jobwatch.sim.brightdata import lifecycle
from tests.support.harness import Harness

FAILING = "j_failingjob0001"
HEALTHY = "j_healthyjob0001"


def test_a_job_that_fails_alerts_once_on_both_channels(harness: Harness) -> None:
    # Given a job that runs, then fails, tracked by jobwatch
    harness.bd.add_job(FAILING, [{"status": "running", "inputs": 100, "success": 10, "fails": 0}, {"status": "failed"}])
    harness.track(FAILING, label="Nightly prices")

    # When the monitor polls it while running, then after it failed, then twice more
    first = harness.run()
    harness.bd.tick()
    second = harness.run()
    harness.run()
    harness.run()

    # Then the failure alerted exactly once, on Slack and by email, with the transition in it
    assert (first.polled, first.alerts) == (1, 0)
    assert (second.polled, second.alerts, second.sent) == (1, 1, 2)
    assert harness.slack_kinds() == [f"{FAILING}/job_failed/1"]
    assert harness.sns_alert_ids() == [f"{FAILING}/job_failed/1"]
    header = harness.slack.messages[0]["blocks"][0]["text"]["text"]
    assert header == f"🔴 Job {FAILING} failed (was running) — Nightly prices"
    email = harness.aws.sns_messages()[0]
    assert email["attributes"] == {
        "event_type": "job_failed",
        "severity": "critical",
        "collector": "c_m9im5n7v82p2y35la",
        "job_id": FAILING,
    }
    assert email["subject"] == f"[jobwatch] CRITICAL: Job {FAILING} failed (was running) — Nightly prices"
    # And the job is retired: final snapshot stored, out of the active index, expiring by TTL
    item = harness.item(FAILING)
    assert item["snapshot"]["status"] == "failed"
    assert "active" not in item and item["expires_at"] > 0
    assert item["pending"] == {}
    assert [h["alert_id"] for h in item["history"]] == [f"{FAILING}/job_failed/1"]
    assert harness.bd.count(path_prefix=f"/dca/log/{FAILING}") == 2  # never polled once terminal


def test_a_job_first_seen_cancelled_alerts_once_as_warning(harness: Harness) -> None:
    harness.bd.add_job("j_cancelled0001", [{"status": "cancelled", "inputs": 10, "success": 2}])
    harness.track("j_cancelled0001")

    harness.run()
    harness.run()

    assert harness.slack_kinds() == ["j_cancelled0001/job_cancelled/1"]
    assert harness.aws.sns_messages()[0]["attributes"]["severity"] == "warning"


def test_low_success_rate_alerts_once_when_it_crosses_below(harness: Harness) -> None:
    # Given a running job whose rate drops to 50% over enough processed inputs, then finishes at 50%
    harness.bd.add_job(
        "j_lowrate00001",
        [
            {"status": "running", "inputs": 100, "success": 5, "fails": 0},  # 5 processed: too few to judge
            {"status": "running", "inputs": 100, "success": 20, "fails": 20},
            {"status": "running", "inputs": 100, "success": 30, "fails": 30},
            {"status": "done", "inputs": 100, "success": 50, "fails": 50},
        ],
    )
    harness.track("j_lowrate00001")

    summaries = []
    for _ in range(5):
        summaries.append(harness.run())
        harness.bd.tick()

    # Then exactly one low-rate alert, at the crossing (second poll), none before or after
    assert [s.alerts for s in summaries] == [0, 1, 0, 0, 0]
    assert harness.slack_kinds() == ["j_lowrate00001/low_success_rate/1"]
    doc = harness.aws.sns_messages()[0]["doc"]
    assert doc["summary"] == "Job j_lowrate00001 success rate 50% is below 90%"
    assert (doc["snapshot"]["success"], doc["snapshot"]["fails"], doc["threshold"]) == (20, 20, 0.9)


def test_rate_is_computed_from_success_and_inputs_when_missing(harness: Harness) -> None:
    harness.bd.add_job("j_noratefield1", [{"status": "done", "inputs": 40, "success": 10, "success_rate": None}])
    harness.track("j_noratefield1")

    harness.run()

    assert harness.slack_kinds() == ["j_noratefield1/low_success_rate/1"]
    assert "25.0% (10/40 inputs)" in harness.slack.messages[0]["blocks"][1]["text"]["text"]


def test_per_job_threshold_overrides_the_default(harness: Harness) -> None:
    harness.bd.add_job("j_lenientjob01", [{"status": "done", "inputs": 100, "success": 60}])
    harness.bd.add_job("j_strictjob001", [{"status": "done", "inputs": 100, "success": 60}])
    harness.track("j_lenientjob01", rules={"min_success_rate": 0.5})
    harness.track("j_strictjob001")

    harness.run()

    assert harness.slack_kinds() == ["j_strictjob001/low_success_rate/1"]


def test_healthy_jobs_alert_nothing_and_capitalised_keys_are_read(harness: Harness) -> None:
    harness.bd.add_job(HEALTHY, lifecycle("ok"), capitalized=True)
    harness.track(HEALTHY)

    for _ in range(5):
        harness.run()
        harness.bd.tick()

    assert harness.slack.messages == [] and harness.aws.sns_messages() == []
    item = harness.item(HEALTHY)
    assert item["snapshot"]["status"] == "done" and item["snapshot"]["success_rate"] == 1.0
    assert "active" not in item


def test_a_running_job_whose_only_change_is_its_running_time_costs_no_write(harness: Harness) -> None:
    # Given a running job already polled once
    running = {"status": "running", "inputs": 100, "success": 50, "fails": 0}
    harness.bd.add_job("j_tickingjob01", [running])
    harness.track("j_tickingjob01")
    harness.run()
    writes: list[str] = []
    harness.store._client.meta.events.register(
        "before-parameter-build.dynamodb.UpdateItem", lambda params, **_: writes.append(params["Key"]["job_id"]["S"])
    )

    # When Bright Data reports only a longer job_time on the next polls
    for elapsed in (60_000, 120_000):
        harness.bd.set_state("j_tickingjob01", {**running, "job_time": elapsed})
        assert harness.run().polled == 1

    # Then the job's item was not rewritten (the next material change will carry the new time)
    assert "j_tickingjob01" not in writes
    harness.bd.set_state("j_tickingjob01", {**running, "success": 60, "job_time": 180_000})
    assert harness.run().changed == 1
    assert writes == ["j_tickingjob01"]
