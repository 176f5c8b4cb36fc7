"""A loopback Lambda Runtime API (version 2018-06-01): it hands events to a runtime client process
(awslambdaric) the way Lambda does, and records what the client answers.

Only the endpoints a Python function's runtime client uses: invocation/next, invocation/{id}/response,
invocation/{id}/error and init/error.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"


@dataclass(frozen=True)
class Outcome:
    """What the runtime client reported: "response", "error" (the handler raised) or "init_error"."""

    kind: str
    body: bytes
    error_type: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Invocation:
    request_id: str
    event: bytes
    deadline_ms: int
    trace_id: str


class RuntimeApi:
    """`with RuntimeApi(function_arn) as api:` start the client with AWS_LAMBDA_RUNTIME_API=api.address."""

    def __init__(self, function_arn: str, timeout_seconds: float = 120) -> None:
        self.function_arn = function_arn
        self.timeout_seconds = timeout_seconds
        self.trace_ids: list[str] = []
        self._pending: queue.Queue[_Invocation] = queue.Queue()
        self._outcomes: dict[str, queue.Queue[Outcome]] = {}
        self._init_error: Outcome | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._running = False

    @property
    def address(self) -> str:
        """host:port, the form AWS_LAMBDA_RUNTIME_API takes."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> RuntimeApi:
        self._running = True
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._running = False
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: Any, wait_seconds: float = 60, alive: Any = None) -> Outcome:
        """Queue `event` for invocation/next and wait for the client's answer (or its init error).

        `alive`, if given, is called while waiting; a false answer (the process died) ends the wait early.
        """
        request_id = str(uuid.uuid4())
        root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        trace_id = f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=1"
        answers: queue.Queue[Outcome] = queue.Queue()
        with self._lock:
            self._outcomes[request_id] = answers
            self.trace_ids.append(root)
        deadline_ms = int((time.time() + self.timeout_seconds) * 1000)
        self._pending.put(_Invocation(request_id, json.dumps(event).encode(), deadline_ms, trace_id))
        give_up = time.monotonic() + wait_seconds
        while time.monotonic() < give_up:
            if self._init_error is not None:
                return self._init_error
            try:
                return answers.get(timeout=0.1)
            except queue.Empty:
                if alive is not None and not alive():
                    return self._init_error or Outcome("exited", b"")
        raise TimeoutError(f"no answer to invocation {request_id} within {wait_seconds} s")

    # -- what the HTTP handler calls ------------------------------------------------------------------------
    def next_invocation(self) -> _Invocation | None:
        while self._running:
            try:
                return self._pending.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def record(self, request_id: str | None, outcome: Outcome) -> bool:
        if request_id is None:
            self._init_error = outcome
            return True
        with self._lock:
            answers = self._outcomes.get(request_id)
        if answers is None:
            return False
        answers.put(outcome)
        return True


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the function's own output is what matters in a failing test."""

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._reply(404, {"errorType": "NotFound"})
                return
            invocation = api.next_invocation()
            if invocation is None:  # shutting down
                self._reply(500, {"errorType": "ShuttingDown"})
                return
            self._reply(
                200,
                invocation.event,
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": invocation.trace_id,
                },
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                known = api.record(None, Outcome("init_error", body, error_type))
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                known = api.record(parts[1], Outcome(parts[2], body, error_type))
            else:
                known = False
            self._reply(202 if known else 404, {"status": "OK"} if known else {"errorType": "NotFound"})

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
