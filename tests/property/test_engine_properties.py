"""For any sequence of snapshots of one job, the engine alerts at most once per transition and per crossing."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from jobwatch.alerts import Alert, Kind
from jobwatch.engine import JobContext, JobState, decide_alerts
from jobwatch.rules import Rules
from jobwatch.snapshot import JobSnapshot
from tests.property.strategies import COMMON, JOB, PERIOD, T0, polls, rules, stop_at_terminal

CTX = JobContext(job_id=JOB, schedule_period_seconds=PERIOD)
Polls = list[tuple[JobSnapshot, float]]
EDGE_KINDS = {Kind.FAILED, Kind.CANCELLED, Kind.LOW_RATE, Kind.RECOVERED, Kind.DONE}
sequences = st.one_of(polls(), polls().map(stop_at_terminal))


def judge_each(sequence: Polls, rules: Rules) -> tuple[list[tuple[float, Alert]], JobState]:
    """Judge the polls in order as the monitor does: each with the previous snapshot and the state so far."""
    state, previous, timed = JobState(), None, []
    for snapshot, now in sequence:
        decision = decide_alerts(CTX, previous, state, snapshot, rules, now)
        state, previous = decision.state, snapshot
        timed += [(now, alert) for alert in decision.alerts]
    return timed, state


def fold(sequence: Polls, rules: Rules) -> tuple[list[Alert], JobState]:
    timed, state = judge_each(sequence, rules)
    return [alert for _, alert in timed], state


def kinds(alerts: list[Alert]) -> Counter[Kind]:
    return Counter(alert.kind for alert in alerts)


def transitions_into(sequence: Polls, status: str) -> int:
    statuses = [None] + [snapshot.status for snapshot, _ in sequence]
    return sum(1 for old, new in itertools.pairwise(statuses) if new == status != old)


def judged(snapshot: JobSnapshot, rules: Rules) -> float | None:
    """The rate the rules judge, where they judge it: a finished job, or a running one with enough outcomes."""
    enough = snapshot.status == "running" and snapshot.processed >= max(rules.min_inputs, 1)
    return snapshot.judged_rate if snapshot.status == "done" or enough else None


def low_crossings(sequence: Polls, rules: Rules) -> int:
    """Falls of the judged rate below the threshold, each after the rate was last seen at or above it. An upper
    bound: the engine asks more (the recovery margin) before it counts a fall as new."""
    crossings, low = 0, False
    for snapshot, _ in sequence:
        rate = judged(snapshot, rules)
        if rate is not None and rate < rules.min_success_rate and not low:
            crossings, low = crossings + 1, True
        elif rate is not None and rate >= rules.min_success_rate:
            low = False
    return crossings


@settings(max_examples=100, **COMMON)
@given(polls().map(stop_at_terminal), rules)
def test_every_alert_of_a_polled_job_has_its_own_id(sequence: Polls, job_rules: Rules) -> None:
    # Given the polls the monitor makes of one job (none after it finished)
    # When the engine judges them in order
    alerts, _ = fold(sequence, job_rules)
    # Then no two alerts share an id (delivery deduplicates by id: a shared id is a lost alert)
    assert len({a.alert_id for a in alerts}) == len(alerts)


@settings(max_examples=100, **COMMON)
@given(polls(), rules)
def test_apart_from_terminal_ones_alert_ids_are_unique_in_any_sequence(sequence: Polls, job_rules: Rules) -> None:
    # Given any polls of one job, also ones after a terminal status (those repeat ids: see test_found_bugs)
    # When the engine judges them
    alerts, _ = fold(sequence, job_rules)
    # Then the ids of all but the terminal alerts are unique
    ids = [a.alert_id for a in alerts if a.kind not in (Kind.FAILED, Kind.CANCELLED)]
    assert len(set(ids)) == len(ids)


@settings(max_examples=100, **COMMON)
@given(sequences, rules)
def test_terminal_alerts_follow_transitions(sequence: Polls, job_rules: Rules) -> None:
    # Given polls of one job, realistic or not
    # When the engine judges them
    alerts, _ = fold(sequence, job_rules)
    # Then each terminal alert answers a transition into its status; a job first seen failed alerts at once
    counted = kinds(alerts)
    assert counted[Kind.FAILED] <= transitions_into(sequence, "failed")
    assert counted[Kind.CANCELLED] <= transitions_into(sequence, "cancelled")
    first, _ = sequence[0]
    if first.status == "failed":
        assert kinds(fold(sequence[:1], job_rules)[0])[Kind.FAILED] == 1


@settings(max_examples=80, **COMMON)
@given(polls().map(stop_at_terminal), rules)
def test_a_polled_job_that_ends_failed_or_cancelled_alerts_exactly_once(sequence: Polls, job_rules: Rules) -> None:
    # Given the polls the monitor makes of one job, up to its first terminal status
    # When the engine judges them
    counted = kinds(fold(sequence, job_rules)[0])
    # Then a failed end gave one job_failed, a cancelled end one job_cancelled, and nothing else did
    last = sequence[-1][0].status
    assert (counted[Kind.FAILED], counted[Kind.CANCELLED]) == (last == "failed", last == "cancelled")


@settings(max_examples=100, **COMMON)
@given(sequences, rules)
def test_low_rate_alerts_answer_crossings_and_alternate_with_recoveries(sequence: Polls, job_rules: Rules) -> None:
    # Given polls of one job
    # When the engine judges them
    alerts, _ = fold(sequence, job_rules)
    # Then there are no more low-rate alerts than crossings, and at least one if the rate ever fell below
    rate_alerts = [a for a in alerts if a.kind in (Kind.LOW_RATE, Kind.RECOVERED)]
    lows = [a for a in rate_alerts if a.kind == Kind.LOW_RATE]
    crossings = low_crossings(sequence, job_rules)
    assert len(lows) <= crossings
    assert (len(lows) > 0) == (crossings > 0)
    # And low and recovered alternate, starting low, each recovery naming the low alert just before it
    assert [a.kind for a in rate_alerts] == [(Kind.LOW_RATE, Kind.RECOVERED)[n % 2] for n in range(len(rate_alerts))]
    for low, recovered in zip(rate_alerts[::2], rate_alerts[1::2], strict=False):
        assert recovered.refers_to == low.alert_id


@settings(max_examples=80, **COMMON)
@given(sequences, rules)
def test_stuck_and_done_alert_at_most_once(sequence: Polls, job_rules: Rules) -> None:
    # Given polls of one job
    # When the engine judges them
    counted = kinds(fold(sequence, job_rules)[0])
    # Then a job is stuck at most once, and a done notice comes at most once and only when asked for
    assert counted[Kind.STUCK] <= 1
    assert counted[Kind.DONE] <= int(job_rules.notify_done)


@settings(max_examples=80, **COMMON)
@given(sequences, rules, st.floats(-3600, 30 * 7200))
def test_alerts_are_muted_exactly_while_the_mute_lasts(sequence: Polls, job_rules: Rules, offset: float) -> None:
    # Given rules muted until some moment before, among or after the polls
    mute_until = T0 + offset
    # When the engine judges the polls
    timed, _ = judge_each(sequence, replace(job_rules, mute_until=mute_until))
    # Then the alerts decided before that moment are muted, and only those
    assert [alert.muted for _, alert in timed] == [now < mute_until for now, _ in timed]
    # And the same polls under unmuted rules give the same alerts, unmuted
    unmuted, _ = fold(sequence, job_rules)
    assert [replace(alert, muted=False) for _, alert in timed] == unmuted


@settings(max_examples=100, **COMMON)
@given(sequences, rules, st.data())
def test_a_repeated_poll_adds_no_edge_alert(sequence: Polls, job_rules: Rules, data: st.DataObject) -> None:
    # Given a job judged up to some poll
    cut = data.draw(st.integers(1, len(sequence)), label="cut")
    _, state = fold(sequence[:cut], job_rules)
    snapshot, now = sequence[cut - 1]
    # When the same snapshot comes back on the next poll
    again = decide_alerts(CTX, snapshot, state, snapshot, job_rules, now + PERIOD)
    # Then it causes no terminal, rate or done alert (only the clock-driven stuck and stalled may fire)
    assert not [a.alert_id for a in again.alerts if a.kind in EDGE_KINDS]
