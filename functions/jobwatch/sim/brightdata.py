"""A loopback Bright Data Scraper Studio API with scripted job lifecycles and fault injection.

Endpoints: ``GET /dca/log/{job_id}``, ``GET /dca/collector/jobs`` and ``GET /dca/jobs/{job_id}/hp_errors``,
all behind ``Authorization: Bearer <token>``. Jobs advance only when the test calls ``tick()``, never by
requests, so a scenario is deterministic however often the code under test polls.

This module is longer than the house ~150 lines: the job store, the routes and the lifecycle builder are one
simulated API and are read together.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import LoopbackServer, Request, Response

TERMINAL = frozenset({"done", "failed", "cancelled"})
ERROR_CODES = ("dead_page", "blocked", "crawl_error", "parse_error", "bad_input")
LIFECYCLE_KINDS = ("ok", "fail", "cancel", "low_rate", "hang", "slow_progress")
MAX_LIMIT = 500
QUEUE_MS = 645
STEP_MS = 15_000
DEFAULT_COLLECTOR = "c_m9im5n7v82p2y35la"
DEFAULT_TEMPLATE = "t_m9jty150kxgwtzcgi.3"


def iso(moment: datetime) -> str:
    """Format like Bright Data: ``2025-04-28T13:22:16.857Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class _Job:
    job_id: str
    states: list[dict[str, Any]]
    collector: str
    created: datetime
    capitalized: bool
    errors: list[dict[str, Any]]
    step: int = 0

    def body(self) -> dict[str, Any]:
        """The job's current metadata: its scripted state merged over consistent defaults."""
        state = self.states[self.step]
        body: dict[str, Any] = {
            "id": self.job_id,
            "status": "running",
            "collector": self.collector,
            "template": DEFAULT_TEMPLATE,
            "inputs": 1,
            "dup_inputs": 0,
            "success": 0,
            "fails": 0,
            "pages": 1,
            "created": iso(self.created),
            "trigger": "sim@example.com",
            "job_time": 0,
            "queue_time": QUEUE_MS,
        }
        body.update(state)
        _derive(body, self.created)
        if self.capitalized:
            return {key[:1].upper() + key[1:]: value for key, value in body.items()}
        return body


def _derive(body: dict[str, Any], created: datetime) -> None:
    """Fill the fields a state left out from the ones it gave, so the numbers stay consistent."""
    inputs, success, fails = body.get("inputs"), body.get("success"), body.get("fails")
    if isinstance(inputs, int) and isinstance(success, int) and isinstance(fails, int):
        body.setdefault("success_rate", round(success / inputs, 4) if inputs else 0)
        body.setdefault("pages_left", 0 if body.get("status") == "done" else max(inputs - success - fails, 0))
        body.setdefault("lines", success)
        body.setdefault("navigations", success + fails)
    started = None
    if body.get("status") != "building" and isinstance(body.get("queue_time"), int):
        started = created + timedelta(milliseconds=body["queue_time"])
    body.setdefault("started", iso(started) if started else None)
    finished = None
    if started and body.get("status") in TERMINAL and isinstance(body.get("job_time"), int):
        finished = started + timedelta(milliseconds=body["job_time"])
    body.setdefault("finished", iso(finished) if finished else None)


class BrightDataSimulator(LoopbackServer):
    """Loopback Bright Data API: ``with BrightDataSimulator(token="t0k3n") as bd: ...`` then use ``bd.url``."""

    fault_kinds = frozenset({"timeout", "slow", "bad_json", "empty", "missing_fields", "wrong_types", "html", "reset"})
    chaos_kinds = frozenset(
        {"500", "502", "503", "429", "429_no_retry_after", "timeout", "slow", "bad_json", "empty"}
        | {"missing_fields", "wrong_types", "reset"}
    )

    def __init__(
        self,
        token: str = "t0k3n",  # noqa: S107 - the fake token of a loopback fake
        *,
        base_time: datetime | str | None = None,
    ) -> None:
        """``base_time`` is the default ``created`` of the first job (later jobs are one second apart)."""
        super().__init__()
        self._token: str | None = token
        self._jobs: dict[str, _Job] = {}
        self._seq = 0
        self._base = _parse_time(base_time) if base_time else datetime.now(UTC).replace(microsecond=0)
        self._jobs_lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------------------------
    def add_job(
        self,
        job_id: str,
        states: list[dict[str, Any]],
        *,
        collector: str = DEFAULT_COLLECTOR,
        capitalized: bool = False,
        errors: list[dict[str, Any]] | None = None,
        created: datetime | str | None = None,
    ) -> None:
        """Add (or replace) a job that shows ``states[0]`` until ``tick()`` advances it."""
        if not states:
            raise ValueError("a job needs at least one state")
        with self._jobs_lock:
            moment = _parse_time(created) if created else self._base + timedelta(seconds=self._seq)
            self._seq += 1
            copies = [dict(state) for state in states]
            self._jobs[job_id] = _Job(job_id, copies, collector, moment, capitalized, list(errors or []))

    def tick(self, steps: int = 1) -> None:
        """Move every job ``steps`` states forward; a job stays on its last state."""
        with self._jobs_lock:
            for job in self._jobs.values():
                job.step = min(job.step + steps, len(job.states) - 1)

    def set_state(self, job_id: str, state: Mapping[str, Any]) -> None:
        """Replace the job's current state (still merged over the job's defaults)."""
        with self._jobs_lock:
            job = self._jobs[job_id]
            job.states[job.step] = dict(state)

    def set_errors(self, job_id: str, errors: list[dict[str, Any]]) -> None:
        """Replace the records ``/dca/jobs/{job_id}/hp_errors`` returns."""
        with self._jobs_lock:
            self._jobs[job_id].errors = list(errors)

    def remove_job(self, job_id: str) -> None:
        """Forget the job, as Bright Data does when it expires: every endpoint then answers 404."""
        with self._jobs_lock:
            self._jobs.pop(job_id, None)

    def job(self, job_id: str) -> dict[str, Any]:
        """The body ``GET /dca/log/{job_id}`` would return now (``KeyError`` if unknown)."""
        with self._jobs_lock:
            return self._jobs[job_id].body()

    def revoke_token(self) -> None:
        """Make every request 401 until ``set_token``."""
        self._token = None

    def set_token(self, token: str) -> None:
        """Accept ``Bearer <token>`` from now on."""
        self._token = token

    # -- routes ----------------------------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        """Serve the three Scraper Studio endpoints behind bearer-token auth."""
        if self._token is None or request.headers.get("Authorization") != f"Bearer {self._token}":
            return Response.json(401, {"error": "Unauthorized"})
        if request.method != "GET":
            return Response.json(405, {"error": "method not allowed"})
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["dca", "log"]:
            return self._log(parts[2])
        if parts == ["dca", "collector", "jobs"]:
            return self._list(request.query)
        if len(parts) == 4 and parts[:2] == ["dca", "jobs"] and parts[3] == "hp_errors":
            return self._errors(parts[2])
        return Response.json(404, {"error": "not found"})

    def _log(self, job_id: str) -> Response:
        with self._jobs_lock:
            job = self._jobs.get(job_id)
            body = job.body() if job else None
        return Response.json(200, body) if body else Response.json(404, {"error": "job not found"})

    def _errors(self, job_id: str) -> Response:
        with self._jobs_lock:
            job = self._jobs.get(job_id)
            errors = list(job.errors) if job else None
        return Response.json(200, errors) if errors is not None else Response.json(404, {"error": "job not found"})

    def _list(self, query: dict[str, str]) -> Response:
        try:
            first, last = date.fromisoformat(query["from_date"]), date.fromisoformat(query["to_date"])
            offset, limit = int(query.get("offset", "0")), int(query.get("limit", "100"))
        except KeyError as missing:
            return Response.json(400, {"error": f"{missing.args[0]} is required"})
        except ValueError as bad:
            return Response.json(400, {"error": str(bad)})
        if limit > MAX_LIMIT:
            return Response.json(400, {"error": f"limit must be <= {MAX_LIMIT}"})
        if limit < 0 or offset < 0:
            return Response.json(400, {"error": "offset and limit must be >= 0"})
        collector = query.get("collector")
        with self._jobs_lock:
            jobs = [
                job
                for job in self._jobs.values()
                if (collector is None or job.collector == collector) and first <= job.created.date() <= last
            ]
            jobs.sort(key=lambda job: (job.created, job.job_id), reverse=True)
            bodies = [job.body() for job in jobs[offset : offset + limit]]
        return Response.json(200, bodies)

    # -- payload faults --------------------------------------------------------------------------------------
    def status_fault(self, kind: str, headers: dict[str, str] | None, body: bytes | None) -> Response:
        """Status faults carry a Bright Data style JSON error body unless one was given."""
        response = super().status_fault(kind, headers, body)
        if body is None:
            response.body = Response.json(response.status, {"error": f"simulated {response.status}"}).body
        return response

    def payload_fault(self, kind: str, request: Request) -> Response:
        """Malformed 200 answers: truncated JSON, empty body, missing fields, wrong types or an HTML page."""
        job_id = request.path.strip("/").split("/")[2] if request.path.startswith("/dca/log/") else "j_sim"
        if kind == "bad_json":
            return Response(200, b'{"id": "j_')
        if kind == "empty":
            return Response(200, b"")
        if kind == "html":
            page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
            return Response.text(200, page, content_type="text/html")
        if kind == "missing_fields":
            item: dict[str, Any] = {"id": job_id}
        else:  # wrong_types
            item = {"id": job_id, "status": 7, "inputs": "lots", "success_rate": "n/a", "pages_left": [], "created": 1}
        return Response.json(200, item if request.path.startswith("/dca/log/") else [item])


def _state(status: str, inputs: int, success: int, fails: int, step: int) -> dict[str, Any]:
    done = status == "done"
    return {
        "status": status,
        "inputs": inputs,
        "success": success,
        "fails": fails,
        "pages": 1,
        "pages_left": 0 if done else max(inputs - success - fails, 0),
        "success_rate": round(success / inputs, 4) if inputs else 0,
        "lines": success,
        "navigations": success + fails,
        "job_time": step * STEP_MS,
        "queue_time": QUEUE_MS,
    }


def lifecycle(kind: str, *, inputs: int = 100, steps: int = 4) -> list[dict[str, Any]]:
    """Scripted states (``steps`` of them) for ``add_job``; ``kind`` is one of ``LIFECYCLE_KINDS``.

    "ok": building, running with growing success, done at success_rate 1.0. "fail"/"cancel": running with
    growing success, then failed/cancelled with the work left undone. "low_rate": like "ok" but ends done with
    half the inputs failed. "hang": identical running states (no progress at all). "slow_progress": running,
    one more success per step.
    """
    if kind not in LIFECYCLE_KINDS:
        raise ValueError(f"unknown lifecycle {kind!r}; expected one of {LIFECYCLE_KINDS}")
    if steps < 2 or inputs < 1:
        raise ValueError("lifecycle needs steps >= 2 and inputs >= 1")
    if kind == "hang":
        return [_state("running", inputs, inputs // 10, 0, 1) for _ in range(steps)]
    if kind == "slow_progress":
        return [_state("running", inputs, min(i, inputs), 0, i) for i in range(steps)]
    last = steps - 1
    if kind in ("fail", "cancel"):
        running = [_state("running", inputs, inputs * i // (2 * steps), 0, i) for i in range(last)]
        end = "failed" if kind == "fail" else "cancelled"
        return [*running, _state(end, inputs, running[-1]["success"], 0, last)]
    half = inputs // 2 if kind == "low_rate" else 0
    ratio = (inputs - half) / inputs
    running = [_state("running", inputs, round(inputs * i / last * ratio), half * i // last, i) for i in range(1, last)]
    return [_state("building", inputs, 0, 0, 0), *running, _state("done", inputs, inputs - half, half, last)]
