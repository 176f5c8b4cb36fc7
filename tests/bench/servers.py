"""The bench's two servers, each in a process of its own: the Bright Data simulator and a moto server.

The simulator gets a few control routes under /_bench/ (add jobs, tick, latency, request counts) so the
orchestrator and the worker processes can script it over HTTP; they bypass the token like a test hook would.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import urllib3

from jobwatch.sim import Request, Response
from jobwatch.sim.brightdata import BrightDataSimulator, lifecycle

TOKEN = "bench-token-5e1d"  # the fake token of a loopback fake
CONTROL = "/_bench/"


class BenchSimulator(BrightDataSimulator):
    """The simulator plus control routes; everything else is the simulator the tests use."""

    def handle(self, request: Request, raw_path: str) -> Response | None:
        if request.path.startswith(CONTROL):
            return self._control(request.path.removeprefix(CONTROL), json.loads(request.body or b"{}"))
        return super().handle(request, raw_path)

    def _control(self, action: str, args: dict[str, Any]) -> Response:
        if action == "jobs":
            states = lifecycle(args.get("kind", "slow_progress"), inputs=args.get("inputs", 1000), steps=args["steps"])
            for i in range(args["n"]):
                self.add_job(f"{args['prefix']}{i:06d}", states)
        elif action == "tick":
            self.tick(args.get("steps", 1))
        elif action == "latency":
            self.latency = float(args["seconds"])
        elif action == "reset":
            with self._jobs_lock:
                self._jobs.clear()
            self.reset_counters()
        elif action != "count":
            return Response.json(404, {"error": f"no control action {action!r}"})
        with self._lock:
            count = sum(1 for r in self.requests if r.path.startswith("/dca/log/"))
        return Response.json(200, {"log_requests": count})


def _serve_simulator(conn: Connection) -> None:
    with BenchSimulator(token=TOKEN) as sim:
        conn.send(sim.url)
        conn.recv()  # any message, or the parent going away, ends the server


def _serve_moto(conn: Connection) -> None:
    from jobwatch.sim.aws import moto_server  # noqa: PLC0415 - moto loads in this process only
    from tests.bench import fast_moto  # noqa: PLC0415
    from tests.support import atomic_moto  # noqa: PLC0415

    fast_moto.install()
    atomic_moto.install()  # conditional writes atomic per item, as in DynamoDB

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
    with moto_server() as url:
        conn.send(url)
        with contextlib.suppress(EOFError):  # the parent went away: stop too
            conn.recv()


@contextmanager
def _process(target: Any, name: str) -> Iterator[str]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(child,), name=name, daemon=True)
    process.start()
    try:
        ready = multiprocessing.connection.wait([parent, process.sentinel], timeout=60)
        if parent not in ready:
            raise RuntimeError(f"{name} did not start within 60 s (exit code {process.exitcode})")
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()


@dataclass(frozen=True)
class Servers:
    bd_url: str
    aws_url: str

    def control(self, action: str, **args: Any) -> dict[str, Any]:
        """Call one /_bench/ control route of the simulator; returns its JSON answer."""
        response = _HTTP.request("POST", f"{self.bd_url}{CONTROL}{action}", body=json.dumps(args).encode())
        if response.status != 200:
            raise RuntimeError(f"simulator control {action} answered {response.status}: {response.data[:200]!r}")
        return dict(json.loads(response.data))

    def log_requests(self) -> int:
        return int(self.control("count")["log_requests"])


_HTTP = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5, read=120), retries=False)


@contextmanager
def servers() -> Iterator[Servers]:
    """Start the simulator and moto, each in its own process; stop both on exit."""
    started = time.monotonic()
    with _process(_serve_simulator, "bench-brightdata") as bd_url, _process(_serve_moto, "bench-moto") as aws_url:
        print(f"servers up in {time.monotonic() - started:.1f} s: Bright Data {bd_url}, moto {aws_url}", flush=True)
        yield Servers(bd_url, aws_url)
