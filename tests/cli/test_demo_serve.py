"""`jobwatch demo --serve`: the CLI, configured only by the variables the demo prints, against the served demo."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pytest

from jobwatch.demo import DEMO_TOKEN
from jobwatch.demo_serve import SERVING, STOPPED, serve, serve_until_signalled
from tests.cli.conftest import Cli

STEP = 0.5  # seconds per lifecycle step: every demo job reaches its last state within 2.5 s
FAILED, STALLED, MUTED = "j_demoreviews1", "j_demoranking1", "j_democatalog1"
DISCOVERED, SHOP = "j_demoshopnew1", "c_demoshop0001"
SLACK_ALERTS = sorted([f"{FAILED}/job_failed/1", f"{STALLED}/job_stalled/1", f"{DISCOVERED}/low_success_rate/1"])
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
NEWCOMER_SHELL = {
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_PROFILE": "work",  # exists nowhere here: the printed `unset` line must clear it
    "JOBWATCH_STACK": "jobwatch-prod",  # would send the CLI to a deployed stack instead
}


@dataclass
class Served:
    """The demo serving in a thread of this process: what it printed so far, and how to stop it."""

    out: io.StringIO
    stop: threading.Event
    thread: threading.Thread
    codes: list[int]
    exports: dict[str, str]

    def slack_alert_ids(self) -> list[str]:
        return sorted(re.findall(r"^  │ alert `([^`]+)`", self.out.getvalue(), flags=re.MULTILINE))

    def email_alert_ids(self) -> list[str]:
        return sorted(re.findall(r"^  │ Alert (\S+) at ", self.out.getvalue(), flags=re.MULTILINE))


def exports_of(printed: str) -> tuple[dict[str, str], list[str]]:
    """The `export NAME=VALUE` and `unset NAME...` lines a newcomer pastes, parsed as a shell would."""
    exports, unset = {}, []
    for line in printed.splitlines():
        words = shlex.split(line) if line.startswith(("export ", "unset ")) else []
        if words[:1] == ["export"]:
            name, _, value = words[1].partition("=")
            exports[name] = value
        elif words[:1] == ["unset"]:
            unset += words[1:]
    return exports, unset


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class _Lines:
    """A subprocess's stdout, read on a thread so a test can wait for a line without hanging on it."""

    def __init__(self, stream: IO[str]) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.text += line

    def join(self) -> str:
        self._thread.join(timeout=5)
        return self.text


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """`serve()` in a thread, and this process's environment set exactly as the printed lines say."""
    out, stop, codes = io.StringIO(), threading.Event(), []
    thread = threading.Thread(target=lambda: codes.append(serve(out, stop, STEP)), daemon=True)
    thread.start()
    assert wait_for(lambda: SERVING in out.getvalue(), timeout=15), out.getvalue()
    exports, unset = exports_of(out.getvalue())
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    yield Served(out, stop, thread, codes, exports)
    stop.set()
    thread.join(timeout=15)


def test_the_printed_variables_are_the_ones_the_cli_reads(served: Served) -> None:
    # Given the demo serving (the fixture), Then it printed where AWS and Bright Data are, the demo's pace, no more
    assert set(served.exports) == {
        *("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"),
        *("JOBWATCH_TABLE_NAME", "JOBWATCH_TOKEN_PARAMETER", "JOBWATCH_SLACK_WEBHOOK_PARAMETER", "JOBWATCH_TOPIC_ARN"),
        *("JOBWATCH_API_BASE_URL", "JOBWATCH_SCHEDULE_PERIOD_MINUTES", "JOBWATCH_MAX_POLL_INTERVAL_MINUTES"),
        *("JOBWATCH_STALL_POLLS", "JOBWATCH_SLACK_MIN_INTERVAL_SECONDS"),
    }
    assert served.exports["JOBWATCH_SCHEDULE_PERIOD_MINUTES"] == "0.01"  # a 0.5 s step, floored at 0.6 s
    assert f"  jobwatch track {FAILED} --label 'Product reviews'" in served.out.getvalue()
    assert DEMO_TOKEN not in served.out.getvalue()


def test_a_newcomer_tracks_watches_mutes_polls_and_lists_against_the_served_demo(served: Served, cli: Cli) -> None:
    # Given the newcomer's commands, run with the real clock against the served demo
    def jobwatch(*argv: str) -> str:
        result = cli(*argv, now=time.time())
        assert (result.code, result.err) == (0, ""), (argv, result)
        assert DEMO_TOKEN not in result.out
        return result.out

    jobwatch("track", FAILED, "--label", "Product reviews")
    jobwatch("track", STALLED, MUTED)
    jobwatch("mute", MUTED, "--for", "1h")
    jobwatch("watch-collector", SHOP, "--min-success-rate", "0.95")

    # When they poll every step until the failed, discovered and stalled jobs have alerted and the muted job ended
    def alerted() -> bool:
        jobwatch("poll")
        printed = served.out.getvalue()
        return served.slack_alert_ids() == SLACK_ALERTS and f"Muted  Job {MUTED} cancelled" in printed

    assert wait_for(alerted, timeout=15, every=STEP), served.out.getvalue()

    # Then the serving terminal printed each alert once on Slack and once by email, and the muted one in neither
    assert wait_for(lambda: served.email_alert_ids() == SLACK_ALERTS, timeout=5), served.out.getvalue()
    assert served.slack_alert_ids() == SLACK_ALERTS
    failed_line = rf"^  Slack  🔴 Job {FAILED} failed( \(was running\))? — Product reviews$"  # as the polls saw it
    assert len(re.findall(failed_line, served.out.getvalue(), flags=re.MULTILINE)) == 1
    assert len(re.findall(rf"^  Muted  Job {MUTED} cancelled", served.out.getvalue(), flags=re.MULTILINE)) == 1
    assert DEMO_TOKEN not in served.out.getvalue()
    # And `list` shows the job still running, `list --all` every job with its status and last alert
    assert [(r["job_id"], r["status"]) for r in json.loads(jobwatch("list", "--json"))] == [(STALLED, "running")]
    rows = {r["job_id"]: r for r in json.loads(jobwatch("list", "--all", "--json"))}
    assert {job_id: (r["tracking"], r["status"], r["last_alert"]["alert_id"]) for job_id, r in rows.items()} == {
        FAILED: ("finished", "failed", f"{FAILED}/job_failed/1"),
        STALLED: ("active", "running", f"{STALLED}/job_stalled/1"),
        MUTED: ("finished", "cancelled", f"{MUTED}/job_cancelled/1"),
        DISCOVERED: ("finished", "done", f"{DISCOVERED}/low_success_rate/1"),
    }
    assert rows[MUTED]["last_alert"]["muted"] is True
    shown = json.loads(jobwatch("show", FAILED, "--json"))["job"]
    assert (shown["label"], shown["status"], shown["source"]) == ("Product reviews", "failed", "cli")

    # When the demo is stopped
    served.stop.set()
    served.thread.join(timeout=15)

    # Then it returned 0 and every server it started is closed
    assert (served.thread.is_alive(), served.codes) == (False, [0])
    assert served.out.getvalue().rstrip().endswith(STOPPED)
    for url in (served.exports["AWS_ENDPOINT_URL"], served.exports["JOBWATCH_API_BASE_URL"]):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((urlsplit(url).hostname, urlsplit(url).port), timeout=2)


def test_sigterm_stops_the_served_demo_cleanly_and_restores_the_signal_handlers() -> None:
    # Given the demo serving in this process's main thread, as `jobwatch demo --serve` runs it
    out, before = io.StringIO(), signal.getsignal(signal.SIGTERM)

    def terminate_once_serving() -> None:
        if wait_for(lambda: SERVING in out.getvalue(), timeout=15):  # the handlers are in place by then
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_once_serving, daemon=True).start()

    # When SIGTERM arrives
    code = serve_until_signalled(out, STEP)

    # Then it stopped cleanly, and the process's own SIGTERM handling is back
    assert code == 0
    assert out.getvalue().rstrip().endswith(STOPPED)
    assert signal.getsignal(signal.SIGTERM) is before


def test_ctrl_c_stops_the_served_demo_process_with_exit_code_0() -> None:
    # Given `jobwatch demo --serve` started as a newcomer starts it, and a CLI in another process using its variables
    env = {**os.environ, "PYTHONPATH": str(FUNCTIONS)}
    command = [sys.executable, "-m", "jobwatch", "demo", "--serve", "--step-seconds", str(STEP)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        out = _Lines(proc.stdout)
        assert wait_for(lambda: SERVING in out.text, timeout=20), out.text
        # A shell with no AWS configuration of its own but a profile and a stack set, then the printed lines pasted
        exports, unset = exports_of(out.text)
        shell = {"PATH": os.environ["PATH"], "PYTHONPATH": str(FUNCTIONS), **NEWCOMER_SHELL}
        shell = {k: v for k, v in shell.items() if k not in unset} | exports
        listed = subprocess.run(
            [sys.executable, "-m", "jobwatch", "list", "--json"],
            check=False,
            env=shell,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert (listed.returncode, listed.stdout.strip(), listed.stderr) == (0, "[]", "")

        # When the newcomer presses Ctrl-C
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Then it exits 0 after shutting its servers down, having printed nothing on stderr (no request logs)
    assert (code, proc.stderr.read()) == (0, "")
    assert out.join().rstrip().endswith(STOPPED)
