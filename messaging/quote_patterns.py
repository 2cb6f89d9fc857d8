"""Line patterns that mark where quoted, forwarded or signed text begins in a reply.

Each mail client writes its own marker above the text it quotes, in the language of its user.
The patterns cover Outlook (classic and new), Gmail (web and mobile), Apple Mail, Thunderbird,
Yahoo, AOL, Hotmail and phone clients, in Dutch, English, German and French, as found in real
mail (see ``tests/data/replies`` and the shared corpus).

All patterns run on a *key*: the line with no-break spaces and invisible direction marks removed,
``*bold*`` markers dropped and outer whitespace stripped. They are anchored and bounded, so each
match costs time linear in the (capped) line length.
"""

from __future__ import annotations

import re

MAX_KEY_CHARS = 600

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
_QUOTED = re.compile(r"^[ \t]*>")

# Attribution lines ("On ... wrote:"), possibly wrapped over up to three lines. A date digit is
# required so that ordinary sentences that end in "wrote:" are not taken for a quote header.
_ATTRIBUTION_START = re.compile(r"^(?:-{2,}\s*)?(?:(?:on|op|am|le|el|il|den)\b|\d)", re.IGNORECASE)
_ATTRIBUTIONS = (
    re.compile(r"^(?:-{2,}\s*)?on\b.{0,400}\bwrote\s*:$", re.IGNORECASE),
    re.compile(r"^op\b.{0,400}\b(?:schreef|geschreven)\b.{0,200}:$", re.IGNORECASE),
    re.compile(r"^am\b.{0,400}\bschrieb\b.{0,200}:$", re.IGNORECASE),
    re.compile(r"^le\b.{0,400}\ba\s+écrit\s*:$", re.IGNORECASE),
    re.compile(r"^el\b.{0,400}\bescribió\s*:$", re.IGNORECASE),
    re.compile(r"^il\b.{0,400}\bha\s+scritto\s*:$", re.IGNORECASE),
    re.compile(r"^den\b.{0,400}\bskrev\b.{0,200}:$", re.IGNORECASE),
    # Gmail's older and non-Western forms: a date first, an address, a colon at the end.
    re.compile(r"^\d.{0,400}@.{0,200}:$"),
)

# "-----Original Message-----" and its translations; Outlook puts the header block right after.
_ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(?:original message|oorspronkelijk bericht|origineel bericht|ursprüngliche nachricht"
    r"|originalnachricht|message d'origine|mensaje original)\s*-{2,}",
    re.IGNORECASE,
)
_FORWARD_MARKERS = (
    re.compile(
        r"^-{2,}\s*(?:forwarded message|doorgestuurd bericht|weitergeleitete nachricht|message transféré"
        r"|forwarded e-?mail|mensaje reenviado)\s*(?:-{2,}|$)",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:begin (?:forwarded message|doorgestuurd bericht)|anfang der weitergeleiteten nachricht"
        r"|début du message (?:réexpédié|transféré))\s*:",
        re.IGNORECASE,
    ),
)

# Header lines of a quoted or forwarded message (Outlook, Thunderbird, Yahoo, BlackBerry ...).
_HEADER_LABEL = re.compile(
    r"^(from|van|von|de|sent|verzonden|gesendet|envoyé|date|datum|to|aan|an|à|subject|onderwerp"
    r"|betreff|objet|cc|kopie|reply to|antwoord aan)\s*:",
    re.IGNORECASE,
)
_FROM_LABELS = frozenset({"from", "van", "von", "de"})
_OTHER_LABELS = frozenset(
    {"sent", "verzonden", "gesendet", "envoyé", "date", "datum", "to", "aan", "an", "à", "subject", "onderwerp"}
    | {"betreff", "objet"}
)

# Client signatures added below the text by phones and webmail.
_MOBILE_SIGNATURE = re.compile(
    r"^(?:sent from|sent with|sent via|verzonden (?:vanaf|vanuit|met|via)|verstuurd (?:vanaf|vanuit|met|via)"
    r"|get outlook for|download outlook|outlook voor (?:ios|android)|envoyé de|von meinem|gesendet von)\b.{0,150}$",
    re.IGNORECASE,
)
# A closing greeting on a line of its own, optionally followed by ", name" on the same line.
# "Thanks"/"Bedankt" only count with a comma: with "!" or "." they are usually a sentence.
_GREETING = re.compile(
    r"^(?:met )?(?:vriendelijke|hartelijke|beste|kind|best|warm|with kind|vr\.?|vrdl\.?|vriendel\.?|hart\.?)?\s*"
    r"(?:groet(?:en|jes)?|gr\.?|regards|wishes)"
    r"\s*[.!]?(?:,(?:\s*\S+(?:\s+\S+){0,2})?)?$"
    r"|^(?:mvg|m\.v\.g\.?|mvgr|vrgr|vr\.gr\.?|gr\.?|groetjes|cheers|sincerely|yours sincerely|hoogachtend"
    r"|mit freundlichen grüßen|cordialement)\s*[,.!]?(?:\s+\S+(?:\s+\S+){0,2})?$"
    r"|^(?:thanks|thank you|many thanks|bedankt|dank je wel|alvast bedankt)\s*,$",
    re.IGNORECASE,
)
# The Koers reply fields: a greeting block must never be stripped if one of these follows it.
_ANSWER_FIELD = re.compile(
    r"^(?:contact|vorm van contact|acties(?: uitgezet)?|leefgebieden|(?:al )?bekend bij hulpverlening|toelichting)"
    r"\s*[:=?-]",
    re.IGNORECASE,
)
_RULE = re.compile(r"^[-_=*~ ]{5,}$")
# A contact block below a note without a greeting: phone, mail and web lines, a postal address.
_CONTACT_LINE = re.compile(
    r"^(?:(?:t|tel|telefoon|telefoonnummer|m|mob|mobiel|gsm|e|email|e-mail|mail|w|www|web|phone|mobile)\.?\s*[:.]?\s*)?"
    r"(?:\+?[\d(][\d\s\-().]{7,18}\d|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+)"
    r"(?:\s*[|/]\s*.{0,60})?$",
    re.IGNORECASE,
)
_ADDRESS_LINE = re.compile(r"^(?:postbus\s+\d+|.{0,40}\b\d{4}\s?[a-z]{2}\b.{0,30})$", re.IGNORECASE)
_TITLE_LINE = re.compile(
    r"\b(?:medewerker|consulent|coördinator|coordinator|klantmanager|casemanager|regisseur|adviseur|beleids\w*"
    r"|wijkteam|sociaal team|team\b|afdeling|gemeente|werkdagen|aanwezig|bereikbaar op|zelfmelders|sociaal domein"
    r"|maatschappelijk werker|jeugd|zorg en veiligheid|ma\s*[-–]\s*(?:do|vr)|maandag|dinsdag|woensdag|donderdag"
    r"|vrijdag)\b",
    re.IGNORECASE,
)
_NAME_LINE = re.compile(
    r"^(?:[A-ZÀ-Ý][\w'’.-]*|van|de|der|den|ten|ter|te|het|'t)(?:\s+(?:[A-ZÀ-Ý][\w'’.-]*|van|de|der|den|ten|ter|te"
    r"|het|'t|[A-Z]\.)){0,4}$"
)
_DISCLAIMER = re.compile(
    r"^(?:disclaimer\b|dit (?:e-?mail)?bericht (?:is|kan) (?:uitsluitend|alleen|vertrouwelijk)"
    r"|de informatie (?:verzonden met|in) dit (?:e-?mail)?bericht|aan dit (?:e-?mail)?bericht kunnen geen rechten"
    r"|dit bericht kan vertrouwelijke|this (?:e-?mail|message)(?: and any attachments)? (?:is|may|contains)"
    r"|the information (?:contained )?in this (?:e-?mail|message)|denk aan het milieu|please consider the environment"
    r"|bespaar papier|print (?:deze|dit) (?:e-?mail|mail|bericht) (?:alleen|niet)|think before you print|save paper)",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")


def key(line: str) -> str:
    """The matching form of ``line``: stripped, no invisible marks, no ``*`` bold markers."""
    return _INVISIBLE.sub("", line.replace("\xa0", " ")).replace("*", "").strip()[:MAX_KEY_CHARS]


def is_quoted(line: str) -> bool:
    """Whether the line is ``>``-quoted (at any depth, with any leading whitespace)."""
    return _QUOTED.match(line) is not None


def could_start_attribution(line_key: str) -> bool:
    """Cheap pre-check before trying the attribution patterns on joined lines."""
    return _ATTRIBUTION_START.match(line_key) is not None


def is_attribution(joined: str) -> bool:
    """Whether ``joined`` (one to three lines joined by spaces) is an attribution line."""
    if len(joined) > MAX_KEY_CHARS or not joined.endswith(":") or not any(ch.isdigit() for ch in joined):
        return False
    return any(pattern.match(joined) for pattern in _ATTRIBUTIONS)


def is_original_message(line_key: str) -> bool:
    """``-----Original Message-----`` and translations (also with three dashes or spaces)."""
    return _ORIGINAL_MESSAGE.match(line_key) is not None


def is_forward_marker(line_key: str) -> bool:
    """A forwarded-message marker such as ``---------- Forwarded message ---------``."""
    return any(pattern.match(line_key) for pattern in _FORWARD_MARKERS)


def header_label(line_key: str) -> str | None:
    """The lower-cased header label that starts the line (``from``, ``van``, ...), or None."""
    match = _HEADER_LABEL.match(line_key)
    return " ".join(match.group(1).lower().split()) if match else None


def is_header_block(labels: list[str]) -> bool:
    """A quoted-message header block names the sender and at least one of date, recipient or subject."""
    found = set(labels)
    return bool(found & _FROM_LABELS) and bool(found & _OTHER_LABELS)


def is_mobile_signature(line_key: str) -> bool:
    """``Sent from my iPhone``, ``Verstuurd vanaf mijn iPhone``, ``Get Outlook for iOS`` and the like."""
    return _MOBILE_SIGNATURE.match(line_key) is not None


def is_greeting(line_key: str) -> bool:
    """A closing greeting such as ``Met vriendelijke groet,`` or ``Kind regards,``."""
    return len(line_key) <= 60 and _GREETING.match(line_key) is not None


def is_answer_field(line_key: str) -> bool:
    """A Koers reply field line (``Contact: ja``); protects the answer from signature stripping."""
    return _ANSWER_FIELD.match(line_key) is not None


def is_contact_line(line_key: str) -> bool:
    """A phone number, mail or web address on a line of its own (``T 050 123 4567``): a signature's."""
    return len(line_key) <= 90 and _CONTACT_LINE.match(line_key) is not None


def is_signature_line(line_key: str) -> bool:
    """A short line of a signature block: a name, a job title or team, a postal address, a contact line."""
    if len(line_key) > 70 or line_key.endswith((".", "?", "!", ":")) and not is_contact_line(line_key):
        return False
    return bool(is_contact_line(line_key) or _ADDRESS_LINE.match(line_key) or _TITLE_LINE.search(line_key)
                or _NAME_LINE.match(line_key))  # fmt: skip


def is_disclaimer(line_key: str) -> bool:
    """The first line of a legal disclaimer or a mail footer that no answer ever starts with."""
    return _DISCLAIMER.match(line_key) is not None


def is_rule(line_key: str) -> bool:
    """A separator line made of dashes, underscores or similar."""
    return _RULE.match(line_key) is not None


def is_signature_delimiter(line: str) -> bool:
    """The conventional ``-- `` signature delimiter (also without the trailing space)."""
    return _SIGNATURE_DELIMITER.match(line.rstrip("\r\n")) is not None
