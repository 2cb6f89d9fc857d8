"""Validation and eligibility of one intake record (DESIGN.md §3, "Intake record").

``validate_record`` turns a raw record (a CSV row or a JSON Lines object) into a ``SelfReport``
or a ``DetaineeReport`` (by its ``group`` field; a self-reporter when absent) or into *every*
problem found, one ``FieldError`` per problem, so that the prison service can fix a record in one
round. A self-reporter has a ``report_date``; a detainee has a ``release_date`` and a
``custody_since`` instead, and a date field of the other group is an error (it means the record is
of the other group, or the group is missing). ``check_eligibility`` then says why a valid record
falls outside the target group. Both are pure: no I/O and no clock (``today`` is passed in).

Invariants:
- Never raises on bad input: any mapping of any JSON-ish values yields a report or a non-empty
  list of errors.
- Error messages are Dutch, name the field and the problem, and never echo the value: a shifted
  column can put a name or an address into any field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date
from functools import lru_cache
from typing import Any, cast

from workflows.intake_values import MAX_VALUE_LENGTH, PARSERS, SENTENCE_LIMIT_DAYS, InvalidValueError
from workflows.model import DetaineeReport, FieldError, PersonReport, RoutingDecision, SelfReport, TargetGroup

FIELDS: tuple[str, ...] = (
    "dji_id", "surname", "given_names", "birth_date", "street", "house_number", "postcode", "woonplaats",
    "gemeente", "sentence_days", "report_date", "institution", "phone", "email", "group", "release_date",
    "custody_since",
)  # fmt: skip
# Required of every record, whatever its group.
COMMON_REQUIRED: tuple[str, ...] = ("dji_id", "surname", "given_names", "birth_date", "sentence_days", "institution")
# The dates that belong to one group only: required for it, an error on a record of the other group.
GROUP_DATES: Mapping[TargetGroup, tuple[str, ...]] = {
    TargetGroup.SELF_REPORTER: ("report_date",),
    TargetGroup.DETAINEE: ("release_date", "custody_since"),
}
# The required fields of a record without a ``group`` (a self-reporter), as the feed's header names them.
REQUIRED_FIELDS: tuple[str, ...] = (
    "dji_id", "surname", "given_names", "birth_date", "sentence_days", "report_date", "institution",
)  # fmt: skip

# Personal fields; no message echoes any value at all (see the module docstring).
PERSONAL_FIELDS: tuple[str, ...] = (
    "surname", "given_names", "birth_date", "street", "house_number", "postcode", "woonplaats", "phone", "email",
)  # fmt: skip

MISSING = "verplicht veld ontbreekt of is leeg"
OUT_OF_REGION = "woont buiten 3Noord"  # Groningen, Fryslân and Drenthe; routing decides (certain only)
SENTENCE_TOO_LONG = f"straf van {SENTENCE_LIMIT_DAYS} dagen of langer"

_FIELD_SET = frozenset(FIELDS)
# JSON feeds may carry these as numbers (gemeente: a CBS or BRP code); a phone number may not: it loses its 0.
_NUMBER_FIELDS = frozenset({"dji_id", "house_number", "postcode", "gemeente", "sentence_days"})
# Line breaks, tabs, other C0/C1 controls (Unicode Cc), lone surrogates (Cs) and line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_TYPE_NAMES: dict[type, str] = {bool: "ja/nee-waarde", int: "getal", float: "getal", list: "lijst", dict: "object"}

_GROUP_KEYS: Mapping[str, TargetGroup] = {group.value: group for group in TargetGroup}


@lru_cache(maxsize=1024)  # feeds repeat the same few header names on every record
def normalise_field_name(name: str) -> str:
    """Map a header or JSON key to a field name: case, surrounding spaces, inner spaces/dashes, BOM."""
    return re.sub(r"[\s-]+", "_", name.replace("\ufeff", "").strip()).lower()


def validate_record(raw: Mapping[str, object], *, today: date) -> PersonReport | list[FieldError]:
    """Validate one raw record; unknown keys are ignored, every problem is collected.

    Args:
        raw: field name (matched via ``normalise_field_name``) to value; values may be any JSON value.
        today: the local date of intake; birth, report, release and custody dates are judged against it.

    Returns:
        A ``SelfReport`` or ``DetaineeReport`` with normalised values, or a non-empty list of errors
        in ``FIELDS`` order.
    """
    values, conflicts = _collect(raw)
    group = _group_of(values, conflicts)
    parsed: dict[str, str | int | date] = {}
    errors: list[FieldError] = []
    for name in FIELDS:
        problems = _field_problems(name, values.get(name), conflicts, parsed, today, group)
        errors.extend(FieldError(name, message) for message in problems)
    errors += _date_order_problems(parsed)
    if errors:
        return sorted(errors, key=lambda e: FIELDS.index(e.field))
    return _build(parsed, group or TargetGroup.SELF_REPORTER)


def _group_of(values: Mapping[str, object], conflicts: set[str]) -> TargetGroup | None:
    """The record's group (a self-reporter when the field is absent); None when it is not a known group."""
    if "group" in conflicts:
        return None
    value = values.get("group")
    if value is None:
        return TargetGroup.SELF_REPORTER
    if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:  # its error comes from the field's own check
        return None
    return _GROUP_KEYS.get(_group_key(value))


def _group_key(text: str) -> str:
    """The same leniency as a header name (case, spaces, dashes), without its cache: values are the feed's."""
    return re.sub(r"[\s-]+", "_", text.strip()).lower()


def _rule(name: str, group: TargetGroup | None) -> str | None:
    """``required`` or ``foreign`` (a date of another group) for ``name`` in a record of ``group``."""
    if name in COMMON_REQUIRED or (group is not None and name in GROUP_DATES[group]):
        return "required"
    if group is not None and any(name in dates for other, dates in GROUP_DATES.items() if other is not group):
        return "foreign"
    return None


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


def _field_problems(name: str, value: object, conflicts: set[str], parsed: dict[str, str | int | date], today: date,
                    group: TargetGroup | None) -> list[str]:  # fmt: skip
    """Check one field; store its parsed value in ``parsed`` when it is valid."""
    if name in conflicts:
        return ["komt meer dan eens voor met verschillende waarden"]
    rule = _rule(name, group)
    if value is None:
        return [MISSING] if rule == "required" else []
    text, problems = _as_text(name, value)
    if problems or text is None:
        return problems
    if rule == "foreign":
        assert group is not None
        dates = " en ".join(GROUP_DATES[group])
        return [f"hoort niet bij groep {group.value} (die heeft {dates}); klopt de groep?"]
    try:
        parsed[name] = _group(text) if name == "group" else PARSERS.get(name, _plain_text)(text, today)
    except InvalidValueError as exc:
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


def _group(text: str) -> str:
    if _group_key(text) not in _GROUP_KEYS:
        raise InvalidValueError("onbekende groep (verwacht " + " of ".join(_GROUP_KEYS) + ")")
    return _GROUP_KEYS[_group_key(text)].value


def _date_order_problems(parsed: Mapping[str, str | int | date]) -> list[FieldError]:
    """A release on or before the day custody began cannot be: one of the two dates is wrong."""
    released, since = parsed.get("release_date"), parsed.get("custody_since")
    if isinstance(released, date) and isinstance(since, date) and released <= since:
        return [FieldError("release_date", "vrijlatingsdatum ligt niet na de datum van insluiting (custody_since)")]
    return []


def _build(parsed: Mapping[str, str | int | date], group: TargetGroup) -> PersonReport:
    """Assemble the report of ``group``; each parser has fixed its field's type (``shared`` is typed by them)."""
    shared: dict[str, Any] = {name: parsed.get(name) for name in _SHARED_FIELDS}
    if group is TargetGroup.DETAINEE:
        return DetaineeReport(**shared, release_date=cast(date, parsed["release_date"]),
                              custody_since=cast(date, parsed["custody_since"]))  # fmt: skip
    return SelfReport(**shared, report_date=cast(date, parsed["report_date"]))


# What the records of both groups have (all but each group's own dates).
_SHARED_FIELDS = tuple(f.name for f in fields(SelfReport) if f.name not in GROUP_DATES[TargetGroup.SELF_REPORTER])


def check_eligibility(report: PersonReport, decision: RoutingDecision, institutions: Sequence[str]) -> list[str]:
    """Say why a valid record falls outside the target group; an empty list means eligible.

    All reasons are returned (not just the first), so staff see at once that, say, both the
    sentence and the institution are out of scope; join them with ``"; "`` for a single line.
    An undecided municipality is *not* a reason: that record needs routing, not rejection.

    Args:
        institutions: the institutions configured for the record's group (``[koers] institutions`` for
            self-reporters, ``detainee_institutions`` for detainees); matched without regard to case
            or spacing.
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
