"""Adaptive polling: which tracked jobs a run polls, so quiet jobs cost fewer API calls.

A job that just changed, or is close to finishing, is polled every run. A job that has shown no progress
for a while is polled less often, every quarter of its quiet time, but never less than once per
`max_poll_interval`. The decision needs no extra writes: it reads `polled_at` (refreshed on every write, and
at least every SEEN_REFRESH_PERIODS runs) and `changed_at` from the engine state.
"""

from __future__ import annotations

from jobwatch.records import JobRecord
from jobwatch.settings import Settings

SEEN_REFRESH_PERIODS = 3  # an unchanged job's polled_at is rewritten at most once per this many periods
HOT_PERIODS = 2  # a job that changed within this many periods is polled every run
NEAR_DONE_FRACTION = 0.1  # pages_left at or under this share of all pages: polled every run


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
    quiet = now - changed_at
    if quiet < HOT_PERIODS * period:
        return 0.0
    return min(ceiling, max(SEEN_REFRESH_PERIODS * period, quiet / 4))


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
