"""Job and collector ids are checked here before they reach a URL or a table key."""

from __future__ import annotations

import re

_JOB_ID = re.compile(r"j_[a-z0-9]{4,64}")
_COLLECTOR_ID = re.compile(r"c_[a-z0-9]{4,64}")


class InvalidIdError(ValueError):
    """An id is not of the form Bright Data issues; the message says what was expected."""


def validate_job_id(value: object) -> str:
    """Return `value` if it is a Bright Data job id (`j_` + 4-64 lowercase letters/digits), else raise."""
    if isinstance(value, str) and _JOB_ID.fullmatch(value):
        return value
    raise InvalidIdError(
        f"invalid job id {_shown(value)}: expected 'j_' followed by lowercase letters and digits, "
        "as in j_ma13y9ay1piehrso8r (the collection_id /dca/trigger returns)"
    )


def validate_collector_id(value: object) -> str:
    """Return `value` if it is a Bright Data collector id (`c_` + 4-64 lowercase letters/digits), else raise."""
    if isinstance(value, str) and _COLLECTOR_ID.fullmatch(value):
        return value
    raise InvalidIdError(
        f"invalid collector id {_shown(value)}: expected 'c_' followed by lowercase letters and digits, "
        "as in c_m9im5n7v82p2y35la"
    )


def is_job_id(value: object) -> bool:
    return isinstance(value, str) and _JOB_ID.fullmatch(value) is not None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
