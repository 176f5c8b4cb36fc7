"""Bright Data's error answers: 401, 404, 429, 5xx, timeouts and broken bodies, each handled as the API demands."""

from __future__ import annotations

from jobwatch.monitor import run
from tests.support.harness import Harness

RUNNING = [{"status": "running", "inputs": 100, "success": 10, "fails": 0}]


def _track_running(harness: Harness, *job_ids: str) -> None:
    for job_id in job_ids:
        harness.bd.add_job(job_id, RUNNING)
    harness.track(*job_ids)


def test_a_rejected_token_stops_the_run_and_alerts_once_across_runs(harness: Harness) -> None:
    # Given five tracked jobs and a revoked token
    _track_running(harness, *(f"j_tokenjob{n:04d}" for n in range(5)))
    harness.bd.revoke_token()

    # When three runs happen
    runs = [harness.run(), harness.run(), harness.run()]

    # Then each run stopped at the first 401 (at most one request per worker in flight), one alert in all
    assert all(r.token_rejected and r.polled == 0 for r in runs)
    assert harness.bd.count(path_prefix="/dca/log/", status=401) <= 3 * runs[0].concurrency
    assert harness.slack_kinds() == ["monitor/token_rejected/1"]
    assert harness.sns_alert_ids() == ["monitor/token_rejected/1"]
    assert harness.aws.sns_messages()[0]["attributes"]["severity"] == "critical"

    # When the token is fixed, polling resumes and the flag clears
    harness.bd.set_token("bd-token-7f3c9a1e5b2d4c6a")
    fixed = harness.run()
    assert (fixed.polled, fixed.token_rejected) == (5, False)
    assert harness.store.monitor().meta.get("token_rejected") is False


def test_an_unknown_or_expired_job_gives_one_notice_and_is_no_longer_tracked(harness: Harness) -> None:
    harness.track("j_expiredjob001")  # the simulator has never heard of it: 404

    first = harness.run()
    second = harness.run()

    assert (first.not_found, first.alerts, second.polled) == (1, 1, 0)
    assert harness.slack_kinds() == ["j_expiredjob001/job_not_found/1"]
    item = harness.item("j_expiredjob001")
    assert "active" not in item and item["expires_at"] > 0
    assert harness.bd.count(path_prefix="/dca/log/j_expiredjob001") == 1


def test_a_429_stops_all_requests_for_the_run_and_retry_after_is_honoured(harness: Harness) -> None:
    # Given 40 running jobs, one worker, and Bright Data answering 429 (Retry-After 120 s) to the third request
    harness = Harness.build(harness.aws, harness.bd, harness.slack, JOBWATCH_CONCURRENCY="1")
    _track_running(harness, *(f"j_limited{n:05d}" for n in range(40)))
    start = 1_800_000_000.0
    harness.run(now=start)  # first run: all polled
    harness.bd.reset_counters()
    harness.bd.fail_next(429, count=1, path_prefix="/dca/log/", headers={"Retry-After": "120"})

    limited = harness.run(now=start + 300)

    # Then exactly one 429 was received and no request followed it
    assert limited.rate_limited and harness.bd.count(status=429) == 1
    assert harness.bd.count(path_prefix="/dca/log/") == 1
    assert (limited.polled, limited.left_over) == (0, 40)
    # And the next run inside Retry-After sends nothing; the one after it polls everything
    during = harness.run(now=start + 400)
    assert during.rate_limited and harness.bd.count(path_prefix="/dca/log/") == 1
    after = harness.run(now=start + 500)
    assert not after.rate_limited and after.polled == 40


def test_server_errors_are_retried_with_backoff_then_left_for_the_next_run(harness: Harness) -> None:
    _track_running(harness, "j_flakyjob0001", "j_steadyjob001")
    harness.bd.fail_next(503, count=4, path_prefix="/dca/log/j_flakyjob0001")  # first try + 3 retries

    first = harness.run()

    assert (first.polled, first.errors, first.error_ids) == (1, 1, ["j_flakyjob0001"])
    assert harness.bd.count(path_prefix="/dca/log/j_flakyjob0001") == 4
    assert harness.store.get("j_flakyjob0001").get("snapshot") is None  # type: ignore[union-attr]

    second = harness.run()
    assert (second.polled, second.errors) == (2, 0)
    assert harness.item("j_flakyjob0001")["snapshot"]["status"] == "running"


def test_a_broken_body_is_an_error_for_that_job_alone_and_keeps_its_snapshot(harness: Harness) -> None:
    _track_running(harness, "j_brokenbody01", "j_goodbody0001")
    harness.run()
    before = harness.item("j_brokenbody01")["snapshot"]
    harness.bd.set_state("j_brokenbody01", {"status": "failed"})
    harness.bd.fail_next_kind("bad_json", path_prefix="/dca/log/j_brokenbody01")
    harness.bd.fail_next_kind("wrong_types", path_prefix="/dca/log/j_brokenbody01")
    harness.bd.set_state("j_goodbody0001", {"status": "failed"})

    broken = harness.run()
    wrong = harness.run()

    assert (broken.errors, broken.error_ids) == (1, ["j_brokenbody01"])
    assert (wrong.errors, wrong.error_ids) == (1, ["j_brokenbody01"])
    assert harness.item("j_brokenbody01")["snapshot"] == before
    assert harness.slack_kinds() == ["j_goodbody0001/job_failed/1"]
    harness.run()
    assert harness.slack_kinds() == ["j_goodbody0001/job_failed/1", "j_brokenbody01/job_failed/1"]


def test_a_timeout_is_retried_and_then_left(harness: Harness) -> None:
    harness = Harness.build(harness.aws, harness.bd, harness.slack, JOBWATCH_HTTP_TIMEOUT_SECONDS="0.2")
    harness.bd.timeout_delay = 0.5
    _track_running(harness, "j_slowjob00001")
    harness.bd.fail_next_kind("timeout", count=4, path_prefix="/dca/log/")

    summary = harness.run()

    assert (summary.errors, summary.polled) == (1, 0)
    assert harness.bd.faults["timeout"] == 4  # counted on arrival: the first try and three retries


def test_invalid_job_ids_in_an_on_demand_event_are_rejected_and_never_sent(harness: Harness) -> None:
    harness.bd.add_job("j_ondemandjob1", [{"status": "failed"}])

    summary = harness.run(job_ids=["j_ondemandjob1", "../../dca/trigger", "J_UPPER", 42, "j_x?a=1"])

    assert summary.errors == 4 and summary.polled == 1
    assert [path for _, _, path, _ in harness.bd.requests if path.startswith("/dca/log/")] == [
        "/dca/log/j_ondemandjob1"
    ]
    assert harness.slack_kinds() == ["j_ondemandjob1/job_failed/1"]
    assert harness.item("j_ondemandjob1")["source"] == "on-demand"


def test_a_run_out_of_time_leaves_jobs_for_the_next_run_which_starts_with_them(harness: Harness) -> None:
    _track_running(harness, *(f"j_budgetjob{n:03d}" for n in range(6)))
    calls = iter([100.0] * 3 + [0.0] * 1000)  # time for three polls, then below the safety margin

    tight = Harness.build(
        harness.aws, harness.bd, harness.slack, JOBWATCH_SAFETY_MARGIN_SECONDS="10", JOBWATCH_CONCURRENCY="1"
    )

    summary = run(tight.monitor, remaining_seconds=lambda: next(calls))

    assert (summary.polled, summary.left_over) == (3, 3)
    assert tight.store.monitor().meta["cursor"] == "j_budgetjob003"
    harness.bd.reset_counters()
    tight.run(remaining=100.0)
    first = next(path for _, _, path, _ in harness.bd.requests if path.startswith("/dca/log/"))
    assert first == "/dca/log/j_budgetjob003"
