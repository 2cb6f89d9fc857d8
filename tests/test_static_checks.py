"""Static checks run with the tests, so CI keeps them: ruff, and mypy (strict on the domain).

``testkit`` (the tests' and benchmarks' support) is held to the runtime's standard.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["workflows", "schema", "messaging", "workers", "testkit"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_in_the_packages() -> None:
    result = run("ruff", "check", *PACKAGES)
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_is_strict_clean_on_the_domain_and_correspondence() -> None:
    result = run("mypy", "--strict", "workflows", "messaging")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_is_clean_on_the_runtime_and_persistence() -> None:
    result = run("mypy", "workers", "schema", "testkit")
    assert result.returncode == 0, result.stdout[-4000:]
