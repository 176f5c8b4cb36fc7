"""Soak: the real monitor, run after run, against a Bright Data, Slack, SNS and DynamoDB that keep failing.

CI size: 200 jobs over 30 runs; `JOBWATCH_SOAK_SIZE=full` (make soak): 1000 jobs over 100 runs. After the
faults stop and a few clean runs pass, every invariant is checked and the figures are printed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from jobwatch.poller import NOT_FOUND
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from tests.soak.world import T0, Size, Soak
from tests.support.harness import TOKEN, Aws

pytestmark = pytest.mark.soak
BLOCK_THRESHOLD = 25  # Bright Data blocks an IP after 25 responses 429 within five minutes
POLL_FAILED = {"poll failed; keeping the last snapshot", "job failed unexpectedly; the run goes on"}
ACK_FAILED = "could not record deliveries; they may be sent again next run"


@pytest.fixture
def soak(aws: Aws, slack: SlackReceiver, caplog: pytest.LogCaptureFixture) -> Iterator[Soak]:
    caplog.set_level(logging.INFO)
    with BrightDataSimulator(token=TOKEN, base_time=T0) as bd:
        bd.timeout_delay = 0.45  # just above the monitor's 0.3 s HTTP timeout
        bd.slow_delay = 0.1
        world = Soak.build(Size.from_env(), aws, bd, slack)
        started = time.monotonic()
        world.drive()
        world.wall_seconds = time.monotonic() - started
        yield world


def test_no_alert_is_lost_or_repeated_and_no_run_crashes_under_chaos(
    soak: Soak, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the soak has run (fixture): chaos first, then clean runs
    settings = soak.containers[0].settings
    summaries = soak.summaries()
    # The runs happened in the fixture, so their log lines are the setup phase's
    logs = [r for r in caplog.get_records("setup") if r.levelno >= logging.INFO]

    # When the deliveries, the logs and the table are read back
    expected = soak.expected_alerts(settings.max_running_minutes)
    delivered = {"slack": soak.slack_deliveries(), "email": soak.email_deliveries()}
    ack_failed_jobs = Counter(getattr(r, "job_id", None) for r in logs if r.getMessage() == ACK_FAILED)
    duplicates = {
        channel: {alert_id: n - 1 for alert_id, n in counts.items() if n > 1} for channel, counts in delivered.items()
    }
    windows = soak.rate_limit_windows()
    figures = _figures(soak, expected, delivered, duplicates, summaries)
    with capsys.disabled():
        print("\n" + "\n".join(figures))

    # Then no run crashed
    assert soak.crashes == [], "\n".join(soak.crashes)
    assert len(summaries) == sum(w[1] for w in windows)
    # And every expected alert reached every channel, and nothing else was sent
    for channel, counts in delivered.items():
        assert expected - set(counts) == set(), f"alerts lost on {channel}"
        assert set(counts) - expected == set(), f"unexpected alerts on {channel}"
    # And every duplicate is explained by an acknowledging write of that job that failed
    for channel, repeats in duplicates.items():
        for alert_id, extra in repeats.items():
            job_id = "#monitor" if alert_id.startswith("monitor/") else alert_id.split("/")[0]
            story = "\n".join(_story(logs, job_id))
            assert ack_failed_jobs[job_id] >= extra, f"{alert_id} sent {extra + 1} times on {channel}:\n{story}"
    assert sum(s.ack_failures for s in summaries) == sum(ack_failed_jobs.values())
    # And every poll failure was counted in a summary and logged with its job id
    failure_logs = [r for r in logs if r.getMessage() in POLL_FAILED]
    assert sum(s.errors for s in summaries) == len(failure_logs)
    assert {j for s in summaries for j in s.error_ids} <= {getattr(r, "job_id", None) for r in failure_logs}
    assert sum(s.delivery_failures for s in summaries) == sum(r.getMessage() == "delivery failed" for r in logs)
    # And 429s stay within what the runs in flight can receive, far below the block threshold in ordinary runs
    for slot in soak.slots:
        assert slot.responses_429 <= sum(s.concurrency for s in slot.summaries)
        if slot.index != soak.size.storm_run:
            assert slot.responses_429 < BLOCK_THRESHOLD // 2
    # And the table ends equal to Bright Data's final state, with nothing owed and no lease held
    for plan in soak.plans:
        record = soak.containers[0].store.get_job(plan.job_id)
        assert record is not None and record.pending == {} and record.lease_owner is None
        if plan.vanish_run is not None:
            assert (record.last_error, record.active) == (NOT_FOUND, False)
        else:
            assert record.snapshot == soak.final_snapshot(plan), plan.job_id
            assert record.active is not record.snapshot.terminal


def _figures(
    soak: Soak,
    expected: set[str],
    delivered: dict[str, Counter[str]],
    duplicates: dict[str, dict[str, int]],
    summaries: list,  # type: ignore[type-arg]
) -> list[str]:
    windows = soak.rate_limit_windows()
    ordinary = [n for index, _, n in windows if index != soak.size.storm_run]
    storm = next(n for index, _, n in windows if index == soak.size.storm_run)
    kinds = Counter(alert_id.split("/")[1] for alert_id in expected)
    return [
        f"soak: {len(soak.plans)} jobs, {len(windows)} slots of 5 simulated minutes, {len(summaries)} runs "
        f"({sum(1 for w in windows if w[1] == 2)} slots with two at once), {soak.wall_seconds:.1f} s wall",
        f"  Bright Data requests: {soak.bd.count()}, faults {dict(sorted(soak.bd.faults.items()))}",
        f"  Slack faults {dict(sorted(soak.slack.faults.items()))}; "
        f"AWS faults {dict(sorted(soak.faults.injected.items()))}",
        f"  alerts expected {len(expected)} {dict(sorted(kinds.items()))}",
        *(
            f"  {channel}: delivered {len(counts)} distinct, {sum(counts.values())} messages, "
            f"lost {len(expected - set(counts))}, unexpected {len(set(counts) - expected)}, "
            f"duplicated {len(duplicates[channel])} ({sum(duplicates[channel].values())} extra)"
            for channel, counts in delivered.items()
        ),
        f"  acknowledging writes failed: {sum(s.ack_failures for s in summaries)}; delivery failures "
        f"{sum(s.delivery_failures for s in summaries)}; poll errors {sum(s.errors for s in summaries)}; "
        f"runs stopped by 429: {sum(s.rate_limited for s in summaries)}",
        f"  429s per 5 simulated minutes: mean {sum(ordinary) / len(ordinary):.2f}, max {max(ordinary)} "
        f"(storm slot, two runs at once: {storm}; block threshold {BLOCK_THRESHOLD})",
        f"  crashes: {len(soak.crashes)}",
    ]


def _story(logs: list[logging.LogRecord], job_id: str) -> list[str]:
    """The log lines about one job, for a failure message."""
    keys = ("job_id", "alert_id", "channel", "error")
    return [
        f"{r.threadName} {r.levelname} {r.getMessage()} {[getattr(r, k, None) for k in keys]}"
        for r in logs
        if getattr(r, "job_id", None) == job_id
    ]
