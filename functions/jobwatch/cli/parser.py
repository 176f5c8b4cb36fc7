"""The `jobwatch` command line: its commands and options (argparse, so `--help` works on every command)."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Watch Bright Data Scraper Studio jobs: track jobs and collectors, mute alerts, look at what the monitor saw,
and run a monitoring poll from your machine through the same code as the Lambda.

Where the deployment is: --stack NAME (or $JOBWATCH_STACK) reads the stack's outputs and the monitor function's
environment; otherwise the JOBWATCH_* variables are used (table commands need only JOBWATCH_TABLE_NAME)."""

EPILOG = "Run `jobwatch COMMAND --help` for a command's options. `jobwatch demo` needs no AWS account."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobwatch", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_common(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, argparse.SUPPRESS)  # accepted after the command too, without clobbering earlier values

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, parents=[common])

    track = command("track", "Start watching jobs (by id, as /dca/trigger returned it).")
    track.add_argument("job_ids", nargs="+", metavar="JOB_ID", help="j_... job ids")
    track.add_argument("--label", help="a name shown in alerts and listings, e.g. 'Nightly prices'")
    _add_rule_options(track)

    untrack = command("untrack", "Stop watching jobs; collector discovery will not bring them back.")
    untrack.add_argument("job_ids", nargs="+", metavar="JOB_ID", help="j_... job ids")

    listing = command("list", "List watched jobs: status, success rate, last poll, alert state.")
    listing.add_argument("--all", action="store_true", help="include finished and untracked jobs (scans the table)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    show = command("show", "Show one job (or collector): snapshot, alerts sent and pending, effective rules.")
    show.add_argument("target", metavar="JOB_ID|COLLECTOR_ID", help="a j_... job id or a c_... collector id")
    show.add_argument("--json", action="store_true", help="print JSON")

    poll = command("poll", "Run one monitoring run now, as the scheduled Lambda does, and print its summary.")
    poll.add_argument("--job", dest="jobs", action="extend", nargs="+", metavar="JOB_ID", help="poll only these jobs")
    poll.add_argument("--json", action="store_true", help="print the run summary as JSON")

    watch = command("watch-collector", "Watch a collector: track its new jobs each run, apply its rules to them.")
    watch.add_argument("collector_id", metavar="COLLECTOR_ID", help="a c_... collector id")
    _add_rule_options(watch)

    unwatch = command("unwatch-collector", "Stop watching a collector (its jobs already tracked stay tracked).")
    unwatch.add_argument("collector_id", metavar="COLLECTOR_ID", help="a c_... collector id")

    mute = command("mute", "Hold back a job's or a collector's alerts for a while (kept in history as muted).")
    mute.add_argument("target", metavar="JOB_ID|COLLECTOR_ID", help="a j_... job id or a c_... collector id")
    mute.add_argument("--for", dest="duration", required=True, metavar="DURATION", help="e.g. 30m, 2h, 1d, 1h30m")

    unmute = command("unmute", "Deliver a job's or a collector's alerts again.")
    unmute.add_argument("target", metavar="JOB_ID|COLLECTOR_ID", help="a j_... job id or a c_... collector id")

    demo = command("demo", "Run an offline demo: simulated Bright Data, Slack and AWS, the real monitor, a few runs.")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="instead, keep the simulated deployment running for jobwatch commands in another terminal "
        "(prints the variables to export); Ctrl-C stops it",
    )
    demo.add_argument(
        "--step-seconds",
        type=_positive_seconds,
        default=20.0,
        metavar="S",
        help="with --serve: seconds between two steps of the simulated jobs (default: 20)",
    )
    return parser


def _add_common(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--stack", default=default, metavar="NAME", help="the deployed CloudFormation stack")
    parser.add_argument("--region", default=default, help="AWS region (default: your AWS configuration)")
    parser.add_argument("--profile", default=default, help="AWS profile (default: your AWS configuration)")
    flag_default = default if default is argparse.SUPPRESS else False
    parser.add_argument("--debug", action="store_true", default=flag_default, help="show tracebacks of failures")
    parser.add_argument(
        "--verbose", "-v", action="store_true", default=flag_default, help="print the monitor's log lines on stderr"
    )


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--min-success-rate", type=float, metavar="R", help="alert below this success rate, a fraction such as 0.9"
    )
    parser.add_argument("--channels", metavar="LIST", help="where alerts go: slack, email or slack,email")


def _positive_seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{raw!r} is out of range: use more than 0 and at most 3600 seconds")
    return seconds
