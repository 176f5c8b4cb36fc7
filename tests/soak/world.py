"""The soak's world: the monitor (two Lambda containers of it) against chaos, driven by a simulated clock.

One `Soak` owns the loopback Bright Data and Slack servers, moto (with AWS faults hooked into the monitor's
clients), the job plan, and what every run returned or raised. `drive()` plays the runs; the test reads the
outcome and checks the invariants.
"""

from __future__ import annotations

import json
import os
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import boto3

from jobwatch.monitor import Monitor, RunSummary, run
from jobwatch.runtime import build_monitor
from jobwatch.settings import load_settings
from jobwatch.sim.brightdata import BrightDataSimulator
from jobwatch.sim.slack import SlackReceiver
from jobwatch.snapshot import JobSnapshot, parse_job
from tests.soak.faults import AwsFaults
from tests.soak.plan import HP_ERRORS, PERIOD, JobPlan, make_plan
from tests.support.harness import TOKEN, Aws, settings_env

T0 = datetime.fromisoformat("2025-05-01T00:00:00+00:00")
SEED = 20250501
BD_CHAOS = {
    "500": 0.02,
    "502": 0.01,
    "503": 0.01,
    "429": 0.003,
    "429_no_retry_after": 0.002,
    "timeout": 0.004,
    "slow": 0.02,
    "bad_json": 0.01,
    "empty": 0.01,
    "missing_fields": 0.01,
    "wrong_types": 0.01,
    "reset": 0.01,
}
SLACK_CHAOS = {"500": 0.05, "429": 0.03, "reset": 0.05}
AWS_CHAOS = {
    "ddb_throttled": 0.01,
    "ddb_conditional": 0.01,
    "ddb_internal": 0.01,
    "ddb_lost_response": 0.01,
    "sns_throttled": 0.03,
    "sns_internal": 0.02,
}
ENV = {
    "JOBWATCH_HTTP_TIMEOUT_SECONDS": "0.3",
    "JOBWATCH_RETRY_BACKOFF_SECONDS": "0.01",
    "JOBWATCH_SLACK_MIN_INTERVAL_SECONDS": "0",
    "JOBWATCH_SECRET_MAX_AGE_SECONDS": "300",
    "JOBWATCH_MAX_RUNNING_MINUTES": "120",  # so long-running jobs also cross the stuck limit within the soak
    "JOBWATCH_GROUP_LIMIT": "1000",  # one message per alert, so every delivery can be counted by alert id
    "JOBWATCH_CONCURRENCY": "16",
}


@dataclass(frozen=True)
class Size:
    jobs: int
    runs: int
    clean_runs: int  # fault-free runs at the end, before the invariants are checked
    overlap_every: int  # every n-th run is two invocations at once
    token_run: int  # the run during which Bright Data rejects the token
    storm_run: int  # the run during which every Bright Data request answers 429

    @classmethod
    def from_env(cls) -> Size:
        if os.environ.get("JOBWATCH_SOAK_SIZE", "ci") == "full":
            return cls(jobs=1000, runs=100, clean_runs=10, overlap_every=4, token_run=41, storm_run=62)
        return cls(jobs=200, runs=30, clean_runs=8, overlap_every=4, token_run=9, storm_run=14)

    @property
    def chaos_runs(self) -> int:
        return self.runs - self.clean_runs


@dataclass
class Slot:
    """One five-minute step of simulated time: one run, or two at once."""

    index: int
    now: float
    summaries: list[RunSummary]
    responses_429: int
    requests: int


@dataclass
class Soak:
    size: Size
    aws: Aws
    bd: BrightDataSimulator
    slack: SlackReceiver
    faults: AwsFaults
    containers: list[Monitor]
    plans: list[JobPlan]
    slots: list[Slot] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    @classmethod
    def build(cls, size: Size, aws: Aws, bd: BrightDataSimulator, slack: SlackReceiver) -> Soak:
        faults = AwsFaults(SEED, AWS_CHAOS)
        session = boto3.session.Session(region_name="us-east-1")
        faults.install(session)
        settings = load_settings(settings_env(aws, bd.url, **ENV))
        # Two Lambda containers: each has its own HTTP pool and Slack notifier, and they share the table.
        containers = [build_monitor(settings, session), build_monitor(settings, session)]
        plans = make_plan(size.jobs, SEED, vanish_by=4)
        for plan in plans:
            errors = HP_ERRORS if plan.scenario in ("fail", "low_rate") else []
            bd.add_job(plan.job_id, plan.states, capitalized=plan.capitalized, errors=errors)
            assert containers[0].store.create_job(plan.job_id, {"tracked_at": T0.timestamp(), "label": plan.scenario})
        bd.retry_after = "90"
        slack.retry_after = "1"
        return cls(size, aws, bd, slack, faults, containers, plans)

    def time_of(self, index: int) -> float:
        return T0.timestamp() + 60 + index * PERIOD

    def drive(self) -> None:
        for index in range(self.size.runs):
            self._set_chaos(index)
            for plan in self.plans:
                if plan.vanish_run == index:
                    self.bd.remove_job(plan.job_id)
            overlapping = index < self.size.chaos_runs and index % self.size.overlap_every == 2
            if index == self.size.token_run:
                self.bd.revoke_token()
            before = (self.bd.count(status=429), self.bd.count())
            summaries = self._slot(index, 2 if overlapping or index == self.size.storm_run else 1)
            after = (self.bd.count(status=429), self.bd.count())
            self.slots.append(Slot(index, self.time_of(index), summaries, after[0] - before[0], after[1] - before[1]))
            if index == self.size.token_run:
                self.bd.set_token(TOKEN)
            if index < self.size.chaos_runs:
                self.bd.tick()

    def _set_chaos(self, index: int) -> None:
        calm = index >= self.size.chaos_runs or index == self.size.token_run
        if calm:
            self.bd.calm()
            self.slack.calm()
        elif index == self.size.storm_run:
            self.bd.chaos(SEED + index, {"429": 1.0})
        else:
            self.bd.chaos(SEED + index, BD_CHAOS)
            self.slack.chaos(SEED + index, SLACK_CHAOS)
        self.faults.active = not calm

    def _slot(self, index: int, invocations: int) -> list[RunSummary]:
        now = self.time_of(index)
        results: list[RunSummary] = []
        start = threading.Barrier(invocations)

        def invoke(n: int) -> None:
            container = self.containers[(index + n) % 2]
            start.wait()
            try:
                results.append(run(container, clock=lambda: now, run_id=f"run{index:03d}{'ab'[n]}"))
            except Exception:  # the invariant is that this never happens: keep the traceback for the report
                self.crashes.append(f"run {index}{'ab'[n]}: {traceback.format_exc()}")

        threads = [threading.Thread(target=invoke, args=(n,)) for n in range(invocations)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    # --- what was delivered ------------------------------------------------------------------------------
    def slack_deliveries(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for message in self.slack.messages:
            context = next(b for b in message["blocks"] if b["type"] == "context")
            found[context["elements"][0]["text"].split("`")[1]] += 1
        return found

    def email_deliveries(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for message in self.aws.sns_messages():
            doc = message["doc"]
            found.update(a["alert_id"] for a in doc["alerts"]) if doc.get("kind") == "group" else found.update(
                [doc["alert_id"]]
            )
        return found

    def expected_alerts(self, max_running_minutes: float) -> set[str]:
        last_run = self.time_of(self.size.runs - 1)
        expected = {"monitor/token_rejected/1"}
        for plan in self.plans:
            started = self.final_snapshot(plan).started_at() if plan.vanish_run is None else None
            expected |= plan.expected(started.timestamp() if started else last_run, last_run, max_running_minutes)
        return expected

    def final_snapshot(self, plan: JobPlan) -> JobSnapshot:
        """What Bright Data reports for the job now, parsed the way the monitor parses it."""
        return parse_job(plan.job_id, json.dumps(self.bd.job(plan.job_id)))

    def rate_limit_windows(self) -> list[tuple[int, int, int]]:
        """(slot, invocations, 429 responses) for every five-minute step of simulated time."""
        return [(s.index, len(s.summaries), s.responses_429) for s in self.slots]

    def summaries(self) -> list[RunSummary]:
        return [summary for slot in self.slots for summary in slot.summaries]
