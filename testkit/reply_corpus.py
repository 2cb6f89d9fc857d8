"""The labelled reply corpus (``tests/data/replies/labelled.toml``): messages built from it, and how Koers did.

Each entry is a text staff wrote, with the outcome a careful human reads from it. ``messages`` sends
every text through two client shapes (``workers.demo.mail_clients``: one plain text with a ``>``
quote or Outlook's header block, one HTML), so each text is two replies. ``judge`` runs Koers' own
pipeline on one message without a database — ``parse_message`` → ``classify`` → ``read_reply`` →
``plan_reply`` — and says what a person would see:

- ``read right``: every field the human is certain of ends as labelled, directly or after the sender
  confirms the proposal, and nothing the human left open or was unsure of is recorded;
- ``recorded wrong``: a recorded value differs from the label, a field the human was unsure of was
  recorded, or a signature reached the note;
- ``not read``: nothing wrong was recorded but the reply was not fully read (asked back instead);
- ``correctly refused``: automatic mail left unanswered, or a reply that says nothing recorded nothing;
- ``answered automatic``: automatic mail that Koers would answer (a loop waiting to happen).

A *loop* is an ask-back whose answer (the asked fields, typed as the block asks) is asked again.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from messaging.classify import classify
from messaging.inbound import parse_message
from messaging.outcome_values import LIFE_DOMAINS
from messaging.reply_block import BLOCK_START, FIELDS, FillStyle, empty_block, fill_block
from messaging.reply_plan import ReplyPlan, merged, plan_reply, proposal_outcome
from messaging.reply_reading import read_reply
from workers.demo.mail_clients import (
    HTML_CLIENTS,
    PLAIN_CLIENTS,
    Original,
    gmail_html,
    gmail_nl,
    outlook,
    outlook_html,
    thunderbird,
)
from workflows.commands import EmailKind
from workflows.model import Answer, ContactForm, Outcome
from workflows.states import MessageKind

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "replies" / "labelled.toml"
# Written without looking at the reading rules, to measure them honestly (never tuned to pass).
HELD_OUT = CORPUS.parents[1] / "replies_heldout" / "labelled.toml"
VERDICTS = ("read right", "recorded wrong", "not read", "correctly refused", "answered automatic")
_KEYS = {"contact": "contact", "form": "contact_form", "actions": "actions", "known": "known_to_care",
         "domains": "life_domains"}  # fmt: skip
UNSURE = "*"
ORIGINAL = Original(
    text="Beste collega's van de gemeente Assen,\n\nNieuwe zelfmelder in uw gemeente: graag contact leggen vóór de "
         "meldingsdatum.\n\nUITKOMST DOORGEVEN\nKlik op Beantwoorden, zet het blok hieronder ingevuld bovenaan uw "
         f"antwoord.\n\n{empty_block()}\n\nMet vriendelijke groet,\n\nZelfmelders 3Noord",
    sender_name="Zelfmelders 3Noord", sender_address="zelfmelders@koers.example", to="zelfmelders@assen.example",
    subject="[ZM-000042] Zelfmelder: verzoek om contact vóór detentie", sent=datetime(2026, 3, 3, 10, 0),
    message_id="<zm-000042.notification.1@koers.example>",
)  # fmt: skip
_PLAIN = (gmail_nl, outlook, thunderbird)
_HTML = (outlook_html, gmail_html)


@dataclass(frozen=True)
class Entry:
    index: int
    category: str
    text: str
    expect: dict[str, object]
    known: Outcome = Outcome()
    asked: tuple[str, ...] = ()
    inline: str = ""
    auto: bool = False
    subject: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    note_not: str = ""
    clients: tuple[str, ...] = ()  # (plain client, HTML client) by name; empty: the default rotation

    @property
    def is_certain_to_a_human(self) -> bool:
        return not self.auto and any(value != UNSURE for value in self.expect.values())


@dataclass(frozen=True)
class Judged:
    entry: Entry
    shape: str
    verdict: str
    ms: float
    loop: bool = False


def load(path: Path = CORPUS) -> list[Entry]:
    """The entries of a labelled corpus: its ``labelled.toml``, or a folder holding one."""
    path = path / "labelled.toml" if path.is_dir() else path
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [_entry(i, raw) for i, raw in enumerate(data["reply"])]


def messages(entries: list[Entry]) -> Iterator[tuple[Entry, str, bytes]]:
    """Every entry as two replies: (entry, shape name, raw bytes)."""
    for entry in entries:
        for shape in (0, 1):
            name, raw = _build(entry, shape)
            yield entry, name, raw


def judge(entry: Entry, shape: str, raw: bytes, *, prose: bool = True) -> Judged:
    """How Koers does on one message; ``prose=False`` judges the block readers alone (proposals ignored)."""
    start = time.perf_counter()
    message = parse_message(raw)
    verdict = classify(message)
    plan = None
    if verdict.kind is MessageKind.REPLY:
        reading = read_reply(message.text, known=entry.known, asked=entry.asked)
        plan = plan_reply(reading, known=entry.known)
        plan = plan if prose else replace(plan, propose={})
    ms = (time.perf_counter() - start) * 1000
    if entry.auto:
        answered = plan is not None and plan.answer is not None
        return Judged(entry, shape, "answered automatic" if answered else "correctly refused", ms)
    if plan is None:  # not read as a reply (a forward, say): right only when there was nothing certain to read
        return Judged(entry, shape, "not read" if entry.is_certain_to_a_human else "correctly refused", ms)
    return Judged(entry, shape, _verdict(entry, plan), ms, _loops(entry, plan))


def _verdict(entry: Entry, plan: ReplyPlan) -> str:
    now = plan.recorded or Outcome()
    recorded = merged(entry.known, now)
    final = merged(recorded, proposal_outcome(plan.propose))
    if any(_wrong(entry.expect.get(key), _value(now, key)) for key in _KEYS.values()):
        return "recorded wrong"
    if entry.note_not and entry.note_not in (recorded.note or ""):
        return "recorded wrong"
    if not entry.is_certain_to_a_human:
        nothing = all(_value(now, key) is None for key in _KEYS.values()) and not plan.propose
        return "correctly refused" if nothing else "not read"
    right = all(_value(final, key) == expected for key, expected in entry.expect.items() if expected != UNSURE)
    unasked = all(_value(final, key) is None for key in _KEYS.values() if key not in entry.expect)
    return "read right" if right and unasked else "not read"


def _wrong(expected: object, value: object) -> bool:
    return value is not None and (expected is None or expected == UNSURE or value != expected)


def _value(outcome: Outcome, key: str) -> object:
    value = getattr(outcome, key)
    return None if value in (None, (), Answer.UNKNOWN) else value


def _loops(entry: Entry, plan: ReplyPlan) -> bool:
    """Answer the ask-back as the block asks (the labelled values); a loop is the same question again."""
    if plan.answer is not EmailKind.ASK_BACK:
        return False
    answerable = tuple(key for key in plan.ask if entry.expect.get(key) not in (None, UNSURE))
    if not answerable:
        return False
    truth = Outcome(**{key: entry.expect[key] for key in answerable})  # type: ignore[arg-type]
    known = merged(entry.known, plan.recorded or Outcome())
    text = fill_block(truth, style=FillStyle.LINES, keys=answerable)
    again = plan_reply(read_reply(text, known=known, asked=plan.ask), known=known)
    return bool(set(again.ask) & set(answerable))


def _entry(index: int, raw: dict[str, Any]) -> Entry:
    return Entry(index=index, category=raw["category"], text=raw["text"], expect=_labels(raw.get("expect", "")),
                 known=Outcome(**{k: v for k, v in _labels(raw.get("known", "")).items()}),  # type: ignore[arg-type]
                 asked=tuple(_KEYS.get(k, k) for k in raw.get("asked", "").split()),
                 inline=raw.get("inline", ""), auto=raw.get("auto", False), subject=raw.get("subject"),
                 headers=dict(raw.get("headers", {})), note_not=raw.get("note_not", ""),
                 clients=tuple(raw.get("clients", ())))  # fmt: skip


def _labels(text: str) -> dict[str, object]:
    labels: dict[str, object] = {}
    for pair in text.split():
        name, _, value = pair.partition("=")
        key = _KEYS[name]
        labels[key] = value if value == UNSURE else _typed(key, value)
    return labels


def _typed(key: str, value: str) -> object:
    if key == "contact_form":
        return ContactForm(value)
    if key == "life_domains":
        wanted = set(value.split(","))
        return tuple(domain for domain in LIFE_DOMAINS if domain in wanted)
    return Answer(value)


def _build(entry: Entry, shape: int) -> tuple[str, bytes]:
    if entry.inline:
        return ("inline_gmail", "inline_outlook")[shape], _mail(entry, _inline_body(entry, shape), None)
    if shape == 0:
        client = PLAIN_CLIENTS[entry.clients[0]] if entry.clients else _PLAIN[entry.index % len(_PLAIN)]
        return client.__name__, _mail(entry, client(entry.text, ORIGINAL), None)
    client = HTML_CLIENTS[entry.clients[1]] if entry.clients else _HTML[entry.index % len(_HTML)]
    return client.__name__, _mail(entry, None, client(entry.text, ORIGINAL))


def _inline_body(entry: Entry, shape: int) -> str:
    """The notification with answers typed under its questions (Gmail, quoted) or over its hints (Outlook)."""
    typed: dict[str, tuple[bool, str]] = {}
    for part in entry.inline.split(";"):
        over, _, pair = part.rpartition(":") if part.startswith("over:") else ("", "", part)
        name, _, value = pair.partition("=")
        typed[_KEYS[name]] = (bool(over), value)
    lines: list[str] = []
    for line in ORIGINAL.text.splitlines():
        question = next((f for f in FIELDS if line.startswith(f"{f.label}:") and BLOCK_START not in line), None)
        is_over, value = typed.get(question.key, (False, "")) if question else (False, "")
        if question and value and is_over:  # typed into the quoted line itself (Gmail) or over the hint (Outlook)
            lines.append(f"> {line}  {value}" if shape == 0 else f"{question.label}: {value}")
            continue
        lines.append(f"> {line}" if shape == 0 and line else (">" if shape == 0 else line))
        if question and value:
            lines.append(value)
    quoted = "\n".join(lines)
    if shape == 0:
        attribution = "Op di 3 mrt 2026 om 10:00 schreef Zelfmelders 3Noord <zelfmelders@koers.example>:"
        return f"{entry.text}\n\n{attribution}\n\n{quoted}\n"
    header = "Van: Zelfmelders 3Noord <zelfmelders@koers.example>\nVerzonden: dinsdag 3 maart 2026 10:00\n" \
             "Aan: zelfmelders@assen.example\nOnderwerp: Zelfmelder"  # fmt: skip
    return f"{entry.text}\n\n{'_' * 32}\n{header}\n\n{quoted}\n"


def _mail(entry: Entry, plain: str | None, html: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "Anne de Vries <a.devries@assen.example>"
    message["To"] = "t-abc@antwoord.koers.example"
    message["Subject"] = entry.subject or f"RE: {ORIGINAL.subject}"
    message["Message-ID"] = f"<corpus-{entry.index}@assen.example>"
    message["In-Reply-To"] = ORIGINAL.message_id
    for name, value in entry.headers.items():
        message[name] = value
    if plain is not None:
        message.set_content(plain, subtype="plain", charset="utf-8", cte="quoted-printable")
    else:
        message.set_content(html or "", subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes(policy=SMTP)
