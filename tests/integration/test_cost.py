"""What a run costs in AWS calls, counted on the monitor's own DynamoDB client: the work list is Query pages on
the active index (never a Scan, never a read per job), and a job whose snapshot did not change is not written."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from jobwatch.store import WORK_PAGE_SIZE
from tests.support.harness import Harness

NOW = 1_760_000_000.0
JOBS = 250  # two Query pages of the work list


def count_calls(harness: Harness) -> Counter[str]:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    harness.store._client.meta.events.register("before-call.dynamodb", count)
    return calls


def test_a_run_reads_query_pages_and_writes_only_what_changed(harness: Harness) -> None:
    # Given 250 running jobs, tracked and polled once
    job_ids = [f"j_cost{n:06d}" for n in range(JOBS)]
    for job_id in job_ids:
        harness.bd.add_job(job_id, [{"status": "running", "inputs": 100, "success": s, "fails": 0} for s in (1, 2)])
    harness.track(*job_ids)
    harness.run(now=NOW)
    calls = count_calls(harness)

    # When a run finds nothing changed
    unchanged = harness.run(now=NOW + 300)

    # Then it read the monitor item and the work list's Query pages, and wrote nothing
    pages = math.ceil(JOBS / WORK_PAGE_SIZE)
    assert (unchanged.polled, unchanged.changed) == (JOBS, 0)
    assert calls == {"GetItem": 1, "Query": pages + 1}  # + the watched collectors, from the same index

    # When every job moves on the next run
    calls.clear()
    harness.bd.tick()
    moved = harness.run(now=NOW + 600)

    # Then each job cost exactly one write, and still no Scan and no read per job
    assert moved.changed == JOBS
    assert calls == {"GetItem": 1, "Query": pages + 1, "UpdateItem": JOBS}
