"""One function per command: resolve the deployment, call operations or the monitor, print the result."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TextIO

from jobwatch import operations
from jobwatch.cli import documents, render, views
from jobwatch.cli.config import Deployment, resolve
from jobwatch.cli.console import LogCapture, Progress
from jobwatch.cli.polling import poll_once, summary_lines
from jobwatch.engine import iso
from jobwatch.ids import validate_collector_id, validate_job_id
from jobwatch.rules import Rules, normalize
from jobwatch.settings import Settings
from jobwatch.store import Store


@dataclass
class Context:
    """What a command works with: its arguments, the output streams, the clock and the captured logs."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    clock: Callable[[], float]
    logs: LogCapture

    @cached_property
    def deployment(self) -> Deployment:
        return resolve(self.args.stack, self.args.region, self.args.profile)

    @cached_property
    def settings(self) -> Settings:
        return self.deployment.table_settings()

    @cached_property
    def store(self) -> Store:
        return Store(self.deployment.client("dynamodb"), self.settings.table_name)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")


# Every command checks its ids and values before it touches AWS, so a typo never waits on the network.


def track(ctx: Context) -> int:
    job_ids, rules = [validate_job_id(j) for j in ctx.args.job_ids], _rules(ctx.args)
    return _report(ctx, operations.track(ctx.store, job_ids, ctx.clock(), ctx.args.label, rules))


def untrack(ctx: Context) -> int:
    job_ids = [validate_job_id(j) for j in ctx.args.job_ids]
    return _report(ctx, operations.untrack(ctx.store, job_ids, ctx.clock(), ctx.settings.ttl_days))


def watch_collector(ctx: Context) -> int:
    collector_id, rules = validate_collector_id(ctx.args.collector_id), _rules(ctx.args)
    return _report(ctx, [operations.watch_collector(ctx.store, collector_id, ctx.clock(), rules)])


def unwatch_collector(ctx: Context) -> int:
    collector_id = validate_collector_id(ctx.args.collector_id)
    return _report(ctx, [operations.unwatch_collector(ctx.store, collector_id)])


def mute(ctx: Context) -> int:
    _target(ctx.args.target)
    seconds = operations.parse_duration(ctx.args.duration)
    until = ctx.clock() + seconds
    change = operations.mute(ctx.store, ctx.args.target, until)
    ctx.say(f"{change.key}: muted until {iso(until)} (for {render.span(seconds)}); alerts go to history only")
    return 0


def unmute(ctx: Context) -> int:
    _target(ctx.args.target)
    return _report(ctx, [operations.unmute(ctx.store, ctx.args.target)])


def list_jobs(ctx: Context) -> int:
    now = ctx.clock()
    rows = views.job_rows(ctx.store, ctx.args.all, now)
    if ctx.args.json:
        _json(ctx, [documents.row_document(row) for row in rows])
    elif rows:
        ctx.say(render.table(rows, now))
    else:
        which = "in the table" if ctx.args.all else "watched"
        ctx.say(f"No jobs {which}. Start with: jobwatch track JOB_ID, or jobwatch watch-collector COLLECTOR_ID")
    return 0


def show(ctx: Context) -> int:
    _target(ctx.args.target)
    now = ctx.clock()
    defaults = Rules.defaults(ctx.settings)
    if ctx.args.target.startswith("c_"):
        _, rules = views.collector_detail(ctx.store, ctx.args.target, defaults)
        if ctx.args.json:
            _json(ctx, {"collector": ctx.args.target, "watched": True, "rules": documents.rules_document(rules)})
        else:
            ctx.say(f"Collector {ctx.args.target} (watched)")
            ctx.say("\nRules its jobs get (default -> collector; a job's own overrides come on top)")
            ctx.say("\n".join(render.rule_lines(rules, now)))
        return 0
    view = views.job_detail(ctx.store, ctx.args.target, defaults, now)
    if ctx.args.json:
        _json(ctx, documents.detail_document(view))
    else:
        ctx.say(render.detail(view, now))
    if not ctx.deployment.complete or not ctx.settings.channels:
        ctx.err.write("note: global defaults are from this shell's settings; use --stack for the deployed ones\n")
    return 0


def poll(ctx: Context) -> int:
    for job_id in ctx.args.jobs or ():
        validate_job_id(job_id)
    settings = ctx.deployment.full_settings()
    progress = Progress(ctx.err)
    try:
        summary = poll_once(ctx.deployment.session, settings, ctx.args.jobs, ctx.clock, progress, ctx.err)
    finally:
        progress.close()
    if ctx.args.json:
        _json(ctx, summary.to_dict())
    lines, failed = summary_lines(summary, settings, ctx.logs.errors("poll failed"))
    for line in lines if not ctx.args.json else []:
        ctx.say(line)
    for line in failed:
        ctx.err.write(f"jobwatch: {line}\n")
    return 1 if failed else 0


def demo(ctx: Context) -> int:
    # The demo needs moto, which only developers install: imported here, never by the other commands.
    if ctx.args.serve:
        from jobwatch.demo_serve import serve_until_signalled  # noqa: PLC0415

        return serve_until_signalled(ctx.out, ctx.args.step_seconds)
    from jobwatch.demo import run_demo  # noqa: PLC0415

    return run_demo(ctx.out)


def _rules(args: argparse.Namespace) -> dict[str, Any]:
    return normalize({"min_success_rate": args.min_success_rate, "channels": args.channels})


def _target(target: str) -> str:
    return validate_collector_id(target) if target.startswith("c_") else validate_job_id(target)


def _report(ctx: Context, changes: list[operations.Change]) -> int:
    for change in changes:
        ctx.say(f"{change.key}: {change.outcome}")
    return 0


def _json(ctx: Context, document: Any) -> None:
    ctx.say(json.dumps(document, indent=2, sort_keys=True, default=str))


COMMANDS: dict[str, Callable[[Context], int]] = {
    "track": track,
    "untrack": untrack,
    "watch-collector": watch_collector,
    "unwatch-collector": unwatch_collector,
    "mute": mute,
    "unmute": unmute,
    "list": list_jobs,
    "show": show,
    "poll": poll,
    "demo": demo,
}
