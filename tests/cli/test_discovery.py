"""Collector auto-discovery through `jobwatch poll`: paging, no job tracked twice, untracked jobs stay untracked,
and a failing listing never keeps the jobs already tracked from being polled and alerted."""

from __future__ import annotations

import pytest

from jobwatch.engine import iso
from tests.cli.conftest import NOW, Cli
from tests.support.harness import Harness

SHOP = "c_shopcollector1"
LISTING = "/dca/collector/jobs"
CREATED = iso(NOW - 3600)  # within the look-back window of a run at NOW
DONE = [{"status": "done", "inputs": 10, "success": 10, "fails": 0}]


@pytest.fixture
def shop(cli_env: dict[str, str], cli: Cli, harness: Harness) -> Harness:
    assert cli("watch-collector", SHOP, "--min-success-rate", "0.7").code == 0
    return harness


def test_discovery_pages_past_500_jobs_tracks_each_once_and_never_revives_an_untracked_one(
    cli: Cli, shop: Harness
) -> None:
    # Given a watched collector with 502 recent jobs: one already tracked by hand, one untracked by hand
    job_ids = [f"j_shop{n:06d}" for n in range(502)]
    for job_id in job_ids:
        shop.bd.add_job(job_id, DONE, collector=SHOP, created=CREATED)
    by_hand, untracked = job_ids[0], job_ids[1]
    cli("track", by_hand, "--label", "By hand")
    cli("untrack", untracked)

    # When two runs go by
    first = cli("poll")
    second = cli("poll", now=NOW + 300)

    # Then the first listed both pages and tracked the 500 new jobs; the second found nothing new
    assert first.lines[0].endswith("discovered 500, 0 new alerts, 0 messages sent")
    assert "discovered 0" in second.lines[0]
    assert shop.bd.count(path_prefix=LISTING) == 4  # two pages a run: offsets 0 and 500
    discovered = shop.item(job_ids[2])
    assert (discovered["source"], discovered["collector"], discovered["snapshot"]["status"]) == (
        "discovery",
        SHOP,
        "done",
    )
    assert (shop.item(by_hand)["source"], shop.item(by_hand)["label"]) == ("cli", "By hand")
    assert shop.item(untracked) == {"job_id": untracked, "untracked": True, "expires_at": int(NOW + 30 * 86400)}
    assert shop.bd.count(path_prefix=f"/dca/log/{untracked}") == 0
    assert all(shop.bd.count(path_prefix=f"/dca/log/{j}") == 1 for j in job_ids if j != untracked)


def test_discovered_jobs_are_judged_by_the_collector_rules(cli: Cli, shop: Harness) -> None:
    shop.bd.add_job("j_shoplow00001", [{"status": "done", "inputs": 10, "success": 8}], collector=SHOP, created=CREATED)

    result = cli("poll")

    assert "discovered 1, 0 new alerts" in result.lines[0]  # 80% passes the collector's 70%, not the default 90%
    assert cli("show", "j_shoplow00001", "--json").code == 0


@pytest.mark.parametrize("status", [500, 503, 401])
def test_a_failing_listing_does_not_keep_tracked_jobs_from_being_polled(cli: Cli, shop: Harness, status: int) -> None:
    # Given a tracked job that has failed, and a collector listing that fails
    shop.bd.add_job("j_trackedfail1", [{"status": "failed", "inputs": 10, "success": 1}])
    cli("track", "j_trackedfail1")
    shop.bd.fail_next(status, count=4, path_prefix=LISTING)

    # When a run goes by
    result = cli("poll")

    # Then the tracked job was polled and its failure alerted
    assert "polled 1 job (1 changed), discovered 0, 1 new alert, 2 messages sent" in result.out
    assert shop.slack_kinds() == ["j_trackedfail1/job_failed/1"]


def test_a_429_while_listing_stops_requests_but_pending_alerts_are_still_delivered(cli: Cli, shop: Harness) -> None:
    # Given a tracked job whose failure alert is stored but not yet delivered (Slack was down last run),
    # and a second watched collector
    shop.bd.add_job("j_trackedfail2", [{"status": "failed", "inputs": 10, "success": 1}])
    cli("track", "j_trackedfail2")
    assert cli("watch-collector", "c_shopcollector2").code == 0
    shop.slack.fail_next(503)
    assert cli("poll", "--job", "j_trackedfail2", now=NOW - 300).code == 1
    assert list(shop.item("j_trackedfail2")["pending"]) == ["j_trackedfail2/job_failed/1"]
    requests_before = shop.bd.count()

    # When the next scheduled run meets a 429 on the first collector's listing
    shop.bd.fail_next(429, count=1, path_prefix=LISTING)
    result = cli("poll")

    # Then that was its only Bright Data request (the second collector was not listed), yet the owed Slack
    # alert went out
    assert result.code == 1
    assert result.err == (
        "jobwatch: Bright Data answered 429 (rate limited): no more requests until its Retry-After has passed\n"
    )
    assert shop.bd.count() == requests_before + 1
    assert shop.bd.count(path_prefix=LISTING, status=429) == 1
    assert shop.slack_kinds() == ["j_trackedfail2/job_failed/1"]
    assert shop.item("j_trackedfail2")["pending"] == {}


def test_a_revoked_token_is_still_found_out_by_the_first_poll(cli: Cli, shop: Harness) -> None:
    # Given a tracked job and a token Bright Data no longer accepts
    shop.bd.add_job("j_trackedrun02", [{"status": "running", "inputs": 10, "success": 1, "fails": 0}])
    cli("track", "j_trackedrun02")
    shop.bd.revoke_token()

    # When a run goes by
    result = cli("poll")

    # Then the refused listing did not stop the run; the first poll's 401 did, and the token alert went out
    assert shop.bd.count(path_prefix=LISTING, status=401) == 1
    assert shop.bd.count(path_prefix="/dca/log/", status=401) == 1
    assert result.err.startswith("jobwatch: Bright Data rejected the API token (HTTP 401)")
    assert shop.slack_kinds() == ["monitor/token_rejected/1"]
