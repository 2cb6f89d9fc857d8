"""The parsers of single intake fields: text in, a normalised value out, or every problem in Dutch.

Each parser takes the field's stripped text and the local date of intake (dates are judged against
it) and returns the value the validated record holds, or raises ``InvalidValueError`` with one Dutch
message per problem. Messages name the problem, never the value (``workflows.intake`` explains why).
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

MAX_VALUE_LENGTH = 200
MAX_DJI_ID_LENGTH = 64
MIN_AGE_YEARS = 12
MAX_AGE_YEARS = 110
MAX_SENTENCE_DAYS = 36_500  # a century: beyond this the number is a typo, and it keeps the value in a DB integer
REPORT_DATE_HORIZON_YEARS = 2  # a report date further ahead is a typo, and would push timers past any calendar
CUSTODY_HORIZON_YEARS = 2  # the group's sentences are under a year: custody that began longer ago is a typo
SENTENCE_LIMIT_DAYS = 365  # the target group has sentences shorter than one year

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[0-9]+")
_POSTCODE = re.compile(r"([1-9][0-9]{3}) *([A-Za-z]{2})")
_HOUSE_NUMBER = re.compile(r"[1-9][0-9]{0,4}(?: ?[A-Za-z])?(?:(?: *[-/] *| +)[A-Za-z0-9]{1,4})?")
_EMAIL = re.compile(r"[^\s@\"(),:;<>\[\]\\]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}")
_PHONE_CHARS = re.compile(r"\+?[0-9() -]+")


class InvalidValueError(Exception):
    """Raised by a field parser; carries one Dutch message per problem found."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = messages


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
        raise InvalidValueError(*problems)
    return text


def _name(text: str, today: date) -> str:
    if not any(char.isalpha() for char in text):
        raise InvalidValueError("bevat geen letters")
    return text


def iso_date(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


def years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def _birth_date(text: str, today: date) -> date:
    born = iso_date(text)
    if born is None:
        raise InvalidValueError("geen geldige datum (verwacht JJJJ-MM-DD)")
    if born >= today:
        raise InvalidValueError("geboortedatum ligt niet in het verleden")
    age = years_between(born, today)
    if age < MIN_AGE_YEARS:
        raise InvalidValueError(f"leeftijd onder {MIN_AGE_YEARS} jaar is niet aannemelijk")
    if age > MAX_AGE_YEARS:
        raise InvalidValueError(f"leeftijd boven {MAX_AGE_YEARS} jaar is niet aannemelijk")
    return born


def _report_date(text: str, today: date) -> date:
    day = iso_date(text)
    if day is None:
        raise InvalidValueError("geen geldige datum (verwacht JJJJ-MM-DD)")
    if day < today:
        raise InvalidValueError("meldingsdatum ligt in het verleden")
    if years_between(today, day) >= REPORT_DATE_HORIZON_YEARS:
        raise InvalidValueError(f"meldingsdatum ligt {REPORT_DATE_HORIZON_YEARS} jaar of meer in de toekomst")
    return day


def _release_date(text: str, today: date) -> date:
    day = iso_date(text)
    if day is None:
        raise InvalidValueError("geen geldige datum (verwacht JJJJ-MM-DD)")
    if day < today:
        raise InvalidValueError("vrijlatingsdatum ligt in het verleden")
    if years_between(today, day) >= REPORT_DATE_HORIZON_YEARS:
        raise InvalidValueError(f"vrijlatingsdatum ligt {REPORT_DATE_HORIZON_YEARS} jaar of meer in de toekomst")
    return day


def _custody_since(text: str, today: date) -> date:
    day = iso_date(text)
    if day is None:
        raise InvalidValueError("geen geldige datum (verwacht JJJJ-MM-DD)")
    if day > today:
        raise InvalidValueError("datum van insluiting ligt in de toekomst")
    if years_between(day, today) >= CUSTODY_HORIZON_YEARS:
        raise InvalidValueError(f"datum van insluiting ligt {CUSTODY_HORIZON_YEARS} jaar of meer in het verleden")
    return day


def _sentence_days(text: str, today: date) -> int:
    if not _WHOLE.fullmatch(text):
        raise InvalidValueError("geen positief geheel aantal dagen")
    days = int(text)
    if days == 0:
        raise InvalidValueError("moet minstens 1 dag zijn")
    if days > MAX_SENTENCE_DAYS:
        raise InvalidValueError(f"niet aannemelijk (meer dan {MAX_SENTENCE_DAYS} dagen)")
    return days


def _postcode(text: str, today: date) -> str:
    match = _POSTCODE.fullmatch(text)
    if match is None:
        raise InvalidValueError("geen geldige postcode (verwacht 1234 AB)")
    letters = match.group(2).upper()
    if letters in {"SA", "SD", "SS"}:
        raise InvalidValueError("geen geldige postcode (de letters SA, SD en SS komen niet voor)")
    return f"{match.group(1)} {letters}"


def _house_number(text: str, today: date) -> str:
    if not _HOUSE_NUMBER.fullmatch(text):
        raise InvalidValueError("geen geldig huisnummer (verwacht bijvoorbeeld 12, 12a, 12-2 of 12 bis)")
    return text


def _email(text: str, today: date) -> str:
    if not _EMAIL.fullmatch(text) or ".." in text or text.startswith(".") or ".@" in text:
        raise InvalidValueError("geen geldig e-mailadres")
    return text


def _phone(text: str, today: date) -> str:
    problems = []
    if not _PHONE_CHARS.fullmatch(text):
        problems.append("bevat ongeldige tekens (alleen cijfers, + aan het begin, spaties, streepjes en haakjes)")
    if not 8 <= sum(char in "0123456789" for char in text) <= 15:
        problems.append("moet 8 tot 15 cijfers bevatten")
    if problems:
        raise InvalidValueError(*problems)
    return text


PARSERS: dict[str, Callable[[str, date], str | int | date]] = {
    "dji_id": _dji_id,
    "surname": _name,
    "given_names": _name,
    "birth_date": _birth_date,
    "report_date": _report_date,
    "release_date": _release_date,
    "custody_since": _custody_since,
    "sentence_days": _sentence_days,
    "postcode": _postcode,
    "house_number": _house_number,
    "email": _email,
    "phone": _phone,
}
