"""The rule engine, pure: snapshots in, state and alerts out, every rule edge-triggered."""

from __future__ import annotations

from dataclasses import replace

from jobwatch.alerts import Kind, Severity
from jobwatch.engine import JobContext, JobState, decide_alerts
from jobwatch.rules import Rules
from jobwatch.snapshot import JobSnapshot

JOB = "j_enginejob0001"
CTX = JobContext(job_id=JOB, label="Prices", schedule_period_seconds=300)
RULES = Rules(
    min_success_rate=0.9,
    min_inputs=10,
    channels=("slack", "email"),
    max_running_minutes=60,
    stall_polls=3,
    recovery_margin=0.02,
    notify_done=False,
)
T0 = 1_800_000_000.0
STARTED = "2027-01-15T08:00:00Z"  # = T0


def snap(status: str = "running", **fields: object) -> JobSnapshot:
    return JobSnapshot(job_id=JOB, status=status, started=STARTED, **fields)  # type: ignore[arg-type]


def replay(snapshots: list[JobSnapshot], rules: Rules = RULES, step: float = 300.0) -> list[list[str]]:
    """Feed snapshots one poll apart; return the alert ids of each poll."""
    state, previous, out = JobState(), None, []
    for n, current in enumerate(snapshots):
        decision = decide_alerts(CTX, previous, state, current, rules, T0 + n * step)
        state, previous = decision.state, current
        out.append([a.alert_id for a in decision.alerts])
    return out


def test_a_failure_alerts_once_with_its_transition() -> None:
    decision = decide_alerts(CTX, snap("running"), JobState(), snap("failed"), RULES, T0)

    (alert,) = decision.alerts
    assert (alert.kind, alert.severity, alert.old_status, alert.new_status) == (
        Kind.FAILED,
        Severity.CRITICAL,
        "running",
        "failed",
    )
    assert alert.summary == f"Job {JOB} failed (was running)"
    assert replay([snap("running"), snap("failed"), snap("failed"), snap("failed")]) == [
        [],
        [f"{JOB}/job_failed/1"],
        [],
        [],
    ]


def test_a_job_first_seen_cancelled_alerts_once_as_a_warning() -> None:
    decision = decide_alerts(CTX, None, JobState(), snap("cancelled"), RULES, T0)

    assert [(a.kind, a.severity, a.summary) for a in decision.alerts] == [
        (Kind.CANCELLED, Severity.WARNING, f"Job {JOB} cancelled")
    ]


def test_the_rate_is_not_judged_until_enough_inputs_were_processed() -> None:
    few = snap(inputs=100, success=1, fails=8)  # 9 processed < 10
    enough = snap(inputs=100, success=1, fails=9)

    assert replay([few, enough]) == [[], [f"{JOB}/low_success_rate/1"]]


def test_a_rate_hovering_at_the_threshold_alerts_once_and_recovers_once() -> None:
    rates = [0.88, 0.91, 0.89, 0.93, 0.95, 0.90, 0.89]
    snaps = [snap(inputs=1000, success=int(r * 100), fails=100 - int(r * 100), lines=n) for n, r in enumerate(rates)]

    polls = replay(snaps)

    assert polls == [
        [f"{JOB}/low_success_rate/1"],
        [],  # 0.91 < 0.9 + 0.02: not yet recovered
        [],
        [f"{JOB}/success_rate_recovered/1"],
        [],
        [],
        [f"{JOB}/low_success_rate/2"],  # a genuine second crossing
    ]


def test_finishing_done_at_or_above_the_threshold_resolves_the_low_rate_alert() -> None:
    state = decide_alerts(CTX, None, JobState(), snap(inputs=100, success=10, fails=10), RULES, T0).state

    decision = decide_alerts(CTX, None, state, snap("done", inputs=100, success=90, success_rate=0.9), RULES, T0)

    (alert,) = decision.alerts
    assert (alert.kind, alert.refers_to) == (Kind.RECOVERED, f"{JOB}/low_success_rate/1")


def test_a_job_running_too_long_alerts_once() -> None:
    running = snap(lines=1)
    state = JobState()
    fired = []
    for minutes in (30, 59, 61, 90, 200):
        decision = decide_alerts(CTX, running, state, replace(running, lines=minutes), RULES, T0 + minutes * 60)
        state = decision.state
        fired.append([a.kind for a in decision.alerts])

    assert fired == [[], [], [Kind.STUCK], [], []]


def test_no_progress_for_n_polls_alerts_once_and_again_only_after_progress() -> None:
    quiet = [snap(lines=5)] * 5 + [snap(lines=6)] + [snap(lines=6)] * 4

    polls = replay(quiet, rules=replace(RULES, max_running_minutes=10_000))

    assert polls == [[], [], [], [f"{JOB}/job_stalled/1"], [], [], [], [], [f"{JOB}/job_stalled/2"], []]


def test_a_muted_job_records_its_alerts_as_muted() -> None:
    muted = replace(RULES, mute_until=T0 + 3600)

    decision = decide_alerts(CTX, snap("running"), JobState(), snap("failed"), muted, T0)

    assert [a.muted for a in decision.alerts] == [True]
    assert decision.state.status_alerted == "failed"  # the edge is consumed: no alert after the mute


def test_done_notices_are_off_by_default_and_sent_once_when_on() -> None:
    done = snap("done", inputs=10, success=10)

    assert replay([done, done]) == [[], []]
    assert replay([done, done], rules=replace(RULES, notify_done=True)) == [[f"{JOB}/job_done/1"], []]


def test_state_round_trips_through_its_stored_form() -> None:
    state = JobState("failed", True, 2, True, False, 1, True, T0)

    assert JobState.from_dict(state.to_dict()) == state
    assert JobState.from_dict(None) == JobState()
