"""`jobwatch track` and `jobwatch untrack`: what they print and exactly what they store."""

from __future__ import annotations

import pytest

from tests.cli.conftest import NOW, Cli
from tests.support.harness import Harness

JOB = "j_trackme00001"
OTHER = "j_trackme00002"


@pytest.mark.usefixtures("cli_env")
def test_track_creates_active_items_with_label_and_rules(cli: Cli, harness: Harness) -> None:
    # When an operator tracks two jobs with a label, a threshold and one channel
    result = cli("track", JOB, OTHER, "--label", "Nightly prices", "--min-success-rate", "0.8", "--channels", "slack")

    # Then both are reported and stored as watched jobs, with version 0 for the monitor to own
    assert (result.code, result.lines, result.err) == (0, [f"{JOB}: tracked", f"{OTHER}: tracked"], "")
    assert harness.item(JOB) == {
        "job_id": JOB,
        "active": "job",
        "version": 0,
        "tracked_at": NOW,
        "source": "cli",
        "label": "Nightly prices",
        "rules": {"min_success_rate": 0.8, "channels": ["slack"]},
    }
    assert [r.job_id for r in harness.store.active_jobs()] == [JOB, OTHER]


@pytest.mark.usefixtures("cli_env")
def test_tracking_again_updates_label_and_merges_rules(cli: Cli, harness: Harness) -> None:
    cli("track", JOB, "--min-success-rate", "0.8")

    again = cli("track", JOB)
    relabelled = cli("track", JOB, "--label", "Renamed", "--channels", "email")

    assert again.lines == [f"{JOB}: already tracked"]
    assert relabelled.lines == [f"{JOB}: already tracked; label and rules updated"]
    item = harness.item(JOB)
    assert (item["label"], item["rules"]) == ("Renamed", {"min_success_rate": 0.8, "channels": ["email"]})


@pytest.mark.usefixtures("cli_env")
def test_untrack_keeps_the_item_marked_and_expiring(cli: Cli, harness: Harness) -> None:
    cli("track", JOB)

    result = cli("untrack", JOB, OTHER)
    repeated = cli("untrack", JOB)

    assert result.code == 0
    assert result.lines == [
        f"{JOB}: untracked",
        f"{OTHER}: untracked (it was not tracked; discovery will not add it)",
    ]
    assert repeated.lines == [f"{JOB}: already untracked"]
    ttl = int(NOW + 30 * 86400)
    assert harness.item(JOB) == {
        "job_id": JOB,
        "version": 0,
        "tracked_at": NOW,
        "source": "cli",
        "untracked": True,
        "expires_at": ttl,
    }
    assert harness.item(OTHER) == {"job_id": OTHER, "untracked": True, "expires_at": ttl}
    assert list(harness.store.active_jobs()) == []


@pytest.mark.usefixtures("cli_env")
def test_tracking_an_untracked_job_again_reactivates_it(cli: Cli, harness: Harness) -> None:
    cli("track", JOB, "--label", "Prices")
    cli("untrack", JOB)

    result = cli("track", JOB, now=NOW + 60)

    assert result.lines == [f"{JOB}: tracked again"]
    item = harness.item(JOB)
    assert (item["active"], item["tracked_at"], item["label"]) == ("job", NOW + 60, "Prices")
    assert "untracked" not in item and "expires_at" not in item


@pytest.mark.usefixtures("cli_env")
def test_a_finished_job_is_not_tracked_again(cli: Cli, harness: Harness) -> None:
    harness.bd.add_job(JOB, [{"status": "done", "inputs": 10, "success": 10}])
    cli("track", JOB)
    harness.run(now=NOW)

    result = cli("track", JOB)

    assert result.lines == [f"{JOB}: already finished (done): nothing left to watch"]
    assert "active" not in harness.item(JOB)


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["track", "j_ok000001", "J_BAD!"],
            "jobwatch: invalid job id 'J_BAD!': expected 'j_' followed by lowercase letters and digits, "
            "as in j_ma13y9ay1piehrso8r (the collection_id /dca/trigger returns)",
        ),
        (
            ["track", JOB, "--min-success-rate", "1.5"],
            "jobwatch: min_success_rate 1.5 is not valid: use a fraction from 0 to 1, such as 0.9",
        ),
        (
            ["track", JOB, "--channels", "pager"],
            "jobwatch: channels 'pager' are not valid: use slack, email or slack,email",
        ),
        (
            ["untrack", "c_notajob0001"],
            "jobwatch: invalid job id 'c_notajob0001': expected 'j_' followed by lowercase "
            "letters and digits, as in j_ma13y9ay1piehrso8r (the collection_id /dca/trigger returns)",
        ),
    ],
)
def test_bad_ids_and_rule_values_are_usage_errors_that_store_nothing(
    cli: Cli, harness: Harness, argv: list[str], message: str
) -> None:
    result = cli(*argv)

    assert (result.code, result.out, result.err) == (2, "", message + "\n")
    assert list(harness.store.scan_jobs()) == []
