"""Stuck and stalled jobs: one alert per edge, limits from settings, collector and job, state kept on the item."""

from __future__ import annotations

from jobwatch.records import COLLECTOR_PREFIX
from jobwatch.sim.brightdata import lifecycle
from tests.alerts.channels import RecordingSns, assert_transcript
from tests.alerts.scenarios import at
from tests.support.harness import Harness

SLOW = "c_slowcollector01"
DEFAULT_JOB, COLLECTOR_JOB, OWN_JOB = "j_hangdefault01", "j_hangcollector1", "j_hangownlimit01"


def watch_collector(harness: Harness, collector: str, rules: dict[str, object]) -> None:
    assert harness.store.update_fields(
        COLLECTOR_PREFIX + collector, {"active": "collector", "rules": rules}, must_exist=False
    )


def test_a_long_running_job_alerts_once_at_its_most_specific_limit(harness: Harness, recorder: RecordingSns) -> None:
    # Given three jobs that keep making progress: one under the 360 min default, one whose collector allows
    # 120 min, and one in the same collector with its own 30 min limit
    for job_id, collector in ((DEFAULT_JOB, None), (COLLECTOR_JOB, SLOW), (OWN_JOB, SLOW)):
        harness.bd.add_job(job_id, lifecycle("slow_progress", steps=8), collector=collector or "c_m9im5n7v82p2y35la")
    watch_collector(harness, SLOW, {"max_running_minutes": 120})
    harness.track(DEFAULT_JOB, label="Nightly prices")
    harness.track(COLLECTOR_JOB, collector=SLOW)
    harness.track(OWN_JOB, collector=SLOW, rules={"max_running_minutes": 30})

    # When the monitor polls at 25, 35, 125, 365 and 370 minutes after they started, progress between each
    alerts = []
    for minutes in (25, 35, 125, 365, 370):
        alerts.append(harness.run(now=at(minutes)).alerts)
        harness.bd.tick()

    # Then each job alerted once, when it passed its own limit, and never again
    assert alerts == [0, 1, 1, 1, 0]
    assert harness.slack_kinds() == [f"{j}/job_stuck/1" for j in (OWN_JOB, COLLECTOR_JOB, DEFAULT_JOB)]
    assert harness.sns_alert_ids() == harness.slack_kinds()
    # And the edge is stored with the job
    assert all(harness.item(j)["state"]["stuck_alerted"] for j in (DEFAULT_JOB, COLLECTOR_JOB, OWN_JOB))
    assert_transcript("stuck", harness, recorder)


def test_a_job_without_progress_alerts_once_per_stall(harness: Harness, recorder: RecordingSns) -> None:
    # Given a running job that stops moving (default: 6 polls of 5 minutes)
    job = "j_nomoveprogress1"
    harness.bd.add_job(job, lifecycle("hang"))
    harness.track(job, label="Catalog crawl")

    # When it sits still for 7 polls, moves once, then sits still for 6 more
    first = [harness.run(now=at(5 * n)).alerts for n in range(8)]
    harness.bd.set_state(job, {**lifecycle("hang")[0], "success": 20, "pages_left": 80})
    second = [harness.run(now=at(5 * n)).alerts for n in range(8, 15)]

    # Then one stall alert after 6 quiet polls, none while it stays stalled, and one more for the second stall
    assert first == [0, 0, 0, 0, 0, 0, 1, 0]
    assert second == [0, 0, 0, 0, 0, 0, 1]
    assert harness.slack_kinds() == [f"{job}/job_stalled/1", f"{job}/job_stalled/2"]
    state = harness.item(job)["state"]
    assert (state["stall_alerted"], state["stalls"]) == (True, 2)
    assert_transcript("stalled", harness, recorder)
