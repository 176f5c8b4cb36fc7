"""The soak's population of jobs: a seeded mix of scripted lifecycles, and the alerts each one must cause.

Every lifecycle is chosen so that its alerts do not depend on which of its states a poll happens to see (polls
fail, runs stop early): a job that fails alerts `job_failed` whether or not its running states were seen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from jobwatch.alerts import Kind
from jobwatch.sim.brightdata import lifecycle

PERIOD = 300.0  # one scheduled run every five minutes of simulated time
# scenario -> share of the jobs
MIX = {"ok": 0.28, "fail": 0.14, "cancel": 0.1, "low_rate": 0.14, "hang": 0.1, "slow_progress": 0.12, "vanish": 0.12}
EXPECTED_KINDS = {
    "ok": (),
    "fail": (Kind.FAILED,),
    "cancel": (Kind.CANCELLED,),
    "low_rate": (Kind.LOW_RATE,),
    "hang": (Kind.STALLED,),
    "slow_progress": (Kind.STALLED,),
    "vanish": (Kind.NOT_FOUND,),
}
HP_ERRORS = [
    {"error_code": "dead_page", "error": "404 at /item/7"},
    {"error_code": "blocked", "error": "captcha on <https://shop.example/|login>"},
]


@dataclass(frozen=True)
class JobPlan:
    job_id: str
    scenario: str
    states: list[dict[str, Any]]
    capitalized: bool
    vanish_run: int | None = None  # the run before which Bright Data forgets the job

    @property
    def ends_running(self) -> bool:
        return self.scenario in ("hang", "slow_progress")

    def expected(self, started_at: float, last_run_at: float, max_running_minutes: float) -> set[str]:
        """The alert ids this job must cause by the end of the soak."""
        kinds = list(EXPECTED_KINDS[self.scenario])
        if self.ends_running and (last_run_at - started_at) / 60 > max_running_minutes:
            kinds.append(Kind.STUCK)
        return {f"{self.job_id}/{kind.value}/1" for kind in kinds}


def make_plan(jobs: int, seed: int, vanish_by: int) -> list[JobPlan]:
    """`jobs` jobs in the MIX proportions, in a seeded order; vanishing jobs disappear before run `vanish_by`."""
    rng = random.Random(seed)
    scenarios = [name for name, share in MIX.items() for _ in range(round(share * jobs))]
    scenarios = (scenarios + ["ok"] * jobs)[:jobs]
    rng.shuffle(scenarios)
    plans = []
    for n, scenario in enumerate(scenarios):
        steps = rng.randint(3, 6)
        inputs = rng.choice((40, 100, 250))
        vanish_run = None
        if scenario == "vanish":
            states = lifecycle("slow_progress", inputs=inputs, steps=40)
            vanish_run = rng.randint(1, vanish_by)
        else:
            states = lifecycle(scenario, inputs=inputs, steps=steps)
        plans.append(JobPlan(f"j_soak{n:05d}{scenario[:2]}", scenario, states, rng.random() < 0.2, vanish_run))
    return plans
