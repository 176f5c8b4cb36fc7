"""Adaptive polling: hot, near-done and short-to-finish jobs every run; quiet and long jobs less often; never
less than once per the ceiling."""

from __future__ import annotations

import pytest

from jobwatch.engine import JobState
from jobwatch.polling import is_due, poll_interval, seconds_left
from jobwatch.records import JobRecord
from jobwatch.settings import load_settings
from jobwatch.snapshot import JobSnapshot

MIN = 60.0
NOW = 1_760_000_000.0
SETTINGS = load_settings(
    {"JOBWATCH_TABLE_NAME": "t", "JOBWATCH_TOKEN_PARAMETER": "ssm:t", "JOBWATCH_TOPIC_ARN": "arn:aws:sns:x"}
)  # five-minute periods, a 30-minute ceiling


def job(quiet_minutes: float, polled_minutes_ago: float = 5, **snapshot: object) -> JobRecord:
    fields = {"status": "running", **snapshot}
    return JobRecord(
        job_id="j_polling0001",
        snapshot=JobSnapshot("j_polling0001", **fields),  # type: ignore[arg-type]
        state=JobState(changed_at=NOW - quiet_minutes * MIN),
        polled_at=NOW - polled_minutes_ago * MIN,
    )


def test_a_job_never_polled_or_that_just_changed_is_polled_every_run() -> None:
    assert is_due(JobRecord(job_id="j_polling0001"), NOW, SETTINGS)
    assert poll_interval(job(quiet_minutes=0), NOW, SETTINGS) == 0
    assert poll_interval(job(quiet_minutes=10.4), NOW, SETTINGS) == 0  # a run a little late is still the second
    assert poll_interval(job(quiet_minutes=11), NOW, SETTINGS) == 15 * MIN


@pytest.mark.parametrize(("quiet", "interval"), [(11, 15), (60, 15), (100, 25), (600, 30)])
def test_a_quiet_job_is_polled_every_quarter_of_its_quiet_time_up_to_the_ceiling(quiet: float, interval: float) -> None:
    assert poll_interval(job(quiet_minutes=quiet), NOW, SETTINGS) == interval * MIN


def test_a_job_near_its_end_is_polled_every_run_however_quiet() -> None:
    assert poll_interval(job(quiet_minutes=600, pages=95, pages_left=5), NOW, SETTINGS) == 0


def test_a_running_job_is_polled_four_times_over_the_time_it_still_needs() -> None:
    # Given jobs whose pace is known: 40 pages in 20 minutes
    hours_left = job(quiet_minutes=0, pages=40, pages_left=400, job_time_ms=20 * 60_000)  # 200 min to go
    minutes_left = job(quiet_minutes=600, pages=40, pages_left=30, job_time_ms=20 * 60_000)  # 15 min to go

    # Then the first is polled at the ceiling although it just moved, the second every run although quiet
    assert seconds_left(hours_left.snapshot) == 200 * MIN  # type: ignore[arg-type]
    assert poll_interval(hours_left, NOW, SETTINGS) == 30 * MIN
    assert poll_interval(minutes_left, NOW, SETTINGS) == 0


def test_a_job_is_due_once_its_interval_has_passed_give_or_take_a_tenth_of_a_period() -> None:
    quiet = dict(quiet_minutes=100)  # polled every 25 minutes
    assert not is_due(job(polled_minutes_ago=20, **quiet), NOW, SETTINGS)
    assert is_due(job(polled_minutes_ago=24.6, **quiet), NOW, SETTINGS)
    every_run = load_settings({**dict.fromkeys(["JOBWATCH_MAX_POLL_INTERVAL_MINUTES"], "0"), **_required()})
    assert is_due(job(polled_minutes_ago=1, **quiet), NOW, every_run)


def _required() -> dict[str, str]:
    return {"JOBWATCH_TABLE_NAME": "t", "JOBWATCH_TOKEN_PARAMETER": "ssm:t", "JOBWATCH_TOPIC_ARN": "arn:aws:sns:x"}
