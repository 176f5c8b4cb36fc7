"""`make bench`: one table of what a monitoring run costs, measured in one go on this machine.

The Bright Data simulator (50 ms added latency) and moto each run in a process of their own; every measured
scenario runs in a fresh worker process (tests/bench/worker.py), so its wall time and peak memory are the
monitor's alone. `python -m tests.bench --update-readme` also writes the table into the README.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.format import report
from tests.bench.servers import Servers, servers
from tests.bench.world import aws_env, fresh_table, provision_shared, settings_env

ROOT = Path(__file__).resolve().parents[2]
SIZES = (100, 1000, 5000)
NAIVE_UP_TO = 1000  # the naive loop at 5000 jobs would take minutes and prove nothing new
CONCURRENCY = 16
LATENCY = 0.05
REPEAT_RUNS, REPEAT_JOBS = 20, 1000


def worker(servers: Servers, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario in a fresh interpreter; its last output line is the JSON result."""
    env = {**os.environ, **aws_env(servers), "POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_TRACE_DISABLED": "true"}
    spec = {**spec, "bd_url": servers.bd_url, "aws_url": servers.aws_url}
    command = [sys.executable, "-m", "tests.bench.worker", json.dumps(spec)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {spec['scenario']} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def scenario(servers: Servers, topic: str, n: int, kind: str, **spec: Any) -> dict[str, Any]:
    """A fresh table of `n` tracked jobs and as many simulated jobs, then one worker scenario against them."""
    table = f"bench-{kind}-{n}"
    servers.control("reset")
    servers.control("latency", seconds=LATENCY)
    servers.control("jobs", prefix="j_bench", n=n, steps=50)
    fresh_table(servers, table, n)
    # Every job every run: the cost of a full run (adaptive polling is measured on its own, in day.py)
    env = settings_env(
        servers, table, topic, JOBWATCH_CONCURRENCY=str(CONCURRENCY), JOBWATCH_MAX_POLL_INTERVAL_MINUTES="0"
    )
    started = time.monotonic()
    result = worker(servers, {"scenario": kind, "env": env, **spec})
    print(f"  {kind} N={n}: {time.monotonic() - started:.1f} s", flush=True)
    return {"n": n, "ideal": math.ceil(n / CONCURRENCY) * LATENCY, **result}


def import_seconds(module: str, times: int = 7) -> float:
    """Median cold import time of `module` in a fresh interpreter (no bytecode compile: caches are warm)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"}
    samples = [
        float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
        for _ in range(times)
    ]
    return statistics.median(samples)


def main(argv: list[str]) -> int:
    print(f"jobwatch bench on {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    imports = {"boto3": import_seconds("boto3"), "jobwatch.handler": import_seconds("jobwatch.handler")}
    with servers() as srv:
        topic = provision_shared(srv)
        sizes = [scenario(srv, topic, n, "size", naive=n <= NAIVE_UP_TO) for n in SIZES]
        repeat = scenario(srv, topic, REPEAT_JOBS, "repeat", runs=REPEAT_RUNS)
    from tests.bench.day import simulate_day  # noqa: PLC0415 - in-process moto: loaded after the servers stop

    day = simulate_day()
    text = report(sizes, repeat, imports, day, LATENCY)
    print(text)
    if "--update-readme" in argv:
        from tests.support.readme import write_section  # noqa: PLC0415

        write_section("performance", text)
        print("README.md: performance section updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
