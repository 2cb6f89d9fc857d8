"""Failures of every ``koers`` command and long-running process as one Dutch line, in one place.

``KoersGroup`` is the ``koers`` group: whatever a command raises that is not click's own (a usage
error keeps exit code 2) ends as one line on stderr and exit code 1. What ``workers.cli.diagnosis``
recognises names the component, its address and the next step; anything else is a defect in Koers,
named by its type and place, with the way to see the whole traceback (``koers --debug …``). No
traceback reaches an operator's terminal or a process log by default: its text can hold values.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import IO, Any

import click

from workers.cli.diagnosis import explain

DEBUG_KEY = "koers.debug"
_ROOT = Path(__file__).resolve().parents[2]
_PRODUCT = tuple(str(_ROOT / package) + "/" for package in ("workflows", "schema", "messaging", "workers"))


class OperatorError(click.ClickException):
    """A failure shown as one line, ``koers: …``, with exit code 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"koers: {self.message}", err=True, file=file)


class KoersGroup(click.Group):
    """The ``koers`` group: turns a command's failure into an ``OperatorError`` (unless ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            raise OperatorError(explain(exc) or defect(exc)) from exc


def defect(exc: BaseException) -> str:
    """The line for an error Koers did not expect: its type and where, never its text (it may hold values)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(_PRODUCT)]
    place = ""
    if frames:
        last = frames[-1]
        place = f" in {Path(last.filename).relative_to(_ROOT)}:{last.lineno}"
    return (f"onverwachte fout ({type(exc).__name__}{place}); meld dit aan de beheerder van Koers, "
            "met de uitvoer van dezelfde opdracht als `koers --debug …`")  # fmt: skip
