"""The hand-entered outcome: the console's form fields to an ``Outcome``, checked like a reply is.

The same fields as the outcome block of the emails (``FIELD_LABELS``). A contradiction that the
reply parser would send back (no contact, but actions or a form of contact) is refused here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from messaging.outcome_fields import FIELD_LABELS, LIFE_DOMAINS, NOTE_MAX_CHARS
from workflows.model import Answer, ContactForm, Outcome

ANSWER_CHOICES = (("yes", "ja"), ("no", "nee"), ("unknown", "onbekend"))
CONTACT_FORM_CHOICES = (("", "—"), ("letter", "reactie op de brief"), ("phone", "telefonisch"),
                        ("visit", "huisbezoek"), ("other", "anders"))  # fmt: skip
LIFE_DOMAIN_CHOICES = tuple((key, key.capitalize()) for key in LIFE_DOMAINS)


class OutcomeFormError(ValueError):
    """The form cannot be recorded as it is; the message is Dutch and names the field."""


def form_choices() -> dict[str, Any]:
    """What the outcome form template needs."""
    return {"labels": FIELD_LABELS, "answers": ANSWER_CHOICES, "contact_forms": CONTACT_FORM_CHOICES,
            "life_domains": LIFE_DOMAIN_CHOICES, "note_max": NOTE_MAX_CHARS}  # fmt: skip


def _answer(form: Mapping[str, Any], key: str) -> Answer:
    value = str(form.get(key, "unknown") or "unknown")
    try:
        return Answer(value)
    except ValueError as exc:
        raise OutcomeFormError(f"{FIELD_LABELS[key]}: kies ja, nee of onbekend") from exc


def parse_outcome_form(form: Mapping[str, Any], life_domains: list[str]) -> Outcome:
    """An ``Outcome`` from the posted form; ``life_domains`` are the checked boxes.

    Raises:
        OutcomeFormError: a value is unknown, the answers contradict each other, or contact is not answered.
    """
    contact, actions, known = _answer(form, "contact"), _answer(form, "actions"), _answer(form, "known_to_care")
    raw_form = str(form.get("contact_form", "") or "")
    try:
        contact_form = ContactForm(raw_form) if raw_form else None
    except ValueError as exc:
        raise OutcomeFormError(f"{FIELD_LABELS['contact_form']}: onbekende waarde") from exc
    unknown = [d for d in life_domains if d not in LIFE_DOMAINS]
    if unknown:
        raise OutcomeFormError(f"{FIELD_LABELS['life_domains']}: onbekend leefgebied")
    note = str(form.get("note", "") or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise OutcomeFormError(f"{FIELD_LABELS['note']}: maximaal {NOTE_MAX_CHARS} tekens")
    if contact is Answer.UNKNOWN:
        raise OutcomeFormError(f"{FIELD_LABELS['contact']}: geef aan of er contact was (ja of nee)")
    if contact is Answer.NO and (actions is Answer.YES or contact_form is not None):
        raise OutcomeFormError("Geen contact, maar wel een vorm van contact of acties: dat spreekt elkaar tegen")
    domains = tuple(d for d in LIFE_DOMAINS if d in life_domains)
    return Outcome(contact=contact, contact_form=contact_form, actions=actions, life_domains=domains,
                   known_to_care=known, note=note or None)  # fmt: skip
