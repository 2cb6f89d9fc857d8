"""``koers intake`` and ``koers watch``: feed files in, one result per record out."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from schema.private_files import PRIVATE_FILE, private_dir, write_private
from workers.bootstrap import App, bootstrap
from workers.feed_files import FeedError, iter_feed
from workers.intake import IntakeService, IntakeSummary
from workers.wiring import intake_service
from workflows.labels import INTAKE_RESULTS
from workflows.model import IntakeResult

# The keys of ``IntakeSummary.to_json`` in the order people read them, with the result each counts.
COUNTED = tuple(("duplicates" if r is IntakeResult.DUPLICATE else r.value, r) for r in (
    IntakeResult.ACCEPTED, IntakeResult.DUPLICATE, IntakeResult.INELIGIBLE, IntakeResult.REJECTED,
    IntakeResult.NEEDS_ROUTING))  # fmt: skip


def _progress(label: str) -> Callable[[int], None]:
    """A progress callback that writes to stderr when it is a terminal (stdout may carry JSON)."""
    started = time.monotonic()

    def report(count: int) -> None:
        if sys.stderr.isatty():
            rate = count / max(time.monotonic() - started, 1e-6)
            click.echo(f"\r{label}: {count:,} records ({rate:,.0f}/s)".replace(",", "."), err=True, nl=False)

    return report


def ingest_file(app: App, service: IntakeService, path: Path, keep_results: bool = True) -> IntakeSummary:
    summary = service.ingest(iter_feed(path), str(path), keep_results=keep_results, progress=_progress(path.name))
    if sys.stderr.isatty():
        click.echo("", err=True)
    return summary


def print_summary(summary: IntakeSummary) -> None:
    data = summary.to_json()
    click.echo(f"{summary.source}: {data['received']} ontvangen")
    for key, counted in COUNTED:
        click.echo(f"  {INTAKE_RESULTS[counted]:<22} {data[key]:>7}")
    for result in summary.results:
        if result.result is not IntakeResult.ACCEPTED:
            who = result.dji_id or "(geen dji_id)"
            reasons = "; ".join(result.reasons) if result.reasons else ""
            click.echo(f"  regel {result.line} {who}: {INTAKE_RESULTS[result.result]}"
                       + (f" — {reasons}" if reasons else ""))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def intake(files: tuple[Path, ...], as_json: bool) -> None:
    """Lees aanleverbestanden (CSV of JSON Lines) en verwerk elke zelfmelder.

    Elk record eindigt als geaccepteerd, dubbel, buiten doelgroep, afgewezen of gemeente
    onduidelijk; opnieuw inlezen verandert niets.
    """
    app = bootstrap()
    service = intake_service(app)
    total = IntakeSummary(source=", ".join(str(f) for f in files))
    failures = []
    for path in files:
        try:
            summary = ingest_file(app, service, path)
        except FeedError as exc:
            failures.append(str(exc))
            continue
        total.merge(summary)
        if not as_json:
            print_summary(summary)
    if as_json:
        data = total.to_json()
        if failures:
            data["file_errors"] = failures
        click.echo(json.dumps(data, ensure_ascii=False))
    for failure in failures:
        click.echo(f"koers intake: {failure}", err=True)
    app.dispose()
    sys.exit(1 if failures else 0)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--interval", default=2.0, show_default=True, help="Seconden tussen twee keer kijken.")
@click.option("--once", is_flag=True, help="Verwerk wat er nu ligt en stop.")
def watch(directory: Path, interval: float, once: bool) -> None:
    """Afleveringsmap: verwerk nieuwe bestanden en verplaats ze naar processed/ of failed/.

    Naast elk verwerkt bestand komt een resultaatbestand (<naam>.result.json).
    """
    app = bootstrap()
    service = intake_service(app)
    for sub in ("processed", "failed"):
        private_dir(directory / sub)
    seen: dict[Path, tuple[int, float]] = {}
    while True:
        for path in sorted(p for p in directory.iterdir() if _is_feed_candidate(p)):
            stat = path.stat()
            # A file still being written changes between two looks; take it once it stood still.
            if once or seen.get(path) == (stat.st_size, stat.st_mtime):
                process_dropped_file(app, service, directory, path)
                seen.pop(path, None)
            else:
                seen[path] = (stat.st_size, stat.st_mtime)
        if once:
            break
        time.sleep(interval)
    app.dispose()


def _is_feed_candidate(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix not in (".part", ".tmp")


def process_dropped_file(app: App, service: IntakeService, directory: Path, path: Path) -> None:
    """Take one dropped file; a file that cannot be read at all goes to failed/ with its error."""
    try:
        summary = service.ingest(iter_feed(path), str(path.name))
    except FeedError as exc:
        _file_away(directory / "failed", path, {"error": str(exc)})
        click.echo(f"{path.name}: mislukt — {exc}")
        return
    _file_away(directory / "processed", path, summary.to_json())
    click.echo(f"{path.name}: {summary.received} ontvangen, {summary.counts['accepted']} geaccepteerd")


def _file_away(folder: Path, path: Path, result: dict[str, object]) -> None:
    """Move the feed into ``folder`` (0700) and write its result beside it (0600)."""
    target = folder / path.name
    shutil.move(str(path), target)
    # The feed was written by its supplier, with their mode; it holds names and addresses. A file of
    # another account cannot be changed, and the 0700 folder keeps it from everyone else anyway.
    with contextlib.suppress(PermissionError):
        os.chmod(target, PRIVATE_FILE)
    data = json.dumps(result, ensure_ascii=False, indent=2).encode("utf-8")
    write_private(target.with_name(target.name + ".result.json"), data)
