"""`jobwatch list` and `jobwatch show`: the table, the JSON, and the effective rules with their levels."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import NOW, Cli
from tests.support.harness import Harness

RUNNING = "j_listrun00001"
FAILED = "j_listfail0001"
FRESH = "j_listnew00001"
GONE = "j_listgone0001"
COLLECTOR = "c_m9im5n7v82p2y35la"  # the simulator's default collector
CREATED = "2025-10-09T08:00:00.000Z"
SNAPSHOT_LINES = [
    "  status         failed",
    f"  collector      {COLLECTOR}",
    "  template       t_m9jty150kxgwtzcgi.3",
    "  inputs         100",
    "  dup_inputs     0",
    "  lines          10",
    "  fails          0",
    "  pages          1",
    "  pages_left     90",
    "  success        10",
    "  navigations    10",
    "  created        2025-10-09T08:00:00.000Z",
    "  started        2025-10-09T08:00:00.645Z",
    "  finished       2025-10-09T08:01:00.645Z",
    "  trigger        sim@example.com",
    "  success_rate   0.1",
    "  job_time_ms    60000",
    "  queue_time_ms  645",
]


@pytest.fixture
def watched(cli: Cli, harness: Harness) -> Harness:
    """Four jobs: one running, one that failed (alert delivered), one never polled, one untracked."""
    harness.bd.add_job(RUNNING, [{"status": "running", "inputs": 100, "success": 45, "fails": 5}], created=CREATED)
    harness.bd.add_job(
        FAILED, [{"status": "failed", "inputs": 100, "success": 10, "job_time": 60_000}], created=CREATED
    )
    assert cli("track", RUNNING, "--label", "Nightly prices", now=NOW - 600).code == 0
    assert cli("track", FAILED, GONE, now=NOW - 600).code == 0
    assert cli("untrack", GONE, now=NOW - 300).code == 0
    harness.run(now=NOW - 120)
    assert cli("track", FRESH, now=NOW - 60).code == 0
    return harness


@pytest.mark.usefixtures("cli_env", "watched")
def test_list_shows_watched_jobs_as_a_table(cli: Cli) -> None:
    result = cli("list")

    assert result.code == 0
    assert result.lines == [
        "JOB             LABEL / COLLECTOR  STATUS          RATE   SUCCESS/INPUTS  POLLED  ALERTS",
        "j_listnew00001  -                  not polled yet  -      -               never   ok",
        "j_listrun00001  Nightly prices     running         90.0%  45/100          2m ago  ok",
    ]


@pytest.mark.usefixtures("cli_env", "watched")
def test_list_all_adds_finished_and_untracked_jobs_after_the_active_ones(cli: Cli) -> None:
    result = cli("list", "--all")

    assert result.lines == [
        "JOB             LABEL / COLLECTOR    STATUS          RATE   SUCCESS/INPUTS  POLLED  ALERTS",
        "j_listnew00001  -                    not polled yet  -      -               never   ok",
        "j_listrun00001  Nightly prices       running         90.0%  45/100          2m ago  ok",
        "j_listfail0001  c_m9im5n7v82p2y35la  failed          10.0%  10/100          2m ago  job_failed sent",
        "j_listgone0001  -                    untracked       -      -               never   ok",
    ]


@pytest.mark.usefixtures("cli_env", "watched")
def test_list_json_gives_one_document_a_job(cli: Cli) -> None:
    result = cli("list", "--all", "--json")

    documents = json.loads(result.out)
    assert [d["job_id"] for d in documents] == [FRESH, RUNNING, FAILED, GONE]
    assert documents[1] == {
        "job_id": RUNNING,
        "label": "Nightly prices",
        "collector": COLLECTOR,
        "tracking": "active",
        "status": "running",
        "success_rate": 0.9,
        "success": 45,
        "inputs": 100,
        "polled_at": "2025-10-09T08:51:20Z",
        "pending": 0,
        "muted_until": None,
        "last_alert": None,
    }
    assert documents[2]["tracking"] == "finished"
    assert documents[2]["last_alert"]["alert_id"] == f"{FAILED}/job_failed/1"
    assert documents[2]["last_alert"]["delivered"] == ["slack", "email"]
    assert documents[3]["tracking"] == "untracked"


@pytest.mark.usefixtures("cli_env")
def test_list_with_nothing_watched_says_how_to_start(cli: Cli, harness: Harness) -> None:
    result = cli("list")

    assert (result.code, result.lines) == (
        0,
        ["No jobs watched. Start with: jobwatch track JOB_ID, or jobwatch watch-collector COLLECTOR_ID"],
    )
    assert json.loads(cli("list", "--json").out) == []


@pytest.mark.usefixtures("cli_env", "watched")
def test_show_names_the_level_each_rule_comes_from(cli: Cli) -> None:
    # Given the job's collector is watched with its own threshold and channel, and the job overrides the threshold
    cli("watch-collector", COLLECTOR, "--min-success-rate", "0.8", "--channels", "email")
    cli("track", RUNNING, "--min-success-rate", "0.5")

    result = cli("show", RUNNING, "--json")

    rules = json.loads(result.out)["rules"]
    assert rules == {
        "min_success_rate": {"value": 0.5, "source": "job"},
        "min_inputs": {"value": 10, "source": "default"},
        "channels": {"value": ["email"], "source": f"collector {COLLECTOR}"},
        "max_running_minutes": {"value": 360.0, "source": "default"},
        "stall_polls": {"value": 6, "source": "default"},
        "recovery_margin": {"value": 0.02, "source": "default"},
        "notify_done": {"value": False, "source": "default"},
        "mute_until": {"value": None, "source": "default"},
    }


@pytest.mark.usefixtures("cli_env", "watched")
def test_show_prints_snapshot_rules_and_history(cli: Cli) -> None:
    result = cli("show", FAILED)

    assert result.code == 0
    assert result.lines == [
        f"Job {FAILED}",
        f"  collector    {COLLECTOR} (not watched: its rules do not apply)",
        "  tracking     finished, since 2025-10-09T08:43:20Z (by cli)",
        "  status       failed",
        "  last polled  2025-10-09T08:51:20Z (2m ago)",
        "  alerts       job_failed sent",
        "",
        "Latest snapshot",
        *SNAPSHOT_LINES,
        "",
        "Effective rules (default -> collector -> job)",
        "  min_success_rate    0.9 (90%)    default",
        "  min_inputs          10           default",
        "  channels            slack,email  default",
        "  max_running_minutes 360          default",
        "  stall_polls         6            default",
        "  recovery_margin     0.02 (2%)    default",
        "  notify_done         no           default",
        "  mute_until          -            default",
        "",
        "Pending alerts",
        "  none",
        "",
        "Alert history",
        f"  2025-10-09T08:51:20Z  critical  Job {FAILED} failed  (delivered to slack, email)",
    ]


@pytest.mark.usefixtures("cli_env")
def test_show_of_an_unknown_job_fails_in_one_line(cli: Cli, harness: Harness) -> None:
    result = cli("show", "j_nosuchjob001")

    assert (result.code, result.out) == (1, "")
    assert (
        result.err
        == "jobwatch: job j_nosuchjob001 is not in the table: run jobwatch track j_nosuchjob001 to watch it\n"
    )
