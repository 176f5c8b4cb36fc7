"""Rewrite tests/alerts/golden/* from what the code renders now: `python tests/alerts/update_goldens.py`.

It also rewrites the README's "Example alerts" section. Then review `git diff tests/alerts/golden README.md`:
every change is a change operators will see.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    env = {**os.environ, "JOBWATCH_UPDATE_GOLDENS": "1"}
    command = [sys.executable, "-m", "pytest", "tests/alerts", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    subprocess.run(["git", "status", "--short", "tests/alerts/golden", "README.md"], cwd=ROOT, check=False)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
