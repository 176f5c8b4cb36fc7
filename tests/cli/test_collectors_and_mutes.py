"""`watch-collector`, `unwatch-collector`, `mute` and `unmute`: what they print, store, and do to alerts."""

from __future__ import annotations

import pytest

from jobwatch.operations import DurationError, parse_duration
from tests.cli.conftest import NOW, Cli
from tests.support.harness import Harness

SHOP = "c_shopcollector2"
JOB = "j_mutedjob0001"
KEY = f"collector#{SHOP}"


@pytest.mark.usefixtures("cli_env")
def test_watch_stores_the_collector_with_its_rules_and_unwatch_keeps_them(cli: Cli, harness: Harness) -> None:
    watched = cli("watch-collector", SHOP, "--min-success-rate", "0.75", "--channels", "slack,email")
    again = cli("watch-collector", SHOP, "--channels", "email")
    unwatched = cli("unwatch-collector", SHOP)
    twice = cli("unwatch-collector", SHOP)

    assert watched.lines == [f"{SHOP}: watching: each run now tracks its new jobs"]
    assert again.lines == [f"{SHOP}: already watched; rules updated"]
    assert unwatched.lines == [f"{SHOP}: unwatched: its jobs already tracked stay tracked (untrack them to stop)"]
    assert twice.lines == [f"{SHOP}: was not watched"]
    assert harness.item(KEY) == {
        "job_id": KEY,
        "rules": {"min_success_rate": 0.75, "channels": ["email"]},
        "watched_at": NOW,
    }
    assert harness.store.collectors() == []


@pytest.mark.usefixtures("cli_env")
def test_show_of_a_collector_gives_the_rules_its_jobs_get(cli: Cli) -> None:
    cli("watch-collector", SHOP, "--min-success-rate", "0.75")

    result = cli("show", SHOP)

    assert result.lines == [
        f"Collector {SHOP} (watched)",
        "",
        "Rules its jobs get (default -> collector; a job's own overrides come on top)",
        f"  min_success_rate    0.75 (75%)   collector {SHOP}",
        "  min_inputs          10           default",
        "  channels            slack,email  default",
        "  max_running_minutes 360          default",
        "  stall_polls         6            default",
        "  recovery_margin     0.02 (2%)    default",
        "  notify_done         no           default",
        "  mute_until          -            default",
    ]


@pytest.mark.usefixtures("cli_env")
def test_a_muted_job_alerts_into_history_only_until_unmuted(cli: Cli, harness: Harness) -> None:
    # Given a tracked job muted for two hours
    harness.bd.add_job(JOB, [{"status": "running", "inputs": 100, "success": 50, "fails": 50}, {"status": "failed"}])
    cli("track", JOB)
    muted = cli("mute", JOB, "--for", "2h")

    # When its success rate drops during the mute, and it fails after the mute was lifted
    cli("poll", now=NOW + 60)
    listed = cli("list", now=NOW + 120)
    unmuted = cli("unmute", JOB, now=NOW + 120)
    unmuted_again = cli("unmute", JOB, now=NOW + 120)
    harness.bd.tick()
    cli("poll", now=NOW + 180)

    # Then the low rate went to history as muted, and only the failure was delivered
    assert muted.lines == [f"{JOB}: muted until 2025-10-09T10:53:20Z (for 2h); alerts go to history only"]
    assert listed.lines[1].endswith("muted for 1h 58m, low_success_rate muted")
    assert unmuted.lines == [f"{JOB}: unmuted"]
    assert unmuted_again.lines == [f"{JOB}: was not muted"]
    assert harness.slack_kinds() == [f"{JOB}/job_failed/1"]
    history = harness.item(JOB)["history"]
    assert [(h["alert_id"], h.get("muted", False), h["delivered"]) for h in history] == [
        (f"{JOB}/low_success_rate/1", True, []),
        (f"{JOB}/job_failed/1", False, ["slack", "email"]),
    ]


@pytest.mark.usefixtures("cli_env")
def test_muting_a_collector_mutes_its_jobs(cli: Cli, harness: Harness) -> None:
    harness.bd.add_job(JOB, [{"status": "failed", "inputs": 10, "success": 1}], collector=SHOP)
    cli("watch-collector", SHOP)
    cli("track", JOB)

    result = cli("mute", SHOP, "--for", "1d")
    cli("poll")

    assert result.lines == [f"{SHOP}: muted until 2025-10-10T08:53:20Z (for 1d); alerts go to history only"]
    assert harness.item(KEY)["rules"] == {"mute_until": NOW + 86400}
    assert harness.slack.messages == []
    assert harness.item(JOB)["history"][0]["muted"] is True


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["mute", JOB, "--for", "1h"],
            f"job {JOB} is not tracked (or already finished): run jobwatch track {JOB} first",
        ),
        (["unmute", SHOP], f"collector {SHOP} is not watched: run jobwatch watch-collector {SHOP} first"),
    ],
)
def test_muting_what_is_not_watched_fails(cli: Cli, harness: Harness, argv: list[str], message: str) -> None:
    result = cli(*argv)

    assert (result.code, result.err) == (1, f"jobwatch: {message}\n")
    assert harness.store.get(JOB) is None and harness.store.get(KEY) is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("45s", 45), ("1W", 604800)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "0m", "1.5h", "2 h", "-1h", "1h-"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(DurationError, match="use a number and a unit"):
        parse_duration(text)
