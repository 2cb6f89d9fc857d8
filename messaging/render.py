"""Rendering of the letter and every outgoing email: data in, bytes or ``OutgoingEmail`` out.

Pure: no SMTP, no database, no clock. The Dutch texts live in ``messaging/templates/*.txt.j2``.
Every template renders the subject on its first line, a blank line, then the body. The renderer
prefixes the subject with the case reference (``[ZM-000042] …``), so no template can forget it;
subjects never carry a name.

Template lookup, first match wins: ``municipalities/<CBS code>/<name>`` in each template
directory, then ``<name>`` in each directory; the directories are the extra ones passed to
``Renderer`` (from config) in order, then the package's own. Templates are compiled once and
cached; ``StrictUndefined`` makes a misspelt variable fail loudly instead of printing nothing.

Minimal data: only the notification carries the person's details (staff need them to act);
reminders, escalations, follow-ups, confirmations and ask-backs carry the case reference only.

Groups: a self-reporter's notification carries the letter to the person's home; a detainee's has
its own text (``detainee_notification``: the person is inside, the municipality prepares the
release) and no letter. The other emails serve both groups: each template gets ``group``,
``person`` ("zelfmelder", "gedetineerde") and ``deadline`` (the report date, the release date) and
says "vrijlating" where a self-reporter's text says "meldingsdatum".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date
from os import PathLike
from pathlib import Path
from typing import Any

import jinja2

from messaging.email_data import (
    AskBackData,
    ConfirmationData,
    DetaineeNotificationData,
    EscalationData,
    FollowUpData,
    NoticeData,
    NotificationData,
    ProposalData,
    ReminderData,
)
from messaging.email_message import (
    Attachment,
    OutgoingEmail,
    make_message_id,
)
from messaging.letter import LetterData, LetterLayout, build_pdf, recipient_lines, split_letter_text
from messaging.reply_block import FIELD_LABELS, empty_block, fields_of
from messaging.reply_block import field as reply_field
from workflows.labels import ANSWERS, CONTACT_FORMS, GROUP_PERSONS
from workflows.model import Answer, Outcome, TargetGroup

__all__ = [
    "AskBackData", "Attachment", "ConfirmationData", "DetaineeNotificationData", "EscalationData", "FollowUpData",
    "LetterData", "NoticeData", "NotificationData", "OutgoingEmail", "ProposalData", "ReminderData", "Renderer",
    "dutch_date", "make_message_id", "proposal_summary",
]  # fmt: skip

TEMPLATE_DIR = Path(__file__).parent / "templates"
DETAINEE = TargetGroup.DETAINEE
DEFAULT_TEAM = "Team Zorg en Veiligheid"
NOTICE_KINDS = frozenset({"rerouted", "not_resident_received"})
_CBS_CODE = re.compile(r"^GM\d{4}$")
_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
_WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def dutch_date(day: date, *, weekday: bool = False) -> str:
    """``3 maart 2025``, or ``maandag 3 maart 2025`` with ``weekday``."""
    text = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def days_phrase(days: int) -> str:
    """``over 12 dagen``, ``morgen``, ``vandaag``, ``gisteren`` or ``3 dagen geleden``."""
    named = {1: "morgen", 0: "vandaag", -1: "gisteren"}
    if days in named:
        return named[days]
    return f"over {days} dagen" if days > 0 else f"{-days} dagen geleden"


def sentence_band(sentence_days: int) -> str:
    """The sentence as the region's band only; the exact length is not shared."""
    if sentence_days <= 21:
        return "korte straf (maximaal 3 weken)"
    return "3 weken tot 3 maanden" if sentence_days <= 91 else "langer dan 3 maanden"


class Renderer:
    """Renders letters and emails from the templates; build one per process and reuse it.

    Args:
        extra_template_dirs: override directories (from config), searched before the package's own.
        signature: who signs the emails, e.g. the display name of the configured sender.
        compress_pdf: turn off only to inspect the PDF text in tests.
    """

    def __init__(
        self,
        extra_template_dirs: Sequence[str | PathLike[str]] = (),
        *,
        signature: str = "Zelfmelders 3Noord",
        compress_pdf: bool = True,
    ) -> None:
        search = [str(Path(d)) for d in extra_template_dirs] + [str(TEMPLATE_DIR)]
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - plain text and PDF text, never HTML
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self._env.filters.update(datum=dutch_date, dagen=days_phrase)
        self._templates: dict[tuple[str, str | None], jinja2.Template] = {}
        self._signature = signature
        self._compress = compress_pdf

    def template(self, name: str, cbs_code: str | None = None) -> jinja2.Template:
        """The compiled template ``name``, the municipality's own version when it has one."""
        key = (name, cbs_code)
        if key not in self._templates:
            candidates = [name]
            if cbs_code is not None:
                if not _CBS_CODE.match(cbs_code):
                    raise ValueError(f"ongeldige CBS-code: {cbs_code!r}")
                candidates.insert(0, f"municipalities/{cbs_code}/{name}")
            self._templates[key] = self._env.select_template(candidates)
        return self._templates[key]

    def letter_text(self, data: LetterData, cbs_code: str) -> str:
        """The letter's subject line and body as rendered text (see ``messaging.letter``)."""
        context = _flat_fields(data) | {"team_name": data.team or DEFAULT_TEAM}
        return self.template("letter.txt.j2", cbs_code).render(context)

    def letter_pdf(self, data: LetterData, cbs_code: str) -> bytes:
        """The one-page PDF letter to the self-reporter, on behalf of the municipality."""
        subject, blocks = split_letter_text(self.letter_text(data, cbs_code))
        team = data.team or DEFAULT_TEAM
        sender = [team, *(p.strip() for p in re.split(r"[,\n]", data.address or "") if p.strip())]
        sender += [f"Telefoon {data.phone}"] if data.phone else []
        sender += [data.team_email] if data.team_email else []
        layout = LetterLayout(
            sender_title=f"Gemeente {data.municipality_name}",
            sender_lines=tuple(sender),
            recipient_lines=recipient_lines(data),
            meta=(("Datum", dutch_date(data.letter_date)), ("Kenmerk", data.case_ref), ("Onderwerp", subject)),
            blocks=blocks,
            title=f"Brief {data.case_ref}",
        )
        return build_pdf(layout, compress=self._compress)

    def notification(
        self, data: NotificationData, *, to: str | Sequence[str], reply_to: str, message_id: str, letter_pdf: bytes,
        cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """The case notification to the municipality's mailbox, with the letter attached."""
        context = _flat_fields(data) | _reply_context(FIELD_LABELS, TargetGroup.SELF_REPORTER)
        context |= {
            "sentence_band": sentence_band(data.sentence_days),
            "address_line": _address_line(data),
            "letter_filename": _letter_filename(data.case_ref),
        }
        attachment = Attachment(_letter_filename(data.case_ref), "application/pdf", letter_pdf)
        return self._email("notification", context, cbs_code, to, message_id, reply_to, None, (attachment,))

    def detainee_notification(
        self, data: DetaineeNotificationData, *, to: str | Sequence[str], reply_to: str, message_id: str,
        cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """The case notification for a detainee: prepare the release; no letter, nothing to the home address."""
        context = _flat_fields(data) | _reply_context(FIELD_LABELS, DETAINEE) | {"group": DETAINEE}
        context |= {"sentence_band": sentence_band(data.sentence_days), "address_line": _address_line(data)}
        return self._email("notification", context, cbs_code, to, message_id, reply_to, None,
                           template="detainee_notification")  # fmt: skip

    def reminder(
        self, data: ReminderData, *, to: str | Sequence[str], reply_to: str, message_id: str,
        in_reply_to: str | None = None, second: bool = False, cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """A first (or, with ``second``, a second) reminder: no outcome recorded yet."""
        context = asdict(data) | _reply_context(FIELD_LABELS, data.group)
        kind = "second_reminder" if second else "reminder"
        return self._email(kind, context, cbs_code, to, message_id, reply_to, in_reply_to)

    def escalation(
        self, data: EscalationData, *, to: str | Sequence[str], message_id: str, reply_to: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """The escalation to the province's coordinator: which municipality, why, how much time is left."""
        return self._email("escalation", asdict(data), data.cbs_code, to, message_id, reply_to, None)

    def follow_up(
        self, data: FollowUpData, *, to: str | Sequence[str], reply_to: str, message_id: str,
        in_reply_to: str | None = None, cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """Contact was recorded, actions are unknown: ask for the missing fields only."""
        context = asdict(data) | {"contact_form_label": _contact_form_label(data.outcome)}
        context |= _reply_context(_missing_fields(data.outcome), data.group)
        return self._email("follow_up", context, cbs_code, to, message_id, reply_to, in_reply_to)

    def confirmation(
        self, data: ConfirmationData, *, to: str | Sequence[str], message_id: str, reply_to: str | None = None,
        in_reply_to: str | None = None, cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """Confirms what was recorded, so that the sender can correct a misreading."""
        context = asdict(data) | {
            "recorded": _recorded_lines(data.outcome, label_of_person(data.group)),
            "is_partial": data.outcome.is_partial,
            "correction_example": reply_field("actions").line(ANSWERS[Answer.YES]),
        }
        return self._email("confirmation", context, cbs_code, to, message_id, reply_to, in_reply_to)

    def ask_back(
        self, data: AskBackData, *, to: str | Sequence[str], message_id: str, reply_to: str | None = None,
        in_reply_to: str | None = None, cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """Quotes the lines that could not be read and asks precisely for what is needed."""
        unknown = [key for key in data.needed if key not in FIELD_LABELS]
        if unknown:
            raise ValueError(f"onbekende antwoordvelden: {unknown}")
        context = asdict(data) | _reply_context(data.needed, data.group)
        context["read"] = [(FIELD_LABELS.get(key, key), value) for key, value in data.read]
        return self._email("ask_back", context, cbs_code, to, message_id, reply_to, in_reply_to)

    def proposal(
        self, data: ProposalData, *, to: str | Sequence[str], message_id: str, reply_to: str | None = None,
        in_reply_to: str | None = None, cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """What Koers read from the sender's own words, in one plain sentence, to confirm with "ja"."""
        context = {"case_ref": data.case_ref, "summary": proposal_summary(data.proposal),
                   "group": data.group} | _reply_context(data.needed, data.group)  # fmt: skip
        return self._email("proposal", context, cbs_code, to, message_id, reply_to, in_reply_to)

    def notice(
        self, kind: str, data: NoticeData, *, to: str | Sequence[str], message_id: str, reply_to: str | None = None,
        in_reply_to: str | None = None, cbs_code: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        """A short notice: ``rerouted`` (to the previous municipality) or ``not_resident_received``."""
        if kind not in NOTICE_KINDS:
            raise ValueError(f"onbekende soort bericht: {kind!r}")
        return self._email(kind, asdict(data), cbs_code, to, message_id, reply_to, in_reply_to)

    def _email(
        self, kind: str, context: dict[str, Any], cbs_code: str | None, to: str | Sequence[str], message_id: str,
        reply_to: str | None, in_reply_to: str | None, attachments: tuple[Attachment, ...] = (),
        template: str | None = None,
    ) -> OutgoingEmail:  # fmt: skip
        case_ref = str(context["case_ref"])
        group = TargetGroup(context.get("group", TargetGroup.SELF_REPORTER))
        context = context | {"signature": self._signature, "group": group.value, "person": label_of_person(group)}
        text = self.template(f"{template or kind}.txt.j2", cbs_code).render(context)
        subject, _, body = text.lstrip("\n").partition("\n")
        headers = {"X-Koers-Reference": case_ref, "X-Koers-Kind": kind}
        if in_reply_to:
            headers |= {"In-Reply-To": in_reply_to, "References": in_reply_to}
        return OutgoingEmail(
            message_id=message_id,
            to=(to,) if isinstance(to, str) else tuple(to),
            subject=f"[{case_ref}] {subject.strip()}",
            text=body.strip("\n") + "\n",
            reply_to=reply_to,
            headers=headers,
            attachments=attachments,
            kind=kind,
        )


def label_of_person(group: TargetGroup) -> str:
    """One person of ``group`` as the emails name them: "zelfmelder", "gedetineerde"."""
    return GROUP_PERSONS[group]


def _flat_fields(data: LetterData | NotificationData | DetaineeNotificationData) -> dict[str, Any]:
    """The fields of a dataclass whose values are all str, int, bool, date or None: ``asdict`` without
    its deep copy, which cost a twentieth of a letter."""
    return dict(vars(data))


def _letter_filename(case_ref: str) -> str:
    return f"brief-{case_ref}.pdf"


def _address_line(data: NotificationData | DetaineeNotificationData) -> str:
    street = " ".join(p for p in (data.street, data.house_number) if p)
    place = " ".join(p for p in (data.postcode, data.woonplaats) if p)
    return ", ".join(p for p in (street, place) if p) or "onbekend"


def _reply_context(keys: Iterable[str], group: TargetGroup) -> dict[str, Any]:
    """The empty reply block for ``keys`` and, per field in block order, what the templates say about it."""
    fields = fields_of(keys)
    return {
        "reply_block": empty_block(f.key for f in fields),
        "reply_fields": [
            {"key": f.key, "label": f.label, "hint": f.hint, "question": f.ask(label_of_person(group))} for f in fields
        ],
    }


def _missing_fields(outcome: Outcome) -> list[str]:
    missing = {"contact_form"} if outcome.contact_form is None else set()
    if outcome.actions is Answer.UNKNOWN:
        missing |= {"actions", "life_domains"}
    elif outcome.actions is Answer.YES and not outcome.life_domains:
        missing.add("life_domains")
    if outcome.known_to_care is Answer.UNKNOWN:
        missing.add("known_to_care")
    return [key for key in FIELD_LABELS if key in missing]


def proposal_summary(outcome: Outcome) -> str:
    """``contact ja (telefonisch), acties ja, al bekend ja``: what was read, as a Dutch sentence says it."""
    parts: list[str] = []
    if outcome.contact is not Answer.UNKNOWN:
        form = f" ({CONTACT_FORMS[outcome.contact_form]})" if outcome.contact_form else ""
        parts.append(f"contact {ANSWERS[outcome.contact]}{form}")
    if outcome.actions is not Answer.UNKNOWN:
        parts.append(f"acties {ANSWERS[outcome.actions]}")
    if outcome.life_domains:
        parts.append(f"leefgebieden {', '.join(outcome.life_domains)}")
    if outcome.known_to_care is not Answer.UNKNOWN:
        parts.append(f"al bekend {ANSWERS[outcome.known_to_care]}")
    return ", ".join(parts)


def _contact_form_label(outcome: Outcome) -> str | None:
    return CONTACT_FORMS[outcome.contact_form] if outcome.contact_form else None


def _recorded_lines(outcome: Outcome, person: str) -> list[tuple[str, str]]:
    """What was recorded, in the block's words; contact and its form on one line, unknowns said as such."""
    contact = ANSWERS[outcome.contact]
    if outcome.contact_form is not None:
        contact += f" ({CONTACT_FORMS[outcome.contact_form]})"
    lines = [(f"Contact met de {person}", contact), (FIELD_LABELS["actions"], ANSWERS[outcome.actions])]
    for f in (reply_field("life_domains"), reply_field("known_to_care"), reply_field("note")):
        value = f.write(outcome) or f.unknown
        if value:
            lines.append((f.label, value))
    return lines
