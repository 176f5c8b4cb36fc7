"""Alert rules at three levels: global defaults (settings), per collector, per job. The most specific wins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from jobwatch.settings import Settings

CHANNELS = ("slack", "email")


class InvalidRuleError(ValueError):
    """A rule value given by an operator is out of range or of the wrong kind."""


@dataclass(frozen=True)
class Rules:
    """The rules one job is judged by."""

    min_success_rate: float
    min_inputs: int
    channels: tuple[str, ...]
    max_running_minutes: float
    stall_polls: int
    recovery_margin: float
    notify_done: bool
    mute_until: float | None = None

    @classmethod
    def defaults(cls, settings: Settings) -> Rules:
        return cls(
            min_success_rate=settings.min_success_rate,
            min_inputs=settings.min_inputs,
            channels=settings.channels,
            max_running_minutes=settings.max_running_minutes,
            stall_polls=settings.stall_polls,
            recovery_margin=settings.recovery_margin,
            notify_done=settings.notify_done,
        )

    def muted(self, now: float) -> bool:
        return self.mute_until is not None and now < self.mute_until

    def overlay(self, overrides: Mapping[str, Any] | None) -> Rules:
        """These rules with the stored `overrides` (a collector's or a job's) applied on top."""
        if not overrides:
            return self
        return replace(self, **{key: value for key, value in normalize(overrides).items() if value is not None})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def effective_rules(
    defaults: Rules, collector_rules: Mapping[str, Any] | None, job_rules: Mapping[str, Any] | None
) -> Rules:
    """Global defaults, then the collector's rules, then the job's own overrides."""
    return defaults.overlay(collector_rules).overlay(job_rules)


def normalize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert stored or operator-given rule values (DynamoDB gives Decimals); raise InvalidRuleError."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key in ("min_success_rate", "recovery_margin"):
            out[key] = _fraction(key, value)
        elif key in ("min_inputs", "stall_polls"):
            out[key] = int(_positive(key, value))
        elif key in ("max_running_minutes", "mute_until"):
            out[key] = float(_positive(key, value))
        elif key == "channels":
            out[key] = parse_channels(value)
        elif key == "notify_done":
            out[key] = bool(value)
    return out


def parse_channels(value: object) -> tuple[str, ...]:
    """`slack`, `email`, `slack,email` (or a list of them) -> a tuple in canonical order."""
    items = value.split(",") if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else None
    names = {str(item).strip() for item in items or ()} - {""}
    if items is None or not names or not names <= set(CHANNELS):
        raise InvalidRuleError(f"channels {value!r} are not valid: use slack, email or slack,email")
    return tuple(name for name in CHANNELS if name in names)


def _fraction(key: str, value: object) -> float:
    number = _positive(key, value)
    if number > 1:
        raise InvalidRuleError(f"{key} {value!r} is not valid: use a fraction from 0 to 1, such as 0.9")
    return number


def _positive(key: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidRuleError(f"{key} {value!r} is not a number") from None
    if not number >= 0:
        raise InvalidRuleError(f"{key} {value!r} is not valid: use a number >= 0")
    return number
