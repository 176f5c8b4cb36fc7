"""Hypothesis strategies shared by the property suites: one job's snapshots, its polls, its rules and state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import strategies as st

from jobwatch.engine import JobState
from jobwatch.rules import Rules
from jobwatch.snapshot import STATUSES, JobSnapshot

JOB = "j_propertyjob001"
T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
PERIOD = 300.0
# No deadline: moto calls and a busy 2-core machine make single examples slow now and then.
COMMON = {"deadline": None}

# Small counts, so that rates land on both sides of the threshold and polls repeat one another.
counts = st.integers(0, 40) | st.integers(0, 40) | st.none()
rates = st.none() | st.floats(0, 1)
absent = st.none()
_moments = st.datetimes(min_value=datetime(2026, 6, 1), max_value=datetime(2027, 6, 1))
started_texts = st.one_of(
    st.none(),
    st.sampled_from(["2027-01-15T08:00:00Z", "2027-01-15T07:00:00.502Z", "", "not a time"]),
    _moments.map(lambda d: d.replace(tzinfo=UTC).isoformat()),
    _moments.map(datetime.isoformat),  # naive: Bright Data's format without the Z
)


def snapshots(
    job_id: str = JOB,
    counts: st.SearchStrategy[int | None] = counts,
    rates: st.SearchStrategy[float | None] = rates,
    times: st.SearchStrategy[str | None] = started_texts,
    texts: st.SearchStrategy[str | None] = absent,
) -> st.SearchStrategy[JobSnapshot]:
    """Snapshots of `job_id`, mostly running; `counts`, `rates`, `times` and `texts` fill the fields."""
    return st.builds(
        JobSnapshot,
        job_id=st.just(job_id),
        status=st.sampled_from(["building", "running", "running", "running", "done", "failed", "cancelled"]),
        **dict.fromkeys(("inputs", "dup_inputs", "lines", "fails", "pages", "pages_left", "success"), counts),
        **dict.fromkeys(("navigations", "job_time_ms", "queue_time_ms"), counts),
        **dict.fromkeys(("collector", "template", "finished", "trigger"), texts),
        success_rate=rates,
        started=times,
        created=times,
    )


def judged_running(job_id: str = JOB) -> st.SearchStrategy[JobSnapshot]:
    """Running snapshots whose rate the rules judge: success and fails both known, enough of them."""
    outcomes = st.integers(0, 40)
    return snapshots(job_id).flatmap(
        lambda s: st.builds(lambda ok, bad: replace(s, status="running", success=ok, fails=bad), outcomes, outcomes)
    )


@st.composite
def polls(draw: st.DrawFn, max_size: int = 30) -> list[tuple[JobSnapshot, float]]:
    """1..max_size polls of one job at increasing times. The snapshots come from a small pool, so that a job
    goes back and forth between a few states (and repeats one) as often as it moves on."""
    pool = draw(st.lists(judged_running() | snapshots(), min_size=1, max_size=6))
    picks = [draw(st.integers(0, len(pool) - 1)) for _ in range(draw(st.integers(1, max_size)))]
    gaps = [draw(st.sampled_from([PERIOD, PERIOD, 60.0, 3600.0]) | st.floats(1, 7200)) for _ in picks]
    times = [T0 + sum(gaps[: n + 1]) for n in range(len(picks))]
    return [(pool[i], now) for i, now in zip(picks, times, strict=True)]


def stop_at_terminal(sequence: list[tuple[JobSnapshot, float]]) -> list[tuple[JobSnapshot, float]]:
    """What the monitor actually polls: nothing after the first terminal snapshot."""
    end = next((n for n, (snap, _) in enumerate(sequence) if snap.terminal), len(sequence) - 1)
    return sequence[: end + 1]


rules = st.builds(
    Rules,
    min_success_rate=st.sampled_from([0.0, 0.5, 0.9, 1.0]) | st.floats(0, 1),
    min_inputs=st.integers(0, 20),
    channels=st.just(("slack",)),
    max_running_minutes=st.floats(1, 24 * 60),
    stall_polls=st.integers(1, 5),
    recovery_margin=st.sampled_from([0.0, 0.02]) | st.floats(0, 0.2),
    notify_done=st.booleans(),
    mute_until=st.none(),
)

# Finite floats inside DynamoDB's number range (magnitudes 1E-130 to 9.99E+125, or zero).
dynamo_floats = st.floats(-9e125, 9e125).filter(lambda x: x == 0 or abs(x) >= 1e-130)

states = st.builds(
    JobState,
    status_alerted=st.none() | st.sampled_from(sorted(STATUSES)) | st.text(max_size=20),
    low_rate=st.booleans(),
    low_rate_crossings=st.integers(0, 10**9),
    stuck_alerted=st.booleans(),
    stall_alerted=st.booleans(),
    stalls=st.integers(0, 10**9),
    done_notified=st.booleans(),
    changed_at=st.none() | st.floats(1e9, 4e9) | dynamo_floats,
)
