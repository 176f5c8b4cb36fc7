"""`jobwatch demo --serve`: the demo's world kept running on loopback, for the real CLI in another terminal.

A moto server (server mode, so other processes reach it), the simulated Bright Data API and the Slack receiver
start; the demo's table, topic (an SQS queue subscribed, standing in for email) and secrets are provisioned,
and the demo's jobs are added untracked, moving one lifecycle step every `step_seconds`. It prints the
variables to export, the jobs and a command sequence, then every Slack message and email as it arrives.
Developer tooling, like demo.py: it needs moto.
"""

from __future__ import annotations

import logging
import shlex
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import boto3

from jobwatch.demo import DEMO_TOKEN, DISCOVERED, JOBS, SHOP, TABLE, Inbox, add_jobs, deployment_env, printer, provision
from jobwatch.sim.aws import fake_credentials_env, moto_server
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from jobwatch.store import Store

STEP_SECONDS = 20.0
LOOK_SECONDS = 0.25  # how often the Slack receiver and the email queue are read
MIN_PERIOD_SECONDS = 0.6  # the floor of JOBWATCH_SCHEDULE_PERIOD_MINUTES (0.01)
SERVING = "Serving. Slack messages and emails appear below as they arrive; Ctrl-C stops the demo."
STOPPED = "Stopped: the moto server, the Bright Data simulator and the Slack receiver are shut down."
# What each job does here; unlike the scripted demo, nothing is tracked or muted until you do it.
EXPECT = {job_id: expect for job_id, _, _, _, expect in JOBS} | {
    "j_democatalog1": "is cancelled: an alert, or only history if you mute it first",
}


def serve_until_signalled(out: TextIO, step_seconds: float = STEP_SECONDS) -> int:
    """Serve until SIGINT or SIGTERM, then shut every server down; 0 on a clean stop."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        # Event.set takes a lock the interrupted main thread may be holding (inside stop.wait): set it elsewhere.
        threading.Thread(target=stop.set).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return serve(out, stop, step_seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(out: TextIO, stop: threading.Event, step_seconds: float = STEP_SECONDS) -> int:
    """Run the demo world until `stop` is set; print how to reach it, then each message as it arrives."""
    say = _one_at_a_time(printer(out))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the moto server would log every request on stderr
    with moto_server() as endpoint, BrightDataSimulator(token=DEMO_TOKEN) as bd, SlackReceiver() as slack:
        aws = _Endpoint(endpoint)
        topic_arn, queue_url = provision(aws, slack.webhook_url)
        add_jobs(bd)
        period = max(step_seconds, MIN_PERIOD_SECONDS)
        exports = {"AWS_ENDPOINT_URL": endpoint, **fake_credentials_env()}
        _introduce(say, {**exports, **deployment_env(topic_arn, bd.url, period)}, step_seconds, period)
        inbox, store = Inbox(aws, queue_url, slack), Store(aws.client("dynamodb"), TABLE)
        with _stepping(bd, step_seconds, say):
            while not stop.wait(LOOK_SECONDS):
                inbox.show(store, say)
            inbox.show(store, say)
    say(f"\n{STOPPED}")
    return 0


class _Endpoint:
    """A boto3 session whose clients all talk to the moto server, whatever AWS_ENDPOINT_URL this shell has."""

    def __init__(self, endpoint: str) -> None:
        fake = fake_credentials_env()
        self._endpoint = endpoint
        self._session: Any = boto3.session.Session(
            aws_access_key_id=fake["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=fake["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=fake["AWS_SESSION_TOKEN"],
            region_name=fake["AWS_DEFAULT_REGION"],
        )

    def client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self._endpoint)


@contextmanager
def _stepping(bd: BrightDataSimulator, step_seconds: float, say: Callable[[str], None]) -> Iterator[None]:
    """Move every simulated job one step each `step_seconds` of wall time, on a timer thread, until exit."""
    done = threading.Event()

    def tick() -> None:
        while not done.wait(step_seconds):
            before = _statuses(bd)
            bd.tick()
            moved = [f"{job_id} is now {s}" for job_id, s in _statuses(bd).items() if s != before[job_id]]
            if moved:
                say(f"\n  Bright Data  {', '.join(moved)}")

    timer = threading.Thread(target=tick, name="demo-steps", daemon=True)
    timer.start()
    try:
        yield
    finally:
        done.set()
        timer.join()


def _one_at_a_time(say: Callable[[str], None]) -> Callable[[str], None]:
    lock = threading.Lock()  # the timer thread and the inbox both print

    def locked(text: str) -> None:
        with lock:
            say(text)

    return locked


def _statuses(bd: BrightDataSimulator) -> dict[str, str]:
    return {job_id: str(bd.job(job_id)["status"]) for job_id in [*(job[0] for job in JOBS), DISCOVERED]}


def _introduce(say: Callable[[str], None], exports: dict[str, str], step_seconds: float, period: float) -> None:
    say(
        "jobwatch demo --serve: a simulated Bright Data API, a Slack webhook receiver and AWS (a moto server),\n"
        "all on 127.0.0.1. Point the jobwatch CLI at them: in another terminal, paste"
    )
    say("\nunset AWS_PROFILE JOBWATCH_STACK")
    for name, value in exports.items():
        say(f"export {name}={shlex.quote(value)}")
    say(f"\nJobs in the simulated Bright Data account (none tracked yet; each moves one step every {step_seconds:g}s)")
    for job_id, label, kind, _, _ in JOBS:
        when = f" (poll it, then again {2 * period:g}s or more later)" if kind == "hang" else ""  # STALL_POLLS
        say(f"  {job_id}  {label:<20} {EXPECT[job_id]}{when}")
    collector = "(a collector)"
    say(f"  {SHOP}  {collector:<20} its new job {DISCOVERED} ends at 93%: watched at 0.95, a warning")
    say("\nThen try, in that order (poll is one scheduled run: repeat it to see the jobs move)")
    for job_id, label, _, _, _ in JOBS:
        say(f"  jobwatch track {job_id} --label {shlex.quote(label)}")
    say("  jobwatch mute j_democatalog1 --for 1h")
    say(f"  jobwatch watch-collector {SHOP} --min-success-rate 0.95")
    for command in ("poll", "list", "list --all", "show j_demoreviews1", "poll"):
        say(f"  jobwatch {command}")
    say(f"\n{SERVING}")
