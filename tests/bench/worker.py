"""One measured scenario in a fresh interpreter: `python -m tests.bench.worker '<json spec>'`.

Builds the real monitor (`build_monitor`) against the bench servers, runs it, and prints one JSON line with
wall times, HTTP requests, DynamoDB calls by kind and memory. A fresh process per scenario keeps the peak
resident set (VmHWM) the scenario's own.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from jobwatch.monitor import Monitor, run
from jobwatch.runtime import build_monitor
from jobwatch.settings import load_settings
from tests.bench.measure import DynamoCalls, memory_mb
from tests.bench.naive import naive_run
from tests.bench.servers import TOKEN, Servers
from tests.bench.world import session


def timed_run(monitor: Monitor, servers: Servers, calls: DynamoCalls) -> dict[str, Any]:
    """One scheduled run, with what it cost."""
    before = servers.log_requests()
    started = time.perf_counter()
    summary = run(monitor)
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "http": servers.log_requests() - before,
        "dynamodb": calls.take(),
        "polled": summary.polled,
        "changed": summary.changed,
        "errors": summary.errors,
        "concurrency": summary.concurrency,
    }


def scenario_size(spec: dict[str, Any], monitor: Monitor, servers: Servers, calls: DynamoCalls) -> dict[str, Any]:
    """First poll of every job (all new), then a run where nothing changed, then one where every job moved."""
    first = timed_run(monitor, servers, calls)
    unchanged = timed_run(monitor, servers, calls)
    servers.control("tick")
    changed = timed_run(monitor, servers, calls)
    result = {"first": first, "unchanged": unchanged, "changed": changed, "peak_rss_mb": memory_mb("VmHWM")}
    if spec.get("naive"):
        dynamodb = session(servers).client("dynamodb")
        result["naive_wall"] = naive_run(dynamodb, spec["env"]["JOBWATCH_TABLE_NAME"], servers.bd_url, TOKEN)
    return result


def scenario_repeat(spec: dict[str, Any], monitor: Monitor, servers: Servers, calls: DynamoCalls) -> dict[str, Any]:
    """`runs` consecutive runs in this one process, as a warm Lambda container does; every other one after a
    tick, so half the runs write every job. Resident memory after each run."""
    rss = []
    for i in range(spec["runs"]):
        if i % 2:
            servers.control("tick")
        timed_run(monitor, servers, calls)
        rss.append(memory_mb("VmRSS"))
    return {"rss_mb": rss, "peak_rss_mb": memory_mb("VmHWM")}


def main() -> None:
    spec = json.loads(sys.argv[1])
    servers = Servers(spec["bd_url"], spec["aws_url"])
    aws = session(servers)
    calls = DynamoCalls(aws)
    monitor = build_monitor(load_settings(spec["env"]), aws)
    scenario = {"size": scenario_size, "repeat": scenario_repeat}[spec["scenario"]]
    print(json.dumps(scenario(spec, monitor, servers, calls)), flush=True)


if __name__ == "__main__":
    main()
