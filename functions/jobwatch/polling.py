"""Adaptive polling: which tracked jobs a run polls, so quiet jobs cost fewer API calls.

A job that just changed, or is close to finishing, is polled every run. A running job whose pace is known is
polled about four times over the time it still needs (pages left at the pace of the pages done so far), so a
job hours from its end is polled rarely and one minutes from it every run. Any other job that has shown no
progress for a while is polled every quarter of its quiet time. Never less than once per `max_poll_interval`.
The decision needs no extra writes: it reads `polled_at` (refreshed on every write, and at least every
SEEN_REFRESH_PERIODS runs) and `changed_at` from the engine state.
"""

from __future__ import annotations

from jobwatch.records import JobRecord
from jobwatch.settings import Settings
from jobwatch.snapshot import JobSnapshot

SEEN_REFRESH_PERIODS = 3  # an unchanged job's polled_at is rewritten at most once per this many periods
HOT_PERIODS = 2  # a job that changed within this many periods is polled every run
NEAR_DONE_FRACTION = 0.1  # pages_left at or under this share of all pages: polled every run
POLLS_BEFORE_THE_END = 4  # a running job of known pace is polled about this often over its remaining time


def poll_interval(record: JobRecord, now: float, settings: Settings) -> float:
    """Seconds that should pass between two polls of this job."""
    period = settings.schedule_period_minutes * 60
    ceiling = settings.max_poll_interval_minutes * 60
    snap, changed_at = record.snapshot, record.state.changed_at
    if snap is None or changed_at is None or ceiling <= period:
        return 0.0
    if snap.pages_left is not None and snap.pages is not None:
        total = snap.pages + snap.pages_left
        if total and snap.pages_left <= max(1, NEAR_DONE_FRACTION * total):
            return 0.0
    left = seconds_left(snap)
    if left is not None:
        share = left / POLLS_BEFORE_THE_END
        return 0.0 if share < period else min(ceiling, share)
    quiet = now - changed_at
    if quiet - _slack(settings) < HOT_PERIODS * period:  # the second run after a change, even a little late
        return 0.0
    return min(ceiling, max(SEEN_REFRESH_PERIODS * period, quiet / 4))


def seconds_left(snap: JobSnapshot) -> float | None:
    """How long a running job still needs at its pace so far (job_time per page done), if Bright Data said."""
    if snap.status != "running" or not snap.pages or snap.pages_left is None or not snap.job_time_ms:
        return None
    return snap.job_time_ms / 1000 * snap.pages_left / snap.pages


def is_due(record: JobRecord, now: float, settings: Settings) -> bool:
    """Whether this run should poll the job (jobs with alerts still to deliver are handled regardless)."""
    if record.polled_at is None:
        return True
    return now - record.polled_at + _slack(settings) >= poll_interval(record, now, settings)


def seen_refresh_due(record: JobRecord, now: float, settings: Settings) -> bool:
    """Whether an unchanged poll should still rewrite polled_at (so adaptive intervals see it)."""
    if record.polled_at is None:
        return True
    return now - record.polled_at + _slack(settings) >= SEEN_REFRESH_PERIODS * settings.schedule_period_minutes * 60


def _slack(settings: Settings) -> float:
    # Runs start a little early or late: a tenth of a period of slack keeps a job from slipping a whole run.
    return settings.schedule_period_minutes * 6
