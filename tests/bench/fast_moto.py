"""A faster response encoder for the bench's moto server, so the bench times the monitor and not moto.

moto 5.2 encodes every response through a generic, model-driven serializer that costs about 5 ms per
DynamoDB item: one Query page of 1000 items takes moto 5 s to write, where DynamoDB takes tens of
milliseconds. DynamoDB's JSON protocol sends items exactly as moto already holds them (AttributeValue maps),
so for the item operations below `json.dumps` gives the same document; `test_fast_moto.py` checks that it
does. Everything else (conditions, indexes, errors) is moto's own code. Only the bench's moto process installs
this; the tests use moto as it is.
"""

from __future__ import annotations

import json
from typing import Any

from moto.dynamodb.responses import DynamoResult

ITEM_OPERATIONS = frozenset({"Query", "Scan", "GetItem", "PutItem", "UpdateItem", "BatchGetItem", "BatchWriteItem"})
CONTENT_TYPE = "application/x-amz-json-1.0"


def encode(result: object) -> str:
    """The response body DynamoDB's JSON protocol gives for an item operation's result."""
    return json.dumps(result, separators=(",", ":"))


def install() -> None:
    """Idempotent: route item operations of this process's moto past the generic serializer."""
    original = DynamoResult.execute_result
    if getattr(original, "__jobwatch_fast__", False):
        return

    def execute_result(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in ITEM_OPERATIONS:
            return original(self, context)
        return 200, {"Content-Type": CONTENT_TYPE}, encode(self.result)

    execute_result.__jobwatch_fast__ = True  # type: ignore[attr-defined]
    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]
