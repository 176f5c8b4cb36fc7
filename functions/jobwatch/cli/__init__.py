"""The `jobwatch` command line. `main` is the one boundary: every failure leaves it as one line and an exit code
(0 success, 1 failure, 2 usage error); `--debug` adds the traceback."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Sequence

from jobwatch.cli.commands import COMMANDS, Context
from jobwatch.cli.console import captured_logs
from jobwatch.cli.errors import describe
from jobwatch.cli.parser import build_parser


def main(argv: Sequence[str] | None = None, clock: Callable[[], float] = time.time) -> int:
    """Run one command; returns the exit code (the console script passes it to sys.exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed by argparse
        return exit_.code if isinstance(exit_.code, int) else 2
    out, err = sys.stdout, sys.stderr
    with captured_logs(err, args.verbose) as logs:
        try:
            return COMMANDS[args.command](Context(args, out, err, clock, logs))
        except KeyboardInterrupt:
            err.write("jobwatch: interrupted\n")
            return 130
        except BrokenPipeError:  # `jobwatch list | head`: the reader has all it wanted
            return 0
        except Exception as exc:  # noqa: BLE001 - the CLI boundary: every failure becomes one line
            message, code = describe(exc)
            if args.debug:
                traceback.print_exc(file=err)
            err.write(f"jobwatch: {message}\n")
            return code
