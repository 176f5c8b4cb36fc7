"""The engine's state and the job's snapshot survive DynamoDB unchanged, and a stale write never lands."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from jobwatch.engine import JobContext, JobState, decide_alerts
from jobwatch.records import JobRecord
from jobwatch.rules import Rules
from jobwatch.snapshot import JobSnapshot
from jobwatch.store import Store
from tests.property.strategies import COMMON, JOB, T0, dynamo_floats, polls, rules, snapshots, states

OWNER = "run-property"
# Counts as large as a DynamoDB number holds exactly (38 digits); text of any kind, empty included.
stored_snapshots = snapshots(
    counts=st.none() | st.integers(0, 10**38 - 1),
    rates=st.none() | dynamo_floats,
    times=st.none() | st.text(max_size=30),
    texts=st.none() | st.text(max_size=30),
)
_ids = itertools.count()


def tracked(store: Store) -> JobRecord:
    """A newly tracked job's item, as the monitor reads it before its first poll."""
    job_id = f"j_property{next(_ids):08d}"
    assert store.create_job(job_id, {"tracked_at": T0})
    record = store.get_job(job_id)
    assert record is not None
    return record


@settings(max_examples=40, **COMMON)
@given(stored_snapshots, states)
def test_a_saved_snapshot_and_state_read_back_unchanged(store: Store, snapshot: JobSnapshot, state: JobState) -> None:
    # Given a tracked job's item
    before = tracked(store)
    after = before.evolve(snapshot=replace(snapshot, job_id=before.job_id), state=state, polled_at=T0)
    # When the monitor saves a snapshot and state onto it
    assert store.save(before, after, OWNER, T0)
    # Then reading the item back gives them unchanged, one version on
    got = store.get_job(before.job_id)
    assert got is not None
    assert (got.snapshot, got.state, got.version) == (after.snapshot, state, before.version + 1)


@settings(max_examples=30, **COMMON)
@given(st.lists(states, min_size=2, max_size=4))
def test_a_save_from_a_stale_version_is_refused(store: Store, saved: list[JobState]) -> None:
    # Given a job saved several times in a row, each save from the record the previous one left
    record = tracked(store)
    *landed, late = saved
    for state in landed:
        after = record.evolve(state=state)
        assert store.save(record, after, OWNER, T0)
        record = replace(after, version=record.version + 1)
    # When another save still holds the version read before the last of them
    stale = replace(record, version=record.version - 1)
    refused = not store.save(stale, stale.evolve(state=late), OWNER, T0)
    # Then it is refused, and the item keeps the last state that landed, at its version
    got = store.get_job(record.job_id)
    assert got is not None
    assert refused and (got.state, got.version) == (landed[-1], len(landed))


@settings(max_examples=60, **COMMON)
@given(polls(), rules)
def test_judging_from_stored_state_decides_the_same_alerts(
    sequence: list[tuple[JobSnapshot, float]], job_rules: Rules
) -> None:
    # Given one job's polls, judged once with the state kept in memory
    ctx, kept, stored, previous = JobContext(job_id=JOB), JobState(), JobState(), None
    for snapshot, now in sequence:
        # When they are judged again with the state and snapshot read back from their stored form each poll
        memory = decide_alerts(ctx, previous, kept, snapshot, job_rules, now)
        reread = previous and JobSnapshot.from_dict(previous.to_dict())
        storage = decide_alerts(ctx, reread, JobState.from_dict(stored.to_dict()), snapshot, job_rules, now)
        # Then every poll decides the same alerts and the same state
        assert (storage.alerts, storage.state) == (memory.alerts, memory.state)
        kept, stored, previous = memory.state, storage.state, snapshot
