"""What Koers renders into the reply block, it reads back: through every supported mail client.

The property: a random outcome that a person could legitimately fill in is written into the block
of the real notification (``Renderer.notification`` and ``to_mime``) by ``fill_block``, the way
staff type it; the reply is wrapped as a mail client would (see ``tests/mail_clients.py``: quoted
with ``>`` below a Dutch, English or Apple attribution, Outlook's header block with the original
unquoted, HTML only or multipart/alternative, in UTF-8, ISO-8859-1 or Windows-1252, quoted-printable,
base64 or 8bit); Koers' own pipeline (``parse_message`` → ``extract_new_text`` → ``parse_outcome``)
reads back exactly that outcome, with no problems.

Which outcomes a person can legitimately fill in (the reader asks back about anything else):

- a contact form only with contact "ja"; actions "ja" only with contact "ja" (actions are set out
  with the self-reporter); life domains only with actions "ja", listed in ``LIFE_DOMAINS`` order
  (the order the reader gives them in); anything may be unknown, contact included ("onbekend");
- a note is what a person types: lines of words, digits, punctuation and letters of any script
  (accents, €, emoji), one space between words, paragraphs separated by one blank line. Its second
  and later lines start like a sentence or a bullet (``- ``, ``• ``) does, not with what ends or
  starts something else in a mail: no field name (``Contact: …``), no ``>`` quote, no closing
  greeting, no ``--`` delimiter.
  A note of only dashes, dots or underscores is how people leave it empty, not a note.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date, datetime

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from messaging.email_message import to_mime
from messaging.inbound import parse_message
from messaging.outcome_fields import parse_outcome
from messaging.outcome_values import LIFE_DOMAINS
from messaging.quotes import extract_new_text
from messaging.render import FollowUpData, NotificationData, OutgoingEmail, Renderer
from messaging.reply_block import BLOCK_END, BLOCK_START, FIELDS, FillStyle, fill_block
from workers.demo.mail_clients import HTML_CLIENTS, PLAIN_CLIENTS, Original, reply_bytes
from workflows.model import Answer, ContactForm, Outcome

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN
SENT = datetime(2025, 3, 3, 10, 12)
MAILBOX, REPLY_TO = "zelfmelders@sudwestfryslan.example", "zm-000042.t0k3n@antwoord.koers.example"
RENDERER = Renderer()
NOTIFICATION = NotificationData(
    case_ref="ZM-000042",
    municipality_name="Súdwest-Fryslân",
    report_date=date(2025, 3, 17),
    days_left=14,
    institution="PI Veenhuizen",
    sentence_days=30,
    given_names="Sjoukje Zoë",
    surname="de Vries",
    birth_date=date(1990, 5, 14),
    reason="Er is een nieuwe zelfmelder aan uw gemeente toegewezen.",
    routed_by="op woonplaats Boalsert",
    street="Tsjerkestrjitte",
    house_number="12a",
    postcode="8701 AB",
    woonplaats="Boalsert",
    phone="06 1234 5678",
)


def _original(*, urgent: bool) -> Original:
    """The notification as the municipality's mail client received it."""
    data = NotificationData(**{**vars(NOTIFICATION), "urgent": urgent, "days_left": 3 if urgent else 14})
    mail = RENDERER.notification(
        data, to=MAILBOX, reply_to=REPLY_TO, message_id="<zm-000042.notification.1@koers.example>",
        letter_pdf=b"%PDF-1.4 brief", cbs_code="GM1900",
    )  # fmt: skip
    return received(mail)


def received(mail: OutgoingEmail) -> Original:
    """An email Koers sent, as the municipality's mail client shows it to the person answering."""
    mime = to_mime(mail, "Zelfmelders 3Noord <zelfmelders@koers.example>", date=SENT)
    message = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",))
    assert isinstance(body, email.message.EmailMessage)
    return Original(
        text="\n".join(body.get_content().splitlines()),
        sender_name="Zelfmelders 3Noord",
        sender_address="zelfmelders@koers.example",
        to=MAILBOX,
        subject=str(message["Subject"]),
        sent=SENT,
        message_id=mail.message_id,
    )


ORIGINALS = {urgent: _original(urgent=urgent) for urgent in (False, True)}

# What a note is made of: words as staff write them, and tokens of letters, digits and punctuation. A note
# draws from one repertoire, so that many fit ISO-8859-1 or Windows-1252 and the legacy charsets get exercised.
_LATIN1_WORDS = (
    "meneer", "mevrouw", "gebeld", "afspraak", "wijkteam", "schuldhulp", "huisbezoek", "reclassering", "gesproken",
    "brief", "geïnformeerd", "één", "vóór", "coördinator", "financiën", "café", "naïef", "reünie", "10:30",
    "06-12345678", "(via", "GGZ)", "A&O", "z.s.m.", "i.v.m.", "ca.", "25%", "3x", "<3", ">50", "Ærø", "ß", "½", "«ja»",
)  # fmt: skip
_CP1252_WORDS = ("€250", "’s", "“afgesproken”", "–", "Œuvre", "šť", "…")
_OTHER_WORDS = ("👍", "🙂", "✔", "ł", "őü", "ğ", "Ελλάδα", "Україна")
_STARTERS = (
    "Meneer", "Mevrouw", "Wij", "Hij", "Zij", "Afspraak", "Gesprek", "Volgende", "Daarna", "Eerder", "Ook",
    "Het", "Er", "Zoë", "Één", "Overleg", "Verder", "Nog", "Morgen", "Gisteren", "Dinsdag", "Inmiddels",
)  # fmt: skip
_EMPTY_NOTE = re.compile(r"[\s.…_\-–—]")  # a note of only these is how people leave it empty: "-", "..."
_REPERTOIRES = {
    "latin-1": (_LATIN1_WORDS, 0xFF),
    "windows-1252": (_LATIN1_WORDS + _CP1252_WORDS, 0xFF),
    "any": (_LATIN1_WORDS + _CP1252_WORDS + _OTHER_WORDS, 0x1FAFF),
}


def _tokens(repertoire: str) -> st.SearchStrategy[str]:
    words, max_codepoint = _REPERTOIRES[repertoire]
    chars = st.characters(categories=("L", "M", "N", "P", "S"), codec="utf-8", max_codepoint=max_codepoint)
    return st.one_of(st.sampled_from(words), st.text(chars, min_size=1, max_size=10))


def notes() -> st.SearchStrategy[str]:
    """A note as a person types it; see the module docstring."""
    return _typed_notes().filter(lambda note: _EMPTY_NOTE.sub("", note))


@st.composite
def _typed_notes(draw: st.DrawFn) -> str:
    tokens = _tokens(draw(st.sampled_from(tuple(_REPERTOIRES))))
    lines = [" ".join(draw(st.lists(tokens, min_size=1, max_size=12)))]
    for _ in range(draw(st.integers(0, 4))):
        gap = "\n" if draw(st.booleans()) else ""
        start = draw(st.sampled_from(("", "- ", "• "))) + draw(st.sampled_from(_STARTERS))
        lines.append(gap + " ".join([start, *draw(st.lists(tokens, max_size=12))]))
    return "\n".join(lines)


@st.composite
def outcomes(draw: st.DrawFn) -> Outcome:
    """An outcome a person can legitimately fill in; see the module docstring."""
    contact = draw(st.sampled_from(Answer))
    form = draw(st.none() | st.sampled_from(ContactForm)) if contact is YES else None
    actions = draw(st.sampled_from(Answer if contact is YES else (NO, UNKNOWN)))
    domains: tuple[str, ...] = ()
    if actions is YES:
        chosen = draw(st.sets(st.sampled_from(tuple(LIFE_DOMAINS)), max_size=4))
        domains = tuple(domain for domain in LIFE_DOMAINS if domain in chosen)
    note = draw(st.none() | notes())
    return Outcome(contact, form, actions, domains, draw(st.sampled_from(Answer)), note)


_OPENINGS = ("", "Hoi,\n\n", "Goedemiddag,\n\nHierbij de uitkomst voor deze zelfmelder.\n\n", "Beste collega's,\n\n")
_SIGNATURES = (
    "",
    "\n\nMet vriendelijke groet,\n\nAnne de Boer\nConsulent Zorg en Veiligheid\n"
    "Gemeente Súdwest-Fryslân | T 0515 48 9000",
    "\n\nGroet,\nPiet",
    "\n\nMvg,\nJoukje Hoekstra",
    "\n\n-- \nTeam Zorg en Veiligheid\nGemeente Súdwest-Fryslân",
)  # fmt: skip
_CHARSETS = ("utf-8", "iso-8859-1", "windows-1252")
_ENCODINGS = ("quoted-printable", "base64", "8bit")


def _fits(text: str, charset: str) -> bool:
    """Whether ``text`` can be sent in ``charset`` and read back unambiguously.

    Bytes in a legacy charset that also form valid UTF-8 are read as UTF-8 on purpose (see
    ``messaging.inbound_charset``); a person's text practically never does that, random text can.
    """
    try:
        data = text.encode(charset)
    except UnicodeEncodeError:
        return False
    if charset == "utf-8" or data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def wrap(client: str, own: str, original: Original) -> tuple[str | None, str | None]:
    """The plain and HTML bodies ``client`` sends; ``alternative`` is Outlook's multipart/alternative."""
    if client == "alternative":  # both parts; the plain one is read
        return PLAIN_CLIENTS["outlook"](own, original), HTML_CLIENTS["outlook_html"](own, original)
    plain = PLAIN_CLIENTS[client](own, original) if client in PLAIN_CLIENTS else None
    return plain, HTML_CLIENTS[client](own, original) if client in HTML_CLIENTS else None


def read_back(raw: bytes, known_contact: Answer = UNKNOWN) -> tuple[Outcome, tuple[str, ...]]:
    """Koers' own reading of a reply: parse, cut the quote, read the block."""
    message = parse_message(raw)
    reading = parse_outcome(extract_new_text(message.text), known_contact=known_contact)
    return reading.outcome, tuple(f"{p.field}: {p.message}" for p in reading.problems)


_CLIENTS = st.sampled_from(sorted(PLAIN_CLIENTS) + sorted(HTML_CLIENTS) + ["alternative"])


@settings(max_examples=400, deadline=None)
@given(
    outcome=outcomes(),
    style=st.sampled_from(FillStyle),
    opening=st.sampled_from(_OPENINGS),
    signature=st.sampled_from(_SIGNATURES),
    client=_CLIENTS,
    urgent=st.booleans(),
    charset=st.sampled_from(_CHARSETS),
    cte=st.sampled_from(_ENCODINGS),
    crlf=st.booleans(),
)
def test_a_filled_block_is_read_back_exactly_from_every_client(
    outcome: Outcome, style: FillStyle, opening: str, signature: str, client: str, urgent: bool, charset: str,
    cte: str, crlf: bool,
) -> None:  # fmt: skip
    # Given: the block filled in above the real notification, as the client wraps a reply
    original = ORIGINALS[urgent]
    plain, html = wrap(client, opening + fill_block(outcome, style=style) + signature, original)
    if not _fits("".join(part for part in (plain, html) if part), charset):
        charset = "utf-8"
    event(f"{client} {charset} {cte}")

    # When: Koers reads the reply
    read, problems = read_back(reply_bytes(original, plain=plain, html=html, charset=charset, cte=cte, crlf=crlf))

    # Then: exactly the outcome that was filled in, nothing to ask back
    assert problems == ()
    assert read == outcome


@pytest.mark.parametrize("charset", _CHARSETS)
@pytest.mark.parametrize("client", sorted(PLAIN_CLIENTS) + sorted(HTML_CLIENTS))
def test_a_note_with_accents_survives_each_client_in_each_charset(client: str, charset: str) -> None:
    note = "Mevrouw is geïnformeerd, één afspraak vóór de meldingsdatum.\nZoë belt terug."
    outcome = Outcome(YES, ContactForm.VISIT, YES, ("huisvesting", "schulden"), NO, note)
    original = ORIGINALS[charset == "windows-1252"]  # the urgent one has an en dash: not in ISO-8859-1
    plain, html = wrap(client, "Hoi,\n\n" + fill_block(outcome) + _SIGNATURES[1], original)
    assert _fits((plain or "") + (html or ""), charset)

    read, problems = read_back(reply_bytes(original, plain=plain, html=html, charset=charset, cte="quoted-printable"))

    assert problems == () and read == outcome


@st.composite
def follow_ups(draw: st.DrawFn) -> tuple[Outcome, Outcome]:
    """A partial outcome (contact, actions unknown) and the complete one a person's answer makes of it."""
    form, known = draw(st.none() | st.sampled_from(ContactForm)), draw(st.sampled_from(Answer))
    partial = Outcome(YES, form, UNKNOWN, (), known)
    actions = draw(st.sampled_from((YES, NO)))
    chosen = draw(st.sets(st.sampled_from(tuple(LIFE_DOMAINS)), max_size=3)) if actions is YES else set()
    complete = Outcome(
        contact=YES,
        contact_form=form or draw(st.none() | st.sampled_from(ContactForm)),
        actions=actions,
        life_domains=tuple(domain for domain in LIFE_DOMAINS if domain in chosen),
        known_to_care=known if known is not UNKNOWN else draw(st.sampled_from(Answer)),
    )
    return partial, complete


@settings(max_examples=150, deadline=None)
@given(case=follow_ups(), style=st.sampled_from(FillStyle), client=_CLIENTS, cte=st.sampled_from(_ENCODINGS))
def test_an_answer_to_the_follow_up_completes_the_outcome(
    case: tuple[Outcome, Outcome], style: FillStyle, client: str, cte: str
) -> None:
    # Given: the follow-up Koers sends for a partial outcome, answered in its own (shorter) block
    partial, complete = case
    data = FollowUpData("ZM-000042", "Súdwest-Fryslân", date(2025, 3, 17), 9, partial)
    original = received(RENDERER.follow_up(data, to=MAILBOX, reply_to=REPLY_TO, message_id="<f@koers.example>"))
    block = original.text[original.text.index(BLOCK_START) : original.text.index(BLOCK_END)]
    asked = [f.key for f in FIELDS if f"\n{f.line()}\n" in block]
    plain, html = wrap(client, fill_block(complete, style=style, keys=asked) + _SIGNATURES[2], original)

    # When: Koers reads it, knowing there was contact
    read, problems = read_back(reply_bytes(original, plain=plain, html=html, charset="utf-8", cte=cte), YES)

    # Then: what was known and what was answered make the complete outcome
    assert "actions" in asked and "contact" not in asked
    assert problems == () and partial.updated_with(read) == complete
