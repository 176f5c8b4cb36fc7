"""The README's command-line section documents every command the parser has, with the options it takes."""

from __future__ import annotations

import argparse

from jobwatch.cli.parser import build_parser
from tests.support.readme import section


def commands() -> dict[str, argparse.ArgumentParser]:
    [subparsers] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def test_every_command_and_option_is_in_the_readme() -> None:
    text = section("cli")
    for name, parser in commands().items():
        assert f"`jobwatch {name}" in text, f"README's command table lacks jobwatch {name}"
        own = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
        common = {"--help", "--stack", "--region", "--profile", "--debug", "--verbose"}
        for option in set(own) - common:
            assert option in text, f"README does not mention jobwatch {name} {option}"
