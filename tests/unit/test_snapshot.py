"""Parsing /dca/log bodies: both key casings, every field optional but status, clear errors otherwise."""

from __future__ import annotations

import json

import pytest

from jobwatch.snapshot import BadResponseError, JobSnapshot, parse_job

JOB = "j_ma13y9ay1piehrso8r"
SAMPLE = {
    "id": JOB,
    "status": "done",
    "collector": "c_m9im5n7v82p2y35la",
    "template": "t_m9jty150kxgwtzcgi.3",
    "inputs": 1,
    "dup_inputs": 0,
    "lines": 60,
    "fails": 0,
    "pages": 1,
    "pages_left": 0,
    "success": 1,
    "navigations": 2,
    "created": "2025-04-28T13:22:16.857Z",
    "started": "2025-04-28T13:22:17.502Z",
    "finished": "2025-04-28T13:23:28.961Z",
    "trigger": "user@example.com",
    "success_rate": 1,
    "job_time": 71459,
    "queue_time": 645,
}


def test_the_reference_sample_parses_into_every_field() -> None:
    snap = parse_job(JOB, json.dumps(SAMPLE))

    assert snap == JobSnapshot(
        job_id=JOB,
        status="done",
        collector="c_m9im5n7v82p2y35la",
        template="t_m9jty150kxgwtzcgi.3",
        inputs=1,
        dup_inputs=0,
        lines=60,
        fails=0,
        pages=1,
        pages_left=0,
        success=1,
        navigations=2,
        created="2025-04-28T13:22:16.857Z",
        started="2025-04-28T13:22:17.502Z",
        finished="2025-04-28T13:23:28.961Z",
        trigger="user@example.com",
        success_rate=1.0,
        job_time_ms=71459,
        queue_time_ms=645,
    )
    assert snap.terminal and snap.rate == 1.0


def test_capitalised_keys_are_accepted() -> None:
    body = {key[:1].upper() + key[1:]: value for key, value in SAMPLE.items()}

    assert parse_job(JOB, json.dumps(body)) == parse_job(JOB, json.dumps(SAMPLE))


def test_only_status_is_required_and_the_rate_falls_back_to_success_over_inputs() -> None:
    snap = parse_job(JOB, b'{"status": "done", "inputs": 8, "success": 6}')

    assert (snap.success_rate, snap.rate, snap.lines, snap.collector) == (None, 0.75, None, None)


def test_a_running_job_is_judged_on_the_inputs_processed_so_far() -> None:
    snap = parse_job(JOB, b'{"status": "running", "inputs": 100, "success": 9, "fails": 1, "success_rate": 0.09}')

    assert (snap.rate, snap.judged_rate, snap.processed) == (0.09, 0.9, 10)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "body is not JSON"),
        (b"", "body is not JSON"),
        (b"[1, 2]", "body is JSON list, expected an object"),
        (b'{"id": "' + JOB.encode() + b'"}', "field 'status' is None"),
        (b'{"status": "exploded"}', "field 'status' is 'exploded'"),
        (b'{"status": "done", "inputs": "lots"}', "field 'inputs' is 'lots', expected a whole number"),
        (b'{"status": "done", "inputs": -1}', "field 'inputs' is -1"),
        (b'{"status": "done", "inputs": 1.5}', "field 'inputs' is 1.5"),
        (b'{"status": "done", "inputs": true}', "field 'inputs' is True"),
        (b'{"status": "done", "success_rate": "n/a"}', "field 'success_rate' is 'n/a', expected a fraction"),
        (b'{"status": "done", "success_rate": 95}', "field 'success_rate' is 95"),
        (b'{"status": "done", "lines": NaN}', "field 'lines' is nan"),
        (b'{"status": "done", "collector": 7}', "field 'collector' is 7, expected text"),
        (b'{"id": "j_someotherjob1", "status": "done"}', "body describes job 'j_someotherjob1'"),
    ],
)
def test_a_body_that_is_not_a_usable_job_record_is_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(BadResponseError) as caught:
        parse_job(JOB, body)

    assert message in str(caught.value)


def test_a_snapshot_round_trips_through_its_stored_form() -> None:
    snap = parse_job(JOB, json.dumps(SAMPLE))

    assert JobSnapshot.from_dict(snap.to_dict()) == snap
