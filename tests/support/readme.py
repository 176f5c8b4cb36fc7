"""README sections that the code writes: text between `<!-- name:start -->` and `<!-- name:end -->`.

Tests compare a section with what the code renders now (so the README cannot drift); the update scripts
(`python tests/alerts/update_goldens.py`, `make bench`) rewrite it in place.
"""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def section(name: str, path: Path = README) -> str:
    """The text of section `name`, stripped; AssertionError naming the markers when they are missing."""
    start, end = _markers(name)
    text = path.read_text(encoding="utf-8")
    assert start in text and end in text, f"{path.name} has no {start} ... {end} markers"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def write_section(name: str, body: str, path: Path = README) -> bool:
    """Replace section `name` with `body`; True when the file changed."""
    start, end = _markers(name)
    text = path.read_text(encoding="utf-8")
    section(name, path)
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    new = f"{head}{start}\n{body.strip()}\n{end}{tail}"
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True
