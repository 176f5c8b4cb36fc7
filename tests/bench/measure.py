"""Counting and measuring inside a worker: DynamoDB calls by operation (a botocore event hook) and memory."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

DYNAMODB_KINDS = ("Query", "Scan", "GetItem", "PutItem", "UpdateItem", "BatchGetItem", "BatchWriteItem")
WRITE_KINDS = ("PutItem", "UpdateItem", "BatchWriteItem")


class DynamoCalls:
    """Counts DynamoDB API calls (one per call, not per retry) of every client made from `session` after this."""

    def __init__(self, session: Any) -> None:
        self.counts: Counter[str] = Counter()
        session.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1

    def take(self) -> dict[str, int]:
        """The counts since the last take, then start again from zero."""
        counts = {kind: self.counts.get(kind, 0) for kind in DYNAMODB_KINDS}
        counts.update({k: v for k, v in self.counts.items() if k not in counts})
        self.counts.clear()
        return counts


def memory_mb(field: str) -> float:
    """VmHWM (peak resident set) or VmRSS (current) of this process, in MB, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} is not in /proc/self/status")
