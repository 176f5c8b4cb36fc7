"""`jobwatch poll`: one run through build_monitor + run, its summary, its progress line and its failures."""

from __future__ import annotations

import io
import json
import re
import socket
import sys

import pytest

from tests.cli.conftest import NOW, Cli
from tests.support.harness import TOKEN, TOKEN_SECRET, Harness

FAILING = "j_pollfail0001"
HEALTHY = "j_pollok000001"


@pytest.fixture
def two_jobs(cli_env: dict[str, str], cli: Cli, harness: Harness) -> Harness:
    harness.bd.add_job(FAILING, [{"status": "failed", "inputs": 10, "success": 1}])
    harness.bd.add_job(HEALTHY, [{"status": "running", "inputs": 10, "success": 5, "fails": 0}])
    assert cli("track", FAILING, HEALTHY).code == 0
    return harness


@pytest.mark.usefixtures("cli_env")
def test_poll_runs_the_monitor_once_and_prints_its_summary(cli: Cli, two_jobs: Harness) -> None:
    result = cli("poll")

    assert (result.code, result.err) == (0, "")
    assert re.fullmatch(
        r"run [0-9a-f]{12}: polled 2 jobs \(2 changed\), discovered 0, 1 new alert, 2 messages sent", result.out.strip()
    )
    assert two_jobs.slack_kinds() == [f"{FAILING}/job_failed/1"]
    assert two_jobs.item(HEALTHY)["polled_at"] == NOW
    assert TOKEN not in result.out + result.err


@pytest.mark.usefixtures("cli_env")
def test_poll_json_prints_the_run_summary(cli: Cli, two_jobs: Harness) -> None:
    summary = json.loads(cli("poll", "--json").out)

    assert {k: summary[k] for k in ("polled", "changed", "alerts", "sent", "errors", "left_over")} == {
        "polled": 2,
        "changed": 2,
        "alerts": 1,
        "sent": 2,
        "errors": 0,
        "left_over": 0,
    }


@pytest.mark.usefixtures("cli_env")
def test_poll_job_polls_only_that_job_and_tracks_it_if_new(cli: Cli, two_jobs: Harness) -> None:
    two_jobs.bd.add_job("j_pollnew00001", [{"status": "running", "inputs": 10, "success": 2, "fails": 0}])

    result = cli("poll", "--job", "j_pollnew00001")

    assert result.code == 0 and "polled 1 job (1 changed)" in result.out
    assert two_jobs.bd.count(path_prefix="/dca/log/") == 1
    assert two_jobs.item("j_pollnew00001")["source"] == "on-demand"


@pytest.mark.usefixtures("cli_env")
def test_poll_shows_progress_on_a_terminal(cli: Cli, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given eight jobs and a terminal on stderr
    job_ids = [f"j_pollmany{n:04d}" for n in range(8)]
    for job_id in job_ids:
        harness.bd.add_job(job_id, [{"status": "running", "inputs": 10, "success": 1, "fails": 0}])
    harness.track(*job_ids)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    result = cli("poll")

    # Then the progress line counted to eight, then was erased
    assert result.code == 0
    shown = terminal.getvalue()
    assert sorted(re.findall(r"\rpolling (\d)/8 jobs", shown)) == [str(n) for n in range(1, 9)]
    assert shown.endswith("\r\033[K")


@pytest.mark.usefixtures("cli_env")
def test_a_missing_token_secret_stops_before_any_request(cli: Cli, two_jobs: Harness) -> None:
    two_jobs.aws.session.client("secretsmanager").delete_secret(SecretId=TOKEN_SECRET, ForceDeleteWithoutRecovery=True)

    result = cli("poll")

    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"jobwatch: the Bright Data API token secret secretsmanager:{TOKEN_SECRET} cannot be read "
        "(ResourceNotFoundException): create it, or point JOBWATCH_TOKEN_PARAMETER at the one that holds it\n"
    )
    assert two_jobs.bd.count() == 0


@pytest.mark.usefixtures("cli_env")
def test_a_rejected_token_is_one_line_and_exit_1(cli: Cli, two_jobs: Harness) -> None:
    two_jobs.bd.revoke_token()

    result = cli("poll")

    assert result.code == 1
    assert result.err == (
        f"jobwatch: Bright Data rejected the API token (HTTP 401): put a valid token in secretsmanager:{TOKEN_SECRET}\n"
    )


def test_an_unreachable_bright_data_names_the_url(
    cli: Cli, two_jobs: Harness, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = _closed_port_url()
    monkeypatch.setenv("JOBWATCH_API_BASE_URL", closed)

    result = cli("poll")

    assert result.code == 1
    assert result.err == (
        "jobwatch: 2 jobs could not be polled (TransientError: MaxRetryError: NewConnectionError): "
        f"{FAILING}, {HEALTHY}; is {closed} reachable from here? (JOBWATCH_API_BASE_URL)\n"
    )


@pytest.mark.usefixtures("aws")
def test_poll_without_full_settings_names_the_missing_variable(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBWATCH_TABLE_NAME", "jobwatch-test")

    result = cli("poll")

    assert result.code == 1
    assert result.err == (
        "jobwatch: JOBWATCH_TOKEN_PARAMETER is not set: the template sets it; for local runs export it (see README) "
        "- or pass --stack NAME to use the deployed function's settings\n"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
