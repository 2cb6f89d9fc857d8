"""A/B benchmark of ``bench_letters.py``: two source trees, run alternately, on a noisy machine.

Each round runs ``bench_letters.py`` once from tree A and once from tree B (in alternating order)
as separate processes with the same interpreter, and reports per tree the median of the rounds
and the median of the per-round ratios B/A, which cancels most of the shared machine's drift.

Usage, comparing this tree with an older checkout (e.g. ``git worktree add /tmp/base 9468399``)::

    python bench/ab_letters.py /tmp/base . --rounds 7 -n 1000 --no-accel-a

``--no-accel-a`` hides ReportLab's C accelerator from tree A, as before ``rl_accel`` was a dependency.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

FIELDS = {
    "letters": r"letters:\s+(\d+)",
    "notifications": r"notifications:\s+(\d+)",
    "pdf_kib": r"PDF size:\s+([\d.]+)",
}
NO_ACCEL = "import sys; sys.modules['_rl_accel'] = None\n"


def run_once(tree: Path, n: int, runs: int, no_accel: bool) -> dict[str, float]:
    script = tree / "bench" / "bench_letters.py"
    code = (NO_ACCEL if no_accel else "") + (
        f"import runpy, sys; sys.argv = ['bench_letters', '-n', '{n}', '--runs', '{runs}']\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    # cwd too: "python -c" puts the current directory first on sys.path, before PYTHONPATH.
    env = os.environ | {"PYTHONPATH": str(tree.resolve())}
    out = subprocess.run(
        [sys.executable, "-c", code + "import messaging; print('package:', messaging.__file__)\n"],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    package = Path(re.search(r"package: (.*)", out).group(1))  # type: ignore[union-attr]
    assert package.is_relative_to(tree.resolve()), f"{package} is not from {tree}"
    return {key: float(re.search(pattern, out).group(1)) for key, pattern in FIELDS.items()}  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree_a", type=Path)
    parser.add_argument("tree_b", type=Path)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("-n", type=int, default=1000, help="items per run of bench_letters (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per bench_letters process (default 3)")
    parser.add_argument("--no-accel-a", action="store_true", help="hide rl_accel from tree A")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    for round_ in range(args.rounds):
        order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
        for side in order:
            tree = args.tree_a if side == "A" else args.tree_b
            results[side].append(run_once(tree, args.n, args.runs, args.no_accel_a and side == "A"))
        a, b = results["A"][-1], results["B"][-1]
        print(f"round {round_ + 1}: letters A {a['letters']:6.0f} B {b['letters']:6.0f} /s; "
              f"notifications A {a['notifications']:6.0f} B {b['notifications']:6.0f} /s", flush=True)  # fmt: skip
    for key in ("letters", "notifications", "pdf_kib"):
        med_a = statistics.median(r[key] for r in results["A"])
        med_b = statistics.median(r[key] for r in results["B"])
        ratio = statistics.median(b[key] / a[key] for a, b in zip(results["A"], results["B"], strict=True))
        print(f"{key:14s} A {med_a:8.1f}  B {med_b:8.1f}  (medians)   B/A per round, median {ratio:5.2f}")


if __name__ == "__main__":
    main()
