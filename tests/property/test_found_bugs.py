"""The smallest examples of what the property suites found wrong in the package, kept as regression tests:
each states the behaviour the package now has."""

from __future__ import annotations

import pytest

from jobwatch.alerts import Kind
from jobwatch.engine import JobContext, JobState, decide_alerts
from jobwatch.rules import Rules
from jobwatch.snapshot import BadResponseError, JobSnapshot, parse_job
from jobwatch.store import Store
from tests.property.strategies import JOB, PERIOD, T0
from tests.property.test_parser_properties import assert_snapshot_or_clear_error

CTX = JobContext(job_id=JOB, schedule_period_seconds=PERIOD)
RULES = Rules(0.9, 10, ("slack",), 60, 3, 0.02, False)


@pytest.mark.parametrize("body", ['{"status": []}', '{"Status": {"state": "done"}}'])
def test_a_status_that_is_a_list_or_object_fails_clearly(body: str) -> None:
    # Given a body whose status is a JSON array or object
    # When it is parsed / Then it is a BadResponseError, not a TypeError
    assert assert_snapshot_or_clear_error(body) is None


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, '{"status": "done", "trigger": ' + "[" * 5_000 + "]" * 5_000 + "}"],
    ids=["nested-array", "nested-field"],
)
def test_a_deeply_nested_body_fails_clearly(body: str) -> None:
    # Given a body nested deeper than the interpreter's recursion limit
    # When it is parsed / Then it is a BadResponseError like any other unusable body
    assert assert_snapshot_or_clear_error(body) is None


def test_any_start_time_the_parser_accepts_can_be_judged() -> None:
    # Given a running job whose start time parse_job accepts: a date without a zone, in year 1
    snapshot = parse_job(JOB, '{"status": "running", "started": "0001-01-01"}')
    # When the engine judges it / Then it decides (it has run for ages: stuck) rather than raising
    decision = decide_alerts(CTX, None, JobState(), snapshot, RULES, T0)
    assert [a.kind for a in decision.alerts] == [Kind.STUCK]


def test_a_job_failing_again_after_a_cancel_gets_a_new_alert_id() -> None:
    # Given a job seen failed, then cancelled, then failed again (only if polled past a terminal status)
    state, previous, ids = JobState(), None, []
    for n, status in enumerate(["failed", "cancelled", "failed"]):
        snapshot = JobSnapshot(JOB, status)
        # When the engine judges each poll
        decision = decide_alerts(CTX, previous, state, snapshot, RULES, T0 + n * PERIOD)
        state, previous = decision.state, snapshot
        ids += [a.alert_id for a in decision.alerts]
    # Then the second failure is told apart from the first (delivery keys pending alerts by id)
    assert len(set(ids)) == len(ids) == 3


@pytest.mark.parametrize(
    "body",
    ['{"status": "running", "success_rate": 1e-200}', f'{{"status": "running", "inputs": {10**38 + 1}}}'],
    ids=["rate-below-dynamodb-range", "count-over-38-digits"],
)
def test_every_snapshot_the_parser_accepts_can_be_saved(store: Store, body: str) -> None:
    # Given a tracked job, and a body that parse_job accepts or refuses
    job_id = f"j_foundbug{len(body):08d}"
    assert store.create_job(job_id, {"tracked_at": T0})
    before = store.get_job(job_id)
    assert before is not None
    try:
        snapshot = parse_job(job_id, body)
    except BadResponseError:
        return  # refusing the body is a fix too: the poll is then a counted error, and the job is still polled
    # When the monitor saves the snapshot / Then it lands (once decimal.Underflow / decimal.Rounded escaped)
    assert store.save(before, before.evolve(snapshot=snapshot), "run-property", T0)
