"""Automatic mail that no header marks as such: receipts, ticket systems, recalls, secure-mail notices, delays.

``messaging.classify`` first trusts the standard signals (``Auto-Submitted``, ``Precedence``, the
auto-reply headers of the common clients). Many service desks, ticket systems and secure-mail
gateways send none of them, and answering them starts a mail loop. This module recognises them by
the headers of the systems that send them, by their subject and by their opening text.

Invariants:

- A message whose own text carries answers (keyed fields of the reply block) is never automatic by
  its content: a person who writes "ik was met vakantie, vandaar pas nu" above a filled block is
  a person. Headers of a ticket system or a secure-mail gateway still count: such a message is
  written by a machine, whatever it quotes.
- Reasons are short Dutch text that name no person, address or content.
- Every pattern is anchored or bounded and runs on capped text: cost is linear in the input.
"""

from __future__ import annotations

import re
from typing import Final

from messaging.inbound import SYSTEM_HEADER_PREFIXES, InboundMessage

__all__ = ["automatic_reason", "is_delay_notice", "mentions_absence_in_the_past"]

_SCAN_CHARS: Final = 2_000  # receipts say what they are in their opening lines
_SECURE_MAIL: Final = re.compile(
    r"\b(?:zivver|egress|cryptshare|securemail|secure mail|beveiligd(?:e)? (?:bericht|e-?mail|mail)"
    r"|versleuteld(?:e)? (?:bericht|e-?mail)|encrypted message|secure message|protected message"
    r"|message encryption)\b",
    re.IGNORECASE,
)
_SECURE_ACTION: Final = re.compile(
    r"\b(?:heeft u|u heeft|you(?:'ve| have)) (?:een )?(?:beveiligd|versleuteld|ontvangen|received|an? )"
    r"|\b(?:klik|click|open|bekijk|lees|read|view)\b.{0,60}\b(?:bericht|message|link|knop|button)\b"
    # the message named before the verb, as Dutch puts it: "u kunt het bericht openen", "om het bericht te lezen"
    r"|\b(?:bericht|message)\b.{0,40}\b(?:openen|lezen|bekijken)\b|\bstaat (?:een )?\w+ bericht voor u klaar\b",
    re.IGNORECASE,
)
_RECALL_SUBJECT: Final = re.compile(r"^\s*(?:intrekken|ingetrokken|recall|teruggeroepen|terugroepen)\s*:", re.I)
_RECALL_TEXT: Final = re.compile(
    r"\b(?:wil(?:de)? het bericht .{0,200}(?:intrekken|terughalen)|would like to recall the message"
    r"|recall (?:of|for) (?:the )?message|het bericht is ingetrokken)\b",
    re.IGNORECASE | re.DOTALL,
)
_RECEIPT_SUBJECT: Final = re.compile(
    r"^\s*(?:(?:automatische )?ontvangstbevestiging|bevestiging (?:van )?ontvangst|ontvangen\s*:"
    r"|uw (?:melding|bericht|e-?mail|vraag|verzoek)(?: is)? (?:ontvangen|geregistreerd|in behandeling)"
    r"|(?:re:\s*)?\[?(?:ticket|melding|call|incident|zaak)\s*(?:#|nr\.?|nummer)?\s*:?\s*[a-z]{0,4}-?\d{3,}\]?"
    r"|received\s*:|we(?:'ve| have) received your|acknowledg(?:e)?ment|auto[ -]?ack)",
    re.IGNORECASE,
)
_RECEIPT_TEXT: Final = re.compile(
    r"(?:^|\n)\s*(?:[^\n]{0,80}\b)?(?:"
    r"(?:wij|we) hebben uw (?:e-?mail|bericht|mail|melding|vraag|verzoek) (?:in goede orde |goed )?ontvangen"
    r"|dit is een automatisch(?:e)? (?:gegenereerd(?:e)? |verzonden )?(?:bericht|antwoord|e-?mail|reactie"
    r"|(?:ontvangst)?bevestiging)"
    r"|(?:dit|het|mijn) (?:e-?mail|mail)?adres is niet meer in gebruik"
    r"|this (?:e-?mail )?address is no longer (?:in use|monitored|active)"
    r"|dit bericht is automatisch (?:gegenereerd|verzonden|verstuurd)"
    r"|uw (?:melding|bericht|e-?mail|vraag|verzoek) is (?:ontvangen|geregistreerd|doorgestuurd)"
    r"|(?:onder|met) (?:ticket|melding|registratie|zaak)(?:nummer)? ?#?\s?[a-z]{0,4}-?\d{3,}"
    r"|deze mailbox wordt niet (?:meer )?(?:gelezen|bewaakt)|u kunt niet (?:reageren|antwoorden) op dit bericht"
    r"|this is an automated (?:message|response|reply)|we have received your (?:e-?mail|message|request)"
    r"|thank you for (?:your )?(?:e-?mail|message|contacting)[^\n]{0,80}\b(?:ticket|automated|received)"
    r"|please do not reply to this (?:e-?mail|message))",
    re.IGNORECASE,
)
_DELAY_SUBJECT: Final = re.compile(
    r"^\s*(?:vertraagd|delayed|bezorging vertraagd|waarschuwing: (?:bericht )?vertraagd|warning: (?:message )?delayed"
    r"|delivery (?:status notification )?\(?delay(?:ed)?\)?|delivery delayed)\b",
    re.IGNORECASE,
)
_DELAY_TEXT: Final = re.compile(
    r"\b(?:delivery (?:to the following recipients? )?(?:has been|is) delayed|(?:is|kon) nog niet (?:worden )?"
    r"(?:afgeleverd|bezorgd)|bezorging (?:is )?vertraagd|will (?:continue to )?(?:retry|try)"
    r"|opnieuw proberen te bezorgen)",
    re.IGNORECASE,
)
# "Ik ben met vakantie geweest", "was afwezig": an absence that is over is a person explaining a late answer.
_PAST_ABSENCE: Final = re.compile(
    r"\b(?:ben|was|waren|zijn) (?:\w+ ){0,4}(?:(?:met|op) (?:vakantie|\w*verlof)|afwezig|vrij|ziek|weg) "
    r"(?:\w+ ){0,3}(?:geweest|gegaan)\b"
    r"|\b(?:was|waren) (?:\w+ ){0,4}(?:(?:met|op) (?:vakantie|\w*verlof)|afwezig|ziek)\b"
    r"|\b(?:terug van|net terug|weer terug|weer aan het werk|inmiddels terug)\b",
    re.IGNORECASE,
)


def is_delay_notice(msg: InboundMessage) -> bool:
    """A plain-text notice that delivery is delayed (still being tried); structured reports are bounces."""
    return bool(_DELAY_SUBJECT.match(msg.subject)) and bool(_DELAY_TEXT.search(msg.text[:_SCAN_CHARS]))


def automatic_reason(msg: InboundMessage, new_text: str, *, carries_answers: bool) -> str | None:
    """Why ``msg`` is automatic mail the standard headers did not reveal, or ``None`` for a person's mail.

    ``new_text`` is the sender's own text (quotes and signature removed); ``carries_answers`` says
    whether it holds fields of the reply block.
    """
    if any(name.startswith(SYSTEM_HEADER_PREFIXES) for name, _ in msg.automation_headers):
        return "Automatisch bericht (ticketsysteem of beveiligde-maildienst)"
    if _RECALL_SUBJECT.match(msg.subject) or _RECALL_TEXT.search(new_text[:_SCAN_CHARS]):
        return "Automatisch bericht (bericht ingetrokken)"
    if is_delay_notice(msg):
        return "Automatisch bericht (bezorging vertraagd)"
    if carries_answers:
        return None
    head = new_text[:_SCAN_CHARS]
    if _SECURE_MAIL.search(head) and _SECURE_ACTION.search(head):
        return "Automatisch bericht (melding van een beveiligd bericht)"
    if _RECEIPT_SUBJECT.match(msg.subject) or _RECEIPT_TEXT.search(head):
        return "Automatisch bericht (ontvangstbevestiging of ticketsysteem)"
    return None


def mentions_absence_in_the_past(text: str) -> bool:
    """Whether ``text`` speaks of an absence that is over ("ik ben met vakantie geweest, vandaar pas nu")."""
    return _PAST_ABSENCE.search(text[:_SCAN_CHARS]) is not None
