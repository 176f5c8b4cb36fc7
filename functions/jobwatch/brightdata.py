"""Bright Data Scraper Studio API client: job metadata, per-input errors, a collector's job list.

One urllib3 PoolManager is shared by every worker thread. 5xx, timeouts and connection errors are retried by
urllib3's Retry with exponential backoff and jitter; 401, 404 and 429 are never retried, they raise at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import urllib3
from urllib3.util.retry import Retry

from jobwatch.ids import validate_collector_id, validate_job_id
from jobwatch.snapshot import BadResponseError, JobSnapshot, parse_job

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
LIST_PAGE_LIMIT = 500  # the API's maximum page size for /dca/collector/jobs


class BrightDataError(Exception):
    """A call to Bright Data did not give a usable answer."""


class TokenRejectedError(BrightDataError):
    """401/403: the API token is missing, wrong or revoked. No further call can succeed this run."""


class MalformedTokenError(TokenRejectedError):
    """The token read from the secret cannot be a token (empty, spaces, line breaks): it is never sent."""


class JobNotFoundError(BrightDataError):
    """404: the job does not exist or has expired (Bright Data keeps batch results 16 days)."""


class RateLimitedError(BrightDataError):
    """429: too many requests. Bright Data blocks an IP after 25 of these in 5 minutes: stop at the first."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(f"HTTP 429, Retry-After {retry_after if retry_after is not None else 'absent'}")
        self.retry_after = retry_after


class TransientError(BrightDataError):
    """5xx, timeout or connection error that persisted through the retries."""


class DoublingRetry(Retry):
    """urllib3's Retry, but waiting factor * 1, 2, 4 ... (urllib3's own first retry has no wait)."""

    def get_backoff_time(self) -> float:
        attempts = len(self.history)
        if attempts == 0:
            return 0.0
        value = self.backoff_factor * (2 ** (attempts - 1)) + self.backoff_jitter * _jitter()
        return float(min(self.backoff_max, value))


def make_retry(backoff_seconds: float, attempts: int = 3) -> Retry:
    """Retries for idempotent GETs: `attempts` more tries after the first, backing off 1x, 2x, 4x."""
    return DoublingRetry(
        total=attempts,
        backoff_factor=backoff_seconds,
        backoff_jitter=backoff_seconds * 0.25,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=False,  # 429 is never retried; a 503's Retry-After must not stall a worker
        redirect=0,
    )


def make_http(concurrency: int, timeout_seconds: float, retries: Retry) -> urllib3.PoolManager:
    """One pool for all workers: as many kept-alive connections per host as there are workers."""
    return urllib3.PoolManager(
        num_pools=4,
        maxsize=max(1, concurrency),
        block=False,
        timeout=urllib3.Timeout(connect=min(timeout_seconds, 5.0), read=timeout_seconds),
        retries=retries,
    )


class BrightDataClient:
    """Calls to api.brightdata.com (or a simulator). `token` is called per request so rotation takes effect."""

    def __init__(self, http: urllib3.PoolManager, base_url: str, token: Callable[[], str]) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token

    def fetch_job(self, job_id: str) -> JobSnapshot:
        """GET /dca/log/{job_id} -> JobSnapshot. Raises a BrightDataError subclass or BadResponseError."""
        body = self._get(f"/dca/log/{validate_job_id(job_id)}")
        return parse_job(job_id, body)

    def fetch_errors(self, job_id: str) -> list[dict[str, Any]]:
        """GET /dca/jobs/{job_id}/hp_errors -> per-input error records (empty for jobs not run high-priority)."""
        body = self._get(f"/dca/jobs/{validate_job_id(job_id)}/hp_errors")
        return _records(body, "errors")

    def list_jobs(self, collector: str, from_date: str, to_date: str, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of GET /dca/collector/jobs for a collector between two dates (YYYY-MM-DD), newest first."""
        fields = {
            "collector": validate_collector_id(collector),
            "from_date": from_date,
            "to_date": to_date,
            "offset": str(offset),
            "limit": str(min(limit, LIST_PAGE_LIMIT)),
        }
        return _records(self._get("/dca/collector/jobs", fields), "jobs")

    def _get(self, path: str, fields: dict[str, str] | None = None) -> bytes:
        token = self._token()
        if not token or not token.isprintable() or any(ch.isspace() for ch in token):
            raise MalformedTokenError(
                "the API token in the secret is empty or holds spaces, line breaks or control characters: "
                "store the bare token"
            )
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            response = self._http.request("GET", self._base + path, fields=fields, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            # str(exc) holds the URL (no token in it) and the low-level reason.
            raise TransientError(f"{type(exc).__name__}: {_reason(exc)}") from None
        except ValueError as exc:  # http.client refusing a header or URL: its message may quote the header
            raise TransientError(f"request refused before sending ({type(exc).__name__})") from None
        status = response.status
        if status == 200:
            return response.data
        if status in (401, 403):
            raise TokenRejectedError(f"HTTP {status}: the API token was rejected")
        if status == 404:
            raise JobNotFoundError("HTTP 404: not found (unknown, or expired after 16 days)")
        if status == 429:
            raise RateLimitedError(parse_retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            raise TransientError(f"HTTP {status} after retries")
        raise BadResponseError(f"unexpected HTTP {status}")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (it may be a number of seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _records(body: bytes, key: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(body) if body.strip() else []
    except ValueError:
        raise BadResponseError(f"body is not JSON ({len(body)} bytes)") from None
    if isinstance(data, dict):
        data = data.get(key, data.get("data", []))
    if not isinstance(data, list):
        raise BadResponseError(f"body is JSON {type(data).__name__}, expected a list")
    return [record for record in data if isinstance(record, dict)]


def _reason(exc: urllib3.exceptions.HTTPError) -> str:
    reason = getattr(exc, "reason", None)
    return type(reason).__name__ if reason is not None else "request failed"


def _jitter() -> float:
    import random  # noqa: PLC0415 - only retries need it

    return random.random()
