"""Collector auto-discovery: each run lists every watched collector's recent jobs and tracks the new ones.

A job is created only if no item exists for it, so nothing is tracked twice and a job an operator untracked
(its item stays, marked untracked) is never brought back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from jobwatch.brightdata import LIST_PAGE_LIMIT, BrightDataClient, BrightDataError, RateLimitedError, TokenRejectedError
from jobwatch.control import RunControl
from jobwatch.ids import is_job_id
from jobwatch.records import JobRecord
from jobwatch.snapshot import BadResponseError
from jobwatch.store import Store

logger = Logger(child=True)
MAX_PAGES = 40  # 20,000 jobs per collector and look-back window; the API runs at most 1,000 at once


def discover(client: BrightDataClient, store: Store, ctl: RunControl, known: set[str]) -> list[JobRecord]:
    """Track the new jobs of every watched collector (`known`: ids already tracked); return them for this run."""
    found: list[JobRecord] = []
    known = set(known)
    for collector in sorted(ctl.collector_rules):
        if ctl.stopped or not ctl.time_left():
            break
        try:
            listed = _list_recent(client, ctl, collector)
        except _ListingRefusedError:
            break
        candidates = [job_id for job_id in listed if job_id not in known]
        if not candidates:
            continue
        existing = store.existing(candidates)
        now = ctl.clock()
        for job_id in candidates:
            if job_id in existing:
                continue
            fields = {"collector": collector, "tracked_at": now, "source": "discovery"}
            if store.create_job(job_id, fields):
                found.append(JobRecord(job_id=job_id, collector=collector, tracked_at=now, source="discovery"))
                known.add(job_id)
                logger.info("discovered a new job of a watched collector", job_id=job_id, collector=collector)
    return found


class _ListingRefusedError(Exception):
    """Listing a collector's jobs answered 401/403: no more listing this run."""


def _list_recent(client: BrightDataClient, ctl: RunControl, collector: str) -> list[str]:
    today = datetime.fromtimestamp(ctl.clock(), UTC).date()
    start = today - timedelta(days=ctl.settings.discovery_lookback_days)
    ids: list[str] = []
    for page in range(MAX_PAGES):
        try:
            rows = client.list_jobs(
                collector, start.isoformat(), today.isoformat(), page * LIST_PAGE_LIMIT, LIST_PAGE_LIMIT
            )
        except RateLimitedError as exc:
            if ctl.stop("rate_limited", exc.retry_after):
                logger.warning(
                    "Bright Data answered 429 while listing jobs; no more requests this run", collector=collector
                )
            return ids
        except TokenRejectedError:
            # Not ctl.stop(): a refused listing must not keep tracked jobs from being polled. If the token is bad,
            # the first poll gets its own 401 and stops the run there (and raises the token alert).
            logger.error("Bright Data refused to list jobs (401/403); no discovery this run", collector=collector)
            raise _ListingRefusedError from None
        except (BrightDataError, BadResponseError) as exc:
            logger.warning(
                "listing a collector's jobs failed; trying again next run", collector=collector, error=str(exc)
            )
            return ids
        ids.extend(str(row.get("id") or row.get("Id")) for row in rows if is_job_id(row.get("id") or row.get("Id")))
        if len(rows) < LIST_PAGE_LIMIT:
            break
    return ids
