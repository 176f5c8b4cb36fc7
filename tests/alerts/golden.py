"""Golden files: the exact text a channel received, kept under tests/alerts/golden and compared verbatim.

Set JOBWATCH_UPDATE_GOLDENS=1 (or run `python tests/alerts/update_goldens.py`) to rewrite them from the code;
review the diff before committing, since a golden file is a promise about what operators will read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_ENV = "JOBWATCH_UPDATE_GOLDENS"
HINT = "run `python tests/alerts/update_goldens.py` to regenerate, then review the diff"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV) == "1"


def to_json(value: Any) -> str:
    """Stable, readable JSON: sorted keys, two-space indent, emoji and bars kept as characters."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check(name: str, text: str) -> None:
    """Assert `text` equals golden file `name`, or write it when updating."""
    path = GOLDEN_DIR / name
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"golden file {path.name} is missing: {HINT}"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path.name} differs from what the code renders now: {HINT}"


def read(name: str) -> str:
    return (GOLDEN_DIR / name).read_text(encoding="utf-8")
