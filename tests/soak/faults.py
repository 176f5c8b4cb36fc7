"""AWS faults for the soak: seeded failures of DynamoDB writes and SNS publishes, injected with botocore event hooks.

A `before-call` hook answers instead of AWS (the call never reaches the table or topic): throttling, a
conditional-check failure, a service error. An `after-call` hook raises after the write was applied, as when
the response is lost on the way back: the caller sees a failure although the write happened.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

# kind -> (event, error code); "lost_response" raises after the call instead of answering before it.
DYNAMO_ERRORS = {
    "ddb_throttled": "ProvisionedThroughputExceededException",
    "ddb_conditional": "ConditionalCheckFailedException",
    "ddb_internal": "InternalServerError",
}
SNS_ERRORS = {"sns_throttled": "Throttling", "sns_internal": "InternalError"}
LOST_RESPONSE = "ddb_lost_response"


class AwsFaults:
    """Seeded, thread-safe fault injection on one boto3 session's clients (those made after `install`)."""

    def __init__(self, seed: int, rates: Mapping[str, float]) -> None:
        unknown = set(rates) - {*DYNAMO_ERRORS, *SNS_ERRORS, LOST_RESPONSE}
        if unknown:
            raise ValueError(f"unknown AWS fault kinds {sorted(unknown)}")
        self._rng = random.Random(seed)
        self._rates = dict(rates)
        self._lock = threading.Lock()
        self.active = False
        self.injected: Counter[str] = Counter()

    def install(self, session: Any) -> None:
        """Hook the session's event system; every client created from it afterwards carries the hooks."""
        session.events.register("before-call.dynamodb.UpdateItem", self._dynamo_before)
        session.events.register("after-call.dynamodb.UpdateItem", self._dynamo_after)
        session.events.register("before-call.sns.Publish", self._sns_before)

    def _draw(self, kinds: Mapping[str, str] | tuple[str, ...]) -> str | None:
        if not self.active:
            return None
        with self._lock:
            draw = self._rng.random()
            for kind in kinds:
                rate = self._rates.get(kind, 0.0)
                if draw < rate:
                    self.injected[kind] += 1
                    return kind
                draw -= rate
        return None

    def _dynamo_before(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        kind = self._draw(DYNAMO_ERRORS)
        return _error(DYNAMO_ERRORS[kind]) if kind else None

    def _dynamo_after(self, http_response: Any, **_: Any) -> None:
        if http_response.status_code < 300 and self._draw((LOST_RESPONSE,)):
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")

    def _sns_before(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        kind = self._draw(SNS_ERRORS)
        return _error(SNS_ERRORS[kind]) if kind else None


def _error(code: str) -> tuple[AWSResponse, dict[str, Any]]:
    status = 500 if "Internal" in code else 400
    parsed = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 3},
    }
    return AWSResponse("https://injected.invalid/", status, {}, None), parsed
