"""Fixtures for the CLI suite: `main(argv)` run in-process against moto and the loopback servers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from jobwatch.cli import main
from jobwatch.sim.brightdata import BrightDataSimulator
from tests.support.harness import Aws, Harness, settings_env

NOW = 1_760_000_000.0  # 2025-10-09T08:53:20Z: every command and run in this suite sees this clock


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


Cli = Callable[..., Result]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, aws: Aws, bd: BrightDataSimulator) -> dict[str, str]:
    """The JOBWATCH_* variables of the simulated deployment, exported as an operator would."""
    env = settings_env(aws, bd.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `jobwatch ARGS...` in-process at NOW (or `now=`); returns exit code, stdout and stderr."""

    def invoke(*argv: str, now: float = NOW) -> Result:
        capsys.readouterr()
        code = main(list(argv), clock=lambda: now)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def run_at(harness: Harness, now: float) -> None:
    """One scheduled run of the real monitor at `now`."""
    harness.run(now=now)
