"""Read-only views of the table for `jobwatch list` and `jobwatch show`: rows, details and effective rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobwatch.ids import validate_collector_id, validate_job_id
from jobwatch.operations import NotWatchedError
from jobwatch.poller import NOT_FOUND
from jobwatch.records import COLLECTOR_PREFIX, JobRecord
from jobwatch.rules import Rules, normalize
from jobwatch.store import Store


@dataclass(frozen=True)
class JobRow:
    """One job as `jobwatch list` shows it."""

    record: JobRecord
    muted_until: float | None

    @property
    def tracking(self) -> str:
        return "active" if self.record.active else "untracked" if self.record.untracked else "finished"

    @property
    def status(self) -> str | None:
        if self.record.last_error == NOT_FOUND:
            return "not found"
        return self.record.snapshot.status if self.record.snapshot else None

    @property
    def last_alert(self) -> dict[str, Any] | None:
        return self.record.history[-1] if self.record.history else None


@dataclass(frozen=True)
class RuleValue:
    """One effective rule and the level it came from: `default`, `collector c_...` or `job`."""

    name: str
    value: Any
    source: str


@dataclass(frozen=True)
class JobDetail:
    """One job as `jobwatch show` shows it: its row, whether its collector is watched, its effective rules."""

    row: JobRow
    collector_watched: bool
    rules: list[RuleValue] = field(default_factory=list)


def job_rows(store: Store, include_all: bool, now: float) -> list[JobRow]:
    """Watched jobs (active index Query), or with `include_all` every job item (Scan); active jobs first."""
    collector_mutes = {c.collector_id: c.rules.get("mute_until") for c in store.collectors()}
    records = store.scan_jobs() if include_all else store.active_jobs()
    rows = [JobRow(r, _muted_until(r, collector_mutes, now)) for r in records]
    return sorted(rows, key=lambda row: (not row.record.active, row.record.job_id))


def job_detail(store: Store, job_id: str, defaults: Rules, now: float) -> JobDetail:
    """Everything stored about one job, and the rules it is judged by with the level each came from."""
    record = store.get_job(validate_job_id(job_id))
    if record is None:
        raise NotWatchedError(f"job {job_id} is not in the table: run jobwatch track {job_id} to watch it")
    collector_item = store.get(COLLECTOR_PREFIX + record.collector) if record.collector else None
    watched = collector_item is not None and collector_item.get("active") == "collector"
    collector_rules = (collector_item or {}).get("rules") if watched else None
    mutes = {record.collector: (collector_rules or {}).get("mute_until")} if record.collector else {}
    rules = rules_with_sources(defaults, record.collector, collector_rules, record.rules)
    return JobDetail(JobRow(record, _muted_until(record, mutes, now)), watched, rules)


def collector_detail(store: Store, collector_id: str, defaults: Rules) -> tuple[dict[str, Any], list[RuleValue]]:
    """A collector's item and the rules its jobs get (before their own overrides)."""
    item = store.get(COLLECTOR_PREFIX + validate_collector_id(collector_id))
    if item is None or item.get("active") != "collector":
        raise NotWatchedError(f"collector {collector_id} is not watched: run jobwatch watch-collector {collector_id}")
    return item, rules_with_sources(defaults, collector_id, item.get("rules"), {})


def rules_with_sources(
    defaults: Rules, collector_id: str | None, collector_rules: Mapping[str, Any] | None, job_rules: Mapping[str, Any]
) -> list[RuleValue]:
    """The rules a job is judged by (as `rules.effective_rules` computes them), each with the level that set it."""
    values = defaults.to_dict()
    sources = dict.fromkeys(values, "default")
    for level, overrides in ((f"collector {collector_id}", collector_rules), ("job", job_rules)):
        for name, value in normalize(overrides or {}).items():
            values[name], sources[name] = value, level
    return [RuleValue(name, values[name], sources[name]) for name in values]


def _muted_until(record: JobRecord, collector_mutes: Mapping[str, Any], now: float) -> float | None:
    """When the mute in force for this job ends (the job's own mute wins over its collector's), else None."""
    raw = record.rules.get("mute_until")
    if raw is None:
        raw = collector_mutes.get(record.collector or "")
    return float(raw) if raw is not None and float(raw) > now else None
