"""The product packages hold the product: test support stays out, Faker is needed by the demo only."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO
from workers.demo import MISSING_EXTRA

PRODUCT = ("workflows", "schema", "messaging", "workers")
DEMO = REPO / "workers" / "demo"
# Run the CLI as if Faker were not installed: None in sys.modules makes every import of it fail.
WITHOUT_FAKER = "import sys; sys.modules['faker'] = None; from workers.cli import main; sys.argv[0] = 'koers'; main()"


def koers_without_faker(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")} | {"KOERS_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", WITHOUT_FAKER, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


def test_koers_demo_without_faker_exits_with_one_dutch_line_that_names_the_fix(tmp_path: Path) -> None:
    result = koers_without_faker(tmp_path, "demo", "--no-console")

    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.splitlines() == [MISSING_EXTRA]
    assert "pip install 'koers[demo]'" in MISSING_EXTRA
    assert result.stdout == ""  # it stopped before setting anything up
    assert not any(tmp_path.iterdir())


def test_every_other_command_loads_without_faker(tmp_path: Path) -> None:
    result = koers_without_faker(tmp_path, "--help")

    assert result.returncode == 0, result.stderr[-2000:]
    assert "intake" in result.stdout and "demo" in result.stdout


def test_no_product_module_imports_test_support_or_faker_outside_the_demo() -> None:
    offenders = []
    for package in PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            imported = imported_modules(path)
            forbidden = {"tests", "testkit", "bench"} | ({"faker"} if DEMO not in path.parents else set())
            offenders += [f"{path.relative_to(REPO)} imports {name}" for name in sorted(imported & forbidden)]

    assert offenders == []


def test_faker_is_an_extra_of_the_demo_and_test_support_is_not_installed() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]

    assert not [d for d in project["dependencies"] if d.lower().startswith("faker")]
    assert [d for d in project["optional-dependencies"]["demo"] if d.lower().startswith("faker")]
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == [f"{p}*" for p in PRODUCT]
