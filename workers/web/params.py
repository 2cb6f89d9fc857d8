"""What the console accepts in paths and query strings: ids, page numbers and dates within bounds.

A number or a date that no database column or calendar sum can hold answers 404 (a path) or 400
(a query), never a 500: ids in paths are at most nine digits (the route does not match
otherwise), page numbers stay below ``MAX_PAGE`` and report dates within ``DATE_RANGE``.
"""

from __future__ import annotations

from datetime import date

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

MAX_PAGE = 100_000
DATE_RANGE = (date(2000, 1, 1), date(2099, 12, 31))


class IdConvertor(Convertor[int]):
    """``{name:id}``: a row id of at most nine digits, which every integer column holds (int4 included)."""

    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())


def page_param(value: str | None) -> int:
    """``?pagina=``: 1 when absent; a number from 1 to ``MAX_PAGE``, else 400."""
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise HTTPException(400, f"Ongeldig paginanummer: geef een getal van 1 tot {MAX_PAGE:,}".replace(",", "."))
    return int(value)


def date_param(value: str | None) -> date | None:
    """A date in the query string (``YYYY-MM-DD``): None when empty; outside ``DATE_RANGE`` or malformed, 400."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, "Ongeldige datum: gebruik JJJJ-MM-DD") from None
    low, high = DATE_RANGE
    if not low <= parsed <= high:
        raise HTTPException(400, f"Datum buiten bereik: kies tussen {low.isoformat()} en {high.isoformat()}")
    return parsed
