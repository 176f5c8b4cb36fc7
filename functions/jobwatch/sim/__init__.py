"""Loopback simulators of the services jobwatch talks to: Bright Data, a Slack webhook, and AWS (moto).

This module holds the machinery the two HTTP simulators share: a quiet, threaded HTTP/1.1 server bound to
127.0.0.1 on an ephemeral port, with scripted and seeded-random fault injection, optional added latency and a
thread-safe request log. ``jobwatch.sim.brightdata`` and ``jobwatch.sim.slack`` subclass ``LoopbackServer``;
nothing is re-exported here so that importing one simulator never imports the others. (It is longer than the
house ~150 lines because the shared server has to live in this file; a private ``_server`` module would be the
natural split.)
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import threading
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self

# Chaos kinds that are answered with a plain HTTP status (the rest are handled by the server or subclass).
STATUS_KINDS = frozenset({"400", "401", "403", "404", "410", "429", "429_no_retry_after", "500", "502", "503"})
TIMING_KINDS = frozenset({"slow", "timeout"})


class RequestRecord(NamedTuple):
    """One request as the simulator answered it; ``status`` is 0 when the connection was reset."""

    time: float
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class Request:
    """A parsed incoming request handed to ``LoopbackServer.route``."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes


@dataclass
class Response:
    """What the simulator sends back; the handler always adds Content-Length."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        """A JSON response with ``payload`` serialised compactly."""
        return cls(status, json.dumps(payload, separators=(",", ":")).encode(), headers=dict(headers or {}))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain") -> Response:
        """A plain-text (or other textual content type) response."""
        return cls(status, text.encode(), content_type=f"{content_type}; charset=utf-8")


@dataclass
class _ScriptedFault:
    kind: str
    remaining: int
    path_prefix: str
    headers: dict[str, str] | None = None
    body: bytes | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    server: _HTTPServer
    timeout = 60  # an idle keep-alive connection frees its thread after this many seconds
    # One buffered write per response (flushed by the base class) and no Nagle: otherwise a small response
    # split into header and body segments waits ~40 ms on the client's delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.owner.track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client went away mid-response (e.g. after its own timeout)
            super().finish()
        self.server.owner.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the simulators run under tests, demos and benchmarks."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urllib.parse.urlsplit(self.path)
        query = {key: values[0] for key, values in urllib.parse.parse_qs(split.query).items()}
        response = self.server.owner.handle(Request(self.command, split.path, query, self.headers, body), self.path)
        if response is None:
            self._reset()
            return
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:  # the client hung up (timeout fault): nothing left to tell it
            self.close_connection = True

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send a TCP RST instead of a graceful FIN.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, owner: LoopbackServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that disconnect; faults make that routine."""


class LoopbackServer(ABC):
    """Base of the HTTP simulators: lifecycle, fault injection, latency and the request log."""

    fault_kinds: frozenset[str] = frozenset({"reset", "slow", "timeout"})
    chaos_kinds: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.latency = 0.0
        self.slow_delay = 0.3
        self.timeout_delay = 2.0
        self.retry_after = "1"  # Retry-After sent by chaos "429" faults
        self.requests: list[RequestRecord] = []
        self.faults: Counter[str] = Counter()
        self.responses_429_times: list[float] = []
        self._lock = threading.RLock()
        self._scripted: list[_ScriptedFault] = []
        self._rng: random.Random | None = None
        self._rates: list[tuple[str, float]] = []
        self._chaos_prefix = ""
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind 127.0.0.1 on an ephemeral port and serve in a daemon thread; returns ``self``."""
        if self._httpd is None:
            self._httpd = _HTTPServer(self)
            # A short poll interval keeps stop() (and so every test teardown) fast.
            serve = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
            self._thread = serve
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections so clients cannot keep talking to a dead sim."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL ``http://127.0.0.1:PORT`` (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember (or forget) an open client connection; used by the request handler."""
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- fault injection -------------------------------------------------------------------------------------
    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        path_prefix: str = "",
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
    ) -> None:
        """Answer the next ``count`` requests whose path starts with ``path_prefix`` with ``status``."""
        raw = body.encode() if isinstance(body, str) else body
        fault = _ScriptedFault(str(status), count, path_prefix, dict(headers) if headers is not None else None, raw)
        with self._lock:
            self._scripted.append(fault)

    def fail_next_kind(self, kind: str, count: int = 1, *, path_prefix: str = "") -> None:
        """Inject a non-status fault (see ``fault_kinds``) into the next ``count`` matching requests."""
        if kind not in self.fault_kinds:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(self.fault_kinds)}")
        with self._lock:
            self._scripted.append(_ScriptedFault(kind, count, path_prefix))

    def chaos(self, seed: int | None, rates: Mapping[str, float] | None = None, *, path_prefix: str = "") -> None:
        """Give each matching request a fault with probability ``rates[kind]``; ``seed=None`` turns chaos off.

        One draw of ``random.Random(seed)`` per request, so the sequence of faults is reproducible for a seed
        whenever requests arrive in the same order.
        """
        unknown = set(rates or {}) - self.chaos_kinds
        if unknown:
            raise ValueError(f"unknown chaos kinds {sorted(unknown)}; expected some of {sorted(self.chaos_kinds)}")
        with self._lock:
            self._rng = None if seed is None else random.Random(seed)
            self._rates = list((rates or {}).items())
            self._chaos_prefix = path_prefix

    def calm(self) -> None:
        """Turn chaos off (same as ``chaos(None)``); scripted faults still pending stay armed."""
        self.chaos(None)

    # -- observability ---------------------------------------------------------------------------------------
    def count(self, path_prefix: str = "", status: int | None = None) -> int:
        """How many requests matched ``path_prefix`` (and ``status`` if given)."""
        with self._lock:
            records = list(self.requests)
        return sum(1 for r in records if r.path.startswith(path_prefix) and (status is None or r.status == status))

    def reset_counters(self) -> None:
        """Clear the request log, fault counts and 429 times."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.responses_429_times.clear()

    # -- request handling ------------------------------------------------------------------------------------
    @abstractmethod
    def route(self, request: Request) -> Response:
        """Answer a request normally: each simulator implements its API here."""

    def status_fault(self, kind: str, headers: dict[str, str] | None, body: bytes | None) -> Response:
        """Build the response of a status fault (``kind`` is e.g. "503" or "429_no_retry_after")."""
        status = int(kind.split("_", 1)[0])
        if headers is None:
            headers = {"Retry-After": self.retry_after} if kind == "429" else {}
        return Response(status, body if body is not None else b"", headers=headers)

    def payload_fault(self, kind: str, request: Request) -> Response:
        """Build the response of a malformed-payload fault; subclasses that offer such kinds override this."""
        raise ValueError(f"{type(self).__name__} has no payload fault {kind!r}")

    def handle(self, request: Request, raw_path: str) -> Response | None:
        """Apply faults and latency around ``route``; ``None`` means reset the connection."""
        fault = self._next_fault(request.path) or _ScriptedFault("", 1, "")
        kind = fault.kind
        if kind:
            with self._lock:  # counted on arrival, so a client that timed out already sees it
                self.faults[kind] += 1
        delay = self.latency
        response: Response | None = None
        if kind in STATUS_KINDS or kind.isdigit():
            response = self.status_fault(kind, fault.headers, fault.body)
        elif kind and kind not in TIMING_KINDS and kind != "reset":
            response = self.payload_fault(kind, request)
        elif kind != "reset":
            delay += {"slow": self.slow_delay, "timeout": self.timeout_delay}.get(kind, 0.0)
            response = self.route(request)
        if delay > 0:
            time.sleep(delay)
        now = time.monotonic()
        with self._lock:
            status = response.status if response else 0
            self.requests.append(RequestRecord(now, request.method, raw_path, status))
            if status == 429:
                self.responses_429_times.append(now)
        return response

    def _next_fault(self, path: str) -> _ScriptedFault | None:
        with self._lock:
            for fault in self._scripted:
                if path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._scripted.remove(fault)
                    return fault
            if self._rng is None or not path.startswith(self._chaos_prefix):
                return None
            draw = self._rng.random()
        for kind, rate in self._rates:
            if draw < rate:
                return _ScriptedFault(kind, 1, "")
            draw -= rate
        return None
