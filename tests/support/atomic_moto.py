"""Make moto's DynamoDB serialise item writes the way DynamoDB does.

DynamoDB evaluates a condition and applies the write atomically per item; moto's in-memory backend checks
and writes without a lock, so two threads can both pass the same condition. The tests that run two
invocations at once would then test moto's race, not jobwatch's. One lock around moto's write paths restores
DynamoDB's guarantee (and nothing more: the order of writes is still up to the threads).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query")


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    call.__jobwatch_atomic__ = True  # type: ignore[attr-defined]
    return call


def install() -> None:
    """Idempotent: wrap the backend's item operations once per process."""
    for name in _WRITES:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__jobwatch_atomic__", False):
            setattr(DynamoDBBackend, name, _locked(method))
