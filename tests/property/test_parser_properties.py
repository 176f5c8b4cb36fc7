"""For any body, parse_job returns a snapshot or raises a short, one-line BadResponseError: nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jobwatch.snapshot import STATUSES, BadResponseError, JobSnapshot, parse_job
from tests.property.strategies import COMMON, JOB

COUNT_KEYS = ("inputs", "dup_inputs", "lines", "fails", "pages", "pages_left", "success", "navigations")
TEXT_KEYS = ("collector", "template", "created", "started", "finished", "trigger")
ALL_KEYS = ("id", "status", *COUNT_KEYS, *TEXT_KEYS, "success_rate", "job_time", "queue_time")

scalars = st.none() | st.booleans() | st.integers(-(10**40), 10**40) | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
)
# Values a field might plausibly (or implausibly) hold: right type, wrong type, out of range, nested.
field_values = st.one_of(
    st.integers(0, 10**6),
    st.floats(0, 1),
    st.sampled_from([*sorted(STATUSES), JOB, "Done", "2025-04-28T13:22:17.502Z", "", "1", 1.5, -1, True]),
    json_values,
)


def any_case(key: str) -> st.SearchStrategy[str]:
    """`key` with each letter upper- or lower-case, weighted towards the casings the API reference uses."""
    mixed = st.lists(st.booleans(), min_size=len(key), max_size=len(key)).map(
        lambda ups: "".join(c.upper() if up else c for c, up in zip(key, ups, strict=True))
    )
    return st.sampled_from([key, key.capitalize(), key.upper()]) | mixed


log_bodies = st.dictionaries(st.sampled_from(ALL_KEYS).flatmap(any_case), field_values, max_size=len(ALL_KEYS))
valid_records = st.fixed_dictionaries(
    {"status": st.sampled_from(sorted(STATUSES))},
    optional={
        "id": st.just(JOB),
        "success_rate": st.floats(0, 1) | st.integers(0, 1),
        "job_time": st.integers(0, 10**9),
        "queue_time": st.integers(0, 10**9),
        **dict.fromkeys(COUNT_KEYS, st.integers(0, 10**12) | st.integers(0, 10**6).map(float)),
        **dict.fromkeys(TEXT_KEYS, st.text(max_size=40)),
    },
)


def assert_snapshot_or_clear_error(body: bytes | str) -> JobSnapshot | None:
    """parse_job's promise: a snapshot of our job, or a BadResponseError one could put in a log line."""
    try:
        snapshot = parse_job(JOB, body)
    except BadResponseError as exc:
        message = str(exc)
        assert message and len(message) <= 200, message
        assert "\n" not in message and "\r" not in message, message
        return None
    assert snapshot.job_id == JOB and snapshot.status in STATUSES
    return snapshot


@settings(max_examples=200, **COMMON)
@given(json_values)
def test_any_json_value_parses_or_fails_clearly(value: Any) -> None:
    # Given any JSON document as the body (NaN and Infinity included: Python's json reads them)
    body = json.dumps(value)
    # When it is parsed / Then it is a snapshot or a clear error
    assert_snapshot_or_clear_error(body)


@settings(max_examples=200, **COMMON)
@given(log_bodies, st.booleans())
def test_any_log_shaped_body_parses_or_fails_clearly(record: dict[str, Any], as_bytes: bool) -> None:
    # Given a /dca/log-shaped object whose fields hold values of any type, keys in any casing
    body = json.dumps(record)
    # When it is parsed, as text or as the bytes urllib3 hands over
    snapshot = assert_snapshot_or_clear_error(body.encode() if as_bytes else body)
    # Then a snapshot it gives holds only counts >= 0 and a rate from 0 to 1
    if snapshot is not None:
        assert all(getattr(snapshot, key) is None or getattr(snapshot, key) >= 0 for key in COUNT_KEYS)
        assert snapshot.success_rate is None or 0 <= snapshot.success_rate <= 1


@settings(max_examples=200, **COMMON)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_bytes_or_text_parse_or_fail_clearly(body: bytes | str) -> None:
    # Given arbitrary bytes or text, mostly not JSON at all
    # When they are parsed / Then the result is a snapshot or a clear error
    assert_snapshot_or_clear_error(body)


@settings(max_examples=200, **COMMON)
@given(valid_records, st.data())
def test_a_record_with_capitalised_keys_parses_like_the_lower_case_one(
    record: dict[str, Any], data: st.DataObject
) -> None:
    # Given a valid record, and the same record with each key cased some other way
    recased = {data.draw(any_case(key), label=key): value for key, value in record.items()}
    # When both are parsed
    lower, other = parse_job(JOB, json.dumps(record)), parse_job(JOB, json.dumps(recased))
    # Then they give the same snapshot
    assert other == lower
