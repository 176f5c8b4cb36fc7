"""`monitor.run(progress=...)`: the hook behind the CLI's progress line, called once per job polled."""

from __future__ import annotations

import threading

from jobwatch.monitor import run
from tests.support.harness import Harness

NOW = 1_760_000_000.0


def test_run_reports_progress_once_per_job_from_the_workers(harness: Harness) -> None:
    # Given eight tracked jobs
    job_ids = [f"j_progress{n:04d}" for n in range(8)]
    for job_id in job_ids:
        harness.bd.add_job(job_id, [{"status": "running", "inputs": 10, "success": 1, "fails": 0}])
    harness.track(*job_ids)
    calls: list[tuple[int, int]] = []
    lock = threading.Lock()

    def progress(done: int, total: int) -> None:
        with lock:
            calls.append((done, total))

    # When one run polls them with a progress callback
    summary = run(harness.monitor, clock=lambda: NOW, progress=progress)

    # Then every job was counted exactly once, out of eight
    assert summary.polled == 8
    assert sorted(calls) == [(n, 8) for n in range(1, 9)]
