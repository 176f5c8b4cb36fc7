"""The template passes the linters that live in their own virtual environments (sam validate --lint, checkov),
and `sam build` makes what Lambda needs without Docker: the package alone in the function, every pinned
dependency in the layer, built for python3.12 on x86_64 whatever the local interpreter is."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from email.parser import Parser
from pathlib import Path

import pytest

from tests.deploy.samapp import REPO_ROOT, TEMPLATE, Build, tool, tool_env

pytestmark = pytest.mark.deploy

HANDLER_MODULE = "jobwatch.handler"
REQUIREMENTS = REPO_ROOT / "layers" / "runtime" / "requirements.txt"
NOT_SHIPPED = ("jobwatch/sim/", "jobwatch/demo")  # demo.py, demo_serve.py


def _files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, version = requirement.split("==")
            pins[_canonical(name)] = version.strip()
    return pins


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(source: str) -> tuple[set[str], set[str]]:
    """Modules a module imports at run time, and names that may be modules (`from package import name`).

    Imports under `if TYPE_CHECKING:` are left out: they never run.
    """
    modules: set[str] = set()
    maybe_modules: set[str] = set()
    pending: list[ast.AST] = [ast.parse(source)]
    while pending:
        node = pending.pop()
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            maybe_modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return modules, maybe_modules


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _handler_imports(function_dir: Path) -> tuple[set[str], set[str]]:
    """Top-level third-party modules the handler reaches, and jobwatch modules it needs but the artifact lacks."""
    seen: set[str] = set()
    third_party: set[str] = set()
    missing: set[str] = set()
    pending = [HANDLER_MODULE]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(function_dir, module)
        if path is None:
            missing.add(module)
            continue
        modules, maybe_modules = _imports(path.read_text())
        for name in modules:
            top = name.split(".")[0]
            if top == "jobwatch":
                pending.append(name)
            elif top not in sys.stdlib_module_names:
                third_party.add(top)
        pending.extend(n for n in maybe_modules if n.startswith("jobwatch.") and _module_file(function_dir, n))
    return third_party, missing


def test_sam_validate_lint_accepts_the_template(sam_binary: Path) -> None:
    # When
    result = subprocess.run(
        [str(sam_binary), "validate", "--lint", "--template-file", str(TEMPLATE)],
        check=False,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


def test_function_artifact_is_the_package_alone(build: Build) -> None:
    # Given
    source = REPO_ROOT / "functions"
    expected = {
        relative
        for relative in _files(source)
        if relative.startswith("jobwatch/") and relative.endswith(".py") and not relative.startswith(NOT_SHIPPED)
    }
    # When
    shipped = _files(build.function_dir)
    # Then
    assert "jobwatch/handler.py" in shipped, "the handler module jobwatch/handler.py is not in the function artifact"
    assert expected <= shipped, f"modules missing from the artifact: {sorted(expected - shipped)}"
    assert {path.split("/")[0] for path in shipped} == {"jobwatch"}, "the function ships more than the package"
    assert not [p for p in shipped if p.startswith(NOT_SHIPPED)], "simulators or the demo are shipped"
    assert not [p for p in shipped if "__pycache__" in p or p.endswith(".pyc")], "byte code is shipped"


def test_layer_holds_every_pinned_requirement_built_for_lambda_python(build: Build) -> None:
    # Given
    site = build.layer_dir / "python"
    # When
    installed = {}
    for metadata in site.glob("*.dist-info/METADATA"):
        headers = Parser().parsestr(metadata.read_text())
        installed[_canonical(headers["Name"])] = headers["Version"]
    binaries = [path.name for path in site.rglob("*.so")]
    # Then
    for name, version in _pins().items():
        assert installed.get(name) == version, f"layer has {name} {installed.get(name)}; requirements pin {version}"
    foreign = [name for name in binaries if not re.search(r"cpython-312-x86_64-linux-gnu|\.abi3\.so$", name)]
    assert not foreign, f"extension modules not built for Lambda's python3.12 x86_64: {foreign}"


def test_everything_the_handler_imports_is_in_the_function_or_the_layer(build: Build) -> None:
    # Given
    site = build.layer_dir / "python"
    # When
    third_party, missing = _handler_imports(build.function_dir)
    # Then
    assert not missing, f"the handler reaches jobwatch modules the artifact lacks: {sorted(missing)}"
    absent = sorted(top for top in third_party if _module_file(site, top) is None and not (site / top).is_dir())
    assert not absent, f"the handler imports {absent} but RuntimeLayer does not provide them"


def test_checkov_finds_nothing_that_is_not_suppressed_with_a_reason() -> None:
    # Given
    checkov = tool(".venv-checkov", "checkov", "/tmp/v-ck/bin/checkov")
    command = [str(checkov), "--framework", "cloudformation", "-f", str(TEMPLATE), "--compact", "--skip-download"]
    # When
    result = subprocess.run([*command, "-o", "json"], check=False, capture_output=True, text=True, env=tool_env())
    report = json.loads(result.stdout)
    # Then
    assert report["summary"]["failed"] == 0, [c["check_id"] for c in report["results"]["failed_checks"]]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 0
    for check in report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 40, f"{check['check_id']} on {check['resource']} is suppressed without a reason"
