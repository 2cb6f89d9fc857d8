"""Validation and eligibility of one intake record (DESIGN.md §3, "Intake record").

``validate_record`` turns a raw record (a CSV row or a JSON Lines object) into a ``SelfReport`` or
into *every* problem found, one ``FieldError`` per problem, so that the prison service can fix a
record in one round. ``check_eligibility`` then says why a valid record falls outside the target
group. Both are pure: no I/O and no clock (``today`` is passed in).

Invariants:
- Never raises on bad input: any mapping of any JSON-ish values yields a report or a non-empty
  list of errors.
- Error messages are Dutch, name the field and the problem, and never echo the value: a shifted
  column can put a name or an address into any field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import cast

from workflows.model import FieldError, RoutingDecision, SelfReport

FIELDS: tuple[str, ...] = (
    "dji_id", "surname", "given_names", "birth_date", "street", "house_number", "postcode", "woonplaats",
    "gemeente", "sentence_days", "report_date", "institution", "phone", "email",
)  # fmt: skip
REQUIRED_FIELDS: tuple[str, ...] = (
    "dji_id", "surname", "given_names", "birth_date", "sentence_days", "report_date", "institution",
)  # fmt: skip

# Personal fields; no message echoes any value at all (see the module docstring).
PERSONAL_FIELDS: tuple[str, ...] = (
    "surname", "given_names", "birth_date", "street", "house_number", "postcode", "woonplaats", "phone", "email",
)  # fmt: skip

MAX_VALUE_LENGTH = 200
MAX_DJI_ID_LENGTH = 64
MIN_AGE_YEARS = 12
MAX_AGE_YEARS = 110
MAX_SENTENCE_DAYS = 36_500  # a century: beyond this the number is a typo, and it keeps the value in a DB integer
REPORT_DATE_HORIZON_YEARS = 2  # a report date further ahead is a typo, and would push timers past any calendar
SENTENCE_LIMIT_DAYS = 365  # the target group has sentences shorter than one year

MISSING = "verplicht veld ontbreekt of is leeg"
OUT_OF_REGION = "woont buiten 3Noord"  # Groningen, Fryslân and Drenthe; routing decides (certain only)
SENTENCE_TOO_LONG = f"straf van {SENTENCE_LIMIT_DAYS} dagen of langer"

_FIELD_SET = frozenset(FIELDS)
# JSON feeds may carry these as numbers (gemeente: a CBS or BRP code); a phone number may not: it loses its 0.
_NUMBER_FIELDS = frozenset({"dji_id", "house_number", "postcode", "gemeente", "sentence_days"})
# Line breaks, tabs, other C0/C1 controls (Unicode Cc), lone surrogates (Cs) and line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_TYPE_NAMES: dict[type, str] = {bool: "ja/nee-waarde", int: "getal", float: "getal", list: "lijst", dict: "object"}

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[0-9]+")
_POSTCODE = re.compile(r"([1-9][0-9]{3}) *([A-Za-z]{2})")
_HOUSE_NUMBER = re.compile(r"[1-9][0-9]{0,4}(?: ?[A-Za-z])?(?:(?: *[-/] *| +)[A-Za-z0-9]{1,4})?")
_EMAIL = re.compile(r"[^\s@\"(),:;<>\[\]\\]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}")
_PHONE_CHARS = re.compile(r"\+?[0-9() -]+")


class _InvalidValueError(Exception):
    """Raised by a field parser; carries one Dutch message per problem found."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = messages


@lru_cache(maxsize=1024)  # feeds repeat the same few header names on every record
def normalise_field_name(name: str) -> str:
    """Map a header or JSON key to a field name: case, surrounding spaces, inner spaces/dashes, BOM."""
    return re.sub(r"[\s-]+", "_", name.replace("\ufeff", "").strip()).lower()


def validate_record(raw: Mapping[str, object], *, today: date) -> SelfReport | list[FieldError]:
    """Validate one raw record; unknown keys are ignored, every problem is collected.

    Args:
        raw: field name (matched via ``normalise_field_name``) to value; values may be any JSON value.
        today: the local date of intake; birth and report dates are judged against it.

    Returns:
        A ``SelfReport`` with normalised values, or a non-empty list of errors in ``FIELDS`` order.
    """
    values, conflicts = _collect(raw)
    parsed: dict[str, str | int | date] = {}
    errors: list[FieldError] = []
    for name in FIELDS:
        problems = _field_problems(name, values.get(name), conflicts, parsed, today)
        errors.extend(FieldError(name, message) for message in problems)
    if errors:
        return errors
    return _build(parsed)


def _collect(raw: Mapping[str, object]) -> tuple[dict[str, object], set[str]]:
    """Pick the known fields; two columns for one field with different non-empty values conflict."""
    values: dict[str, object] = {}
    conflicts: set[str] = set()
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        name = normalise_field_name(key)
        if name not in _FIELD_SET or _is_blank(value):
            continue
        if name in values and _comparable(values[name]) != _comparable(value):
            conflicts.add(name)
        values[name] = value
    return values, conflicts


def _comparable(value: object) -> object:
    return " ".join(value.split()) if isinstance(value, str) else value


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _field_problems(
    name: str, value: object, conflicts: set[str], parsed: dict[str, str | int | date], today: date
) -> list[str]:
    """Check one field; store its parsed value in ``parsed`` when it is valid."""
    if name in conflicts:
        return ["komt meer dan eens voor met verschillende waarden"]
    if value is None:
        return [MISSING] if name in REQUIRED_FIELDS else []
    text, problems = _as_text(name, value)
    if problems or text is None:
        return problems
    try:
        parsed[name] = _PARSERS.get(name, _plain_text)(text, today)
    except _InvalidValueError as exc:
        return list(exc.messages)
    return []


def _as_text(name: str, value: object) -> tuple[str | None, list[str]]:
    """Turn a raw value into stripped text, or say why it cannot be one (wrong type, too long, controls)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = _TYPE_NAMES.get(type(value), "onbekend type")
        expected = "tekst of getal" if name in _NUMBER_FIELDS else "tekst"
        return None, [f"verkeerd type: {kind}, verwacht {expected}"]
    if not isinstance(value, str):
        return _number_text(name, value)
    text = value.strip()
    problems = []
    if len(text) > MAX_VALUE_LENGTH:
        problems.append(f"te lang (meer dan {MAX_VALUE_LENGTH} tekens)")
    if _CONTROL.search(text):
        problems.append("bevat stuurtekens (zoals een regelovergang of tab) of ongeldige tekens")
    return (None, problems) if problems else (" ".join(text.split()), [])


def _number_text(name: str, value: int | float) -> tuple[str | None, list[str]]:
    if name not in _NUMBER_FIELDS:
        return None, ["verkeerd type: getal, verwacht tekst"]
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None, ["geen geheel getal"]
    number = int(value)
    if abs(number) >= 10**MAX_VALUE_LENGTH:  # also keeps str() clear of Python's digit limit
        return None, [f"te lang (meer dan {MAX_VALUE_LENGTH} tekens)"]
    return str(number), []


def _plain_text(text: str, today: date) -> str:
    return text


def _dji_id(text: str, today: date) -> str:
    problems = []
    if len(text) > MAX_DJI_ID_LENGTH:
        problems.append(f"te lang (meer dan {MAX_DJI_ID_LENGTH} tekens)")
    if " " in text:
        problems.append("mag geen spaties bevatten")
    if not text.replace(" ", "").isprintable():
        problems.append("bevat onzichtbare tekens")
    if problems:
        raise _InvalidValueError(*problems)
    return text


def _name(text: str, today: date) -> str:
    if not any(char.isalpha() for char in text):
        raise _InvalidValueError("bevat geen letters")
    return text


def _iso_date(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


def _years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def _birth_date(text: str, today: date) -> date:
    born = _iso_date(text)
    if born is None:
        raise _InvalidValueError("geen geldige datum (verwacht JJJJ-MM-DD)")
    if born >= today:
        raise _InvalidValueError("geboortedatum ligt niet in het verleden")
    age = _years_between(born, today)
    if age < MIN_AGE_YEARS:
        raise _InvalidValueError(f"leeftijd onder {MIN_AGE_YEARS} jaar is niet aannemelijk")
    if age > MAX_AGE_YEARS:
        raise _InvalidValueError(f"leeftijd boven {MAX_AGE_YEARS} jaar is niet aannemelijk")
    return born


def _report_date(text: str, today: date) -> date:
    day = _iso_date(text)
    if day is None:
        raise _InvalidValueError("geen geldige datum (verwacht JJJJ-MM-DD)")
    if day < today:
        raise _InvalidValueError("meldingsdatum ligt in het verleden")
    if _years_between(today, day) >= REPORT_DATE_HORIZON_YEARS:
        raise _InvalidValueError(f"meldingsdatum ligt {REPORT_DATE_HORIZON_YEARS} jaar of meer in de toekomst")
    return day


def _sentence_days(text: str, today: date) -> int:
    if not _WHOLE.fullmatch(text):
        raise _InvalidValueError("geen positief geheel aantal dagen")
    days = int(text)
    if days == 0:
        raise _InvalidValueError("moet minstens 1 dag zijn")
    if days > MAX_SENTENCE_DAYS:
        raise _InvalidValueError(f"niet aannemelijk (meer dan {MAX_SENTENCE_DAYS} dagen)")
    return days


def _postcode(text: str, today: date) -> str:
    match = _POSTCODE.fullmatch(text)
    if match is None:
        raise _InvalidValueError("geen geldige postcode (verwacht 1234 AB)")
    letters = match.group(2).upper()
    if letters in {"SA", "SD", "SS"}:
        raise _InvalidValueError("geen geldige postcode (de letters SA, SD en SS komen niet voor)")
    return f"{match.group(1)} {letters}"


def _house_number(text: str, today: date) -> str:
    if not _HOUSE_NUMBER.fullmatch(text):
        raise _InvalidValueError("geen geldig huisnummer (verwacht bijvoorbeeld 12, 12a, 12-2 of 12 bis)")
    return text


def _email(text: str, today: date) -> str:
    if not _EMAIL.fullmatch(text) or ".." in text or text.startswith(".") or ".@" in text:
        raise _InvalidValueError("geen geldig e-mailadres")
    return text


def _phone(text: str, today: date) -> str:
    problems = []
    if not _PHONE_CHARS.fullmatch(text):
        problems.append("bevat ongeldige tekens (alleen cijfers, + aan het begin, spaties, streepjes en haakjes)")
    if not 8 <= sum(char in "0123456789" for char in text) <= 15:
        problems.append("moet 8 tot 15 cijfers bevatten")
    if problems:
        raise _InvalidValueError(*problems)
    return text


_PARSERS: dict[str, Callable[[str, date], str | int | date]] = {
    "dji_id": _dji_id,
    "surname": _name,
    "given_names": _name,
    "birth_date": _birth_date,
    "report_date": _report_date,
    "sentence_days": _sentence_days,
    "postcode": _postcode,
    "house_number": _house_number,
    "email": _email,
    "phone": _phone,
}


def _build(parsed: Mapping[str, str | int | date]) -> SelfReport:
    """Assemble the report; each parser in ``_PARSERS`` fixes its field's type, hence the casts."""
    optional = {name: cast(str | None, parsed.get(name)) for name in FIELDS if name not in REQUIRED_FIELDS}
    return SelfReport(
        dji_id=cast(str, parsed["dji_id"]),
        surname=cast(str, parsed["surname"]),
        given_names=cast(str, parsed["given_names"]),
        birth_date=cast(date, parsed["birth_date"]),
        sentence_days=cast(int, parsed["sentence_days"]),
        report_date=cast(date, parsed["report_date"]),
        institution=cast(str, parsed["institution"]),
        street=optional["street"],
        house_number=optional["house_number"],
        postcode=optional["postcode"],
        woonplaats=optional["woonplaats"],
        gemeente=optional["gemeente"],
        phone=optional["phone"],
        email=optional["email"],
    )


def check_eligibility(report: SelfReport, decision: RoutingDecision, institutions: Sequence[str]) -> list[str]:
    """Say why a valid record falls outside the target group; an empty list means eligible.

    All reasons are returned (not just the first), so staff see at once that, say, both the
    sentence and the institution are out of scope; join them with ``"; "`` for a single line.
    An undecided municipality is *not* a reason: that record needs routing, not rejection.

    Args:
        institutions: the configured institutions; matched without regard to case or spacing.
    """
    configured = (institutions,) if isinstance(institutions, str) else tuple(institutions)
    reasons = []
    if decision.out_of_region:
        reasons.append(OUT_OF_REGION)
    if report.sentence_days >= SENTENCE_LIMIT_DAYS:
        reasons.append(SENTENCE_TOO_LONG)
    if _institution_key(report.institution) not in {_institution_key(name) for name in configured}:
        allowed = f"alleen {', '.join(configured)}" if configured else "geen inrichtingen ingesteld"
        # The value itself is not quoted: a shifted column could put a name here.
        reasons.append(f"inrichting valt buiten de doelgroep ({allowed})")
    return reasons


def _institution_key(name: str) -> str:
    return " ".join(name.split()).casefold()
