"""What an operator does to the table: track and untrack jobs, watch collectors, mute, and read jobs back.

Every write here goes through Store's operator writes, which never touch `version`: the monitor owns that, so an
operator's change and a run's conditional write never undo each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jobwatch.ids import validate_collector_id, validate_job_id
from jobwatch.poller import retiring
from jobwatch.records import COLLECTOR_PREFIX, JobRecord
from jobwatch.rules import normalize
from jobwatch.store import Store

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class DurationError(ValueError):
    """A mute duration is not of the form 30m, 2h, 1d (or a sum such as 1h30m)."""


class NotWatchedError(LookupError):
    """The job is not tracked, or the collector not watched, so the action has nothing to act on."""


@dataclass(frozen=True)
class Change:
    """What one operator action did to one item, in words for the terminal."""

    key: str
    outcome: str


def parse_duration(text: str) -> float:
    """`30m`, `2h`, `1d`, `1w`, `45s` or sums like `1h30m` -> seconds; raise DurationError otherwise."""
    parts = _DURATION.findall(text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower() or not any(int(n) for n, _ in parts):
        raise DurationError(f"invalid duration {text!r}: use a number and a unit, such as 30m, 2h, 1d or 1h30m")
    return float(sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))


def track(
    store: Store, job_ids: Iterable[str], now: float, label: str | None = None, rules: Mapping[str, Any] | None = None
) -> list[Change]:
    """Start (or resume) watching each job, with the given label and rule overrides."""
    overrides = normalize(rules or {})
    job_ids = [validate_job_id(j) for j in job_ids]
    changes = []
    for job_id in job_ids:
        fields = {"tracked_at": now, "source": "cli", "label": label, "rules": overrides or None}
        if store.create_job(job_id, fields):
            changes.append(Change(job_id, "tracked"))
            continue
        record = store.get_job(job_id)
        if record is None:  # its item expired between the two calls: the next try creates it
            changes.append(Change(job_id, "not tracked: its item was changing; run the command again"))
            continue
        changes.append(_track_existing(store, record, now, label, overrides))
    return changes


def _track_existing(
    store: Store, record: JobRecord, now: float, label: str | None, overrides: dict[str, Any]
) -> Change:
    sets: dict[str, Any] = {"label": label, "rules": {**record.rules, **overrides} if overrides else None}
    if record.active:
        if label is None and not overrides:
            return Change(record.job_id, "already tracked")
        store.update_fields(record.job_id, sets)
        return Change(record.job_id, "already tracked; label and rules updated")
    if retiring(record):
        status = record.snapshot.status if record.snapshot else "not found at Bright Data"
        return Change(record.job_id, f"already finished ({status}): nothing left to watch")
    store.update_fields(
        record.job_id, {**sets, "active": "job", "tracked_at": now}, removes=["untracked", "expires_at"]
    )
    return Change(record.job_id, "tracked again")


def untrack(store: Store, job_ids: Iterable[str], now: float, ttl_days: int) -> list[Change]:
    """Stop watching each job. The item stays (expiring after `ttl_days`) so discovery never brings it back."""
    job_ids = [validate_job_id(j) for j in job_ids]
    changes = []
    for job_id in job_ids:
        item = store.get(job_id)
        if item is not None and item.get("untracked"):
            changes.append(Change(job_id, "already untracked"))
            continue
        sets = {"untracked": True, "expires_at": int(now + ttl_days * 86400)}
        store.update_fields(job_id, sets, removes=["active"], must_exist=False)
        note = "untracked" if item else "untracked (it was not tracked; discovery will not add it)"
        changes.append(Change(job_id, note))
    return changes


def watch_collector(store: Store, collector_id: str, now: float, rules: Mapping[str, Any] | None = None) -> Change:
    """Watch a collector: each run tracks its new jobs, and its rules apply to all its jobs."""
    key = COLLECTOR_PREFIX + validate_collector_id(collector_id)
    overrides = normalize(rules or {})
    item = store.get(key) or {}
    merged = {**(item.get("rules") or {}), **overrides}
    store.update_fields(key, {"active": "collector", "rules": merged or None, "watched_at": now}, must_exist=False)
    if item.get("active") == "collector":
        return Change(collector_id, "already watched; rules updated" if overrides else "already watched")
    return Change(collector_id, "watching: each run now tracks its new jobs")


def unwatch_collector(store: Store, collector_id: str) -> Change:
    """Stop discovering a collector's jobs and applying its rules; the jobs already tracked stay tracked."""
    key = COLLECTOR_PREFIX + validate_collector_id(collector_id)
    item = store.get(key)
    if item is None or item.get("active") != "collector":
        return Change(collector_id, "was not watched")
    store.update_fields(key, {}, removes=["active"])
    return Change(collector_id, "unwatched: its jobs already tracked stay tracked (untrack them to stop)")


def mute(store: Store, target: str, until: float) -> Change:
    """Hold back the alerts of a tracked job, or of every job of a watched collector, until `until`."""
    key, item = _watched_item(store, target)
    store.update_fields(key, {"rules": {**(item.get("rules") or {}), "mute_until": until}})
    return Change(target, "muted")


def unmute(store: Store, target: str) -> Change:
    """Deliver alerts again from now on (alerts decided while muted stay in history, undelivered)."""
    key, item = _watched_item(store, target)
    rules = dict(item.get("rules") or {})
    if rules.pop("mute_until", None) is None:
        return Change(target, "was not muted")
    store.update_fields(key, {"rules": rules})
    return Change(target, "unmuted")


def _watched_item(store: Store, target: str) -> tuple[str, dict[str, Any]]:
    if target.startswith("c_"):
        key = COLLECTOR_PREFIX + validate_collector_id(target)
        item = store.get(key)
        if item is None or item.get("active") != "collector":
            raise NotWatchedError(f"collector {target} is not watched: run jobwatch watch-collector {target} first")
        return key, item
    item = store.get(validate_job_id(target))
    if item is None or item.get("active") != "job":
        raise NotWatchedError(f"job {target} is not tracked (or already finished): run jobwatch track {target} first")
    return target, item
