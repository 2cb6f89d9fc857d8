"""Replies as mail clients build them: quote headers, quoting, HTML bodies, charsets and transfer encodings.

A test hands in what the staff member typed (``own``) and the message they answer (``Original``);
each client style puts the original below it the way that client does:

- plain text: Gmail (Dutch attribution wrapped over two lines, or English), Thunderbird (quoted
  lines re-wrapped at 76 with ``>`` on each), Apple Mail desktop and iOS (``het volgende
  geschreven:``, on iOS inside the quote and below ``Verstuurd vanaf mijn iPhone``), Outlook (a rule
  or ``-----Oorspronkelijk bericht-----``, then ``Van:/Verzonden:/Aan:/Onderwerp:`` and the
  original *unquoted*), and Outlook in English (``From:/Sent:/To:/Subject:``);
- HTML: Gmail (``<div>`` lines, the original in ``<blockquote class="gmail_quote">``), Outlook
  (``<p class="MsoNormal">`` lines, ``<hr>``, a bold header block, the original unquoted as
  ``MsoPlainText`` paragraphs), Apple Mail (``<br>`` lines, the original in ``<blockquote type="cite">``).

``reply_bytes`` wraps the bodies into a MIME message: text/plain only, text/html only, or
multipart/alternative with both, in the given charset and Content-Transfer-Encoding.
The shapes follow the real replies in ``tests/data/replies`` and the shared corpus.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from html import escape

from messaging.render import dutch_date

_MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
_DAYS_SHORT = ("ma", "di", "wo", "do", "vr", "za", "zo")


@dataclass(frozen=True)
class Original:
    """The message being answered: its plain text and the headers a client quotes."""

    text: str
    sender_name: str
    sender_address: str
    to: str
    subject: str
    sent: datetime
    message_id: str

    @property
    def sender(self) -> str:
        return f"{self.sender_name} <{self.sender_address}>"


def _time(original: Original) -> str:
    return original.sent.strftime("%H:%M")


def _quoted(text: str, *, width: int | None = None) -> str:
    lines: list[str] = []
    for line in text.splitlines():
        pieces = textwrap.wrap(line, width, break_long_words=False) if width and line else [line]
        lines += [f"> {piece}" if piece else ">" for piece in pieces or [""]]
    return "\n".join(lines)


def gmail_nl(own: str, original: Original) -> str:
    day = original.sent
    when = f"{_DAYS_SHORT[day.weekday()]} {day.day} {_MONTHS_SHORT[day.month - 1]} {day.year} om {_time(original)}"
    attribution = f"Op {when} schreef {original.sender_name} <\n{original.sender_address}>:"
    return f"{own}\n\n{attribution}\n\n{_quoted(original.text)}\n"


def gmail_en(own: str, original: Original) -> str:
    when = original.sent.strftime("%a, %d %b %Y at %H:%M")
    return f"{own}\n\nOn {when}, {original.sender} wrote:\n\n{_quoted(original.text)}\n"


def thunderbird(own: str, original: Original) -> str:
    when = original.sent.strftime("%d-%m-%Y %H:%M")
    return f"{own}\n\nOp {when} schreef {original.sender_name}:\n{_quoted(original.text, width=76)}\n"


def apple_mail(own: str, original: Original) -> str:
    day = original.sent
    when = f"{day.day} {_MONTHS_SHORT[day.month - 1]}. {day.year}, om {_time(original)}"
    return f"{own}\n\nOp {when} heeft {original.sender} het volgende geschreven:\n\n{_quoted(original.text)}\n"


def apple_ios(own: str, original: Original) -> str:
    day = original.sent
    when = f"{day.day} {_MONTHS_SHORT[day.month - 1]} {day.year} om {_time(original)}"
    quoted = _quoted(f"Op {when} heeft {original.sender} het volgende geschreven:\n\n{original.text}")
    return f"{own}\n\nVerstuurd vanaf mijn iPhone\n\n{quoted}\n"


def _outlook_header(original: Original, labels: tuple[str, str, str, str]) -> str:
    sent = dutch_date(original.sent.date(), weekday=True) + " " + _time(original)
    values = (original.sender, sent, original.to, original.subject)
    return "\n".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True))


def outlook(own: str, original: Original) -> str:
    header = _outlook_header(original, ("Van", "Verzonden", "Aan", "Onderwerp"))
    return f"{own}\n\n{'_' * 32}\n{header}\n\n{original.text}"


def outlook_classic(own: str, original: Original) -> str:
    header = _outlook_header(original, ("Van", "Verzonden", "Aan", "Onderwerp"))
    return f"{own}\n\n-----Oorspronkelijk bericht-----\n{header}\n\n{original.text}"


def outlook_en(own: str, original: Original) -> str:
    header = _outlook_header(original, ("From", "Sent", "To", "Subject"))
    return f"{own}\n\n{header}\n\n{original.text}"


PLAIN_CLIENTS: dict[str, Callable[[str, Original], str]] = {
    "gmail_nl": gmail_nl,
    "gmail_en": gmail_en,
    "thunderbird": thunderbird,
    "apple_mail": apple_mail,
    "apple_ios": apple_ios,
    "outlook": outlook,
    "outlook_classic": outlook_classic,
    "outlook_en": outlook_en,
}


def gmail_html(own: str, original: Original) -> str:
    lines = "".join(
        f"<div>{escape(line, quote=False)}</div>" if line else "<div><br></div>" for line in own.split("\n")
    )
    quoted = "<br>\n".join(escape(line, quote=False) for line in original.text.split("\n"))
    attribution = escape(f"Op {original.sent.strftime('%d-%m-%Y %H:%M')} schreef {original.sender}:", quote=False)
    return (
        f'<div dir="ltr">{lines}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f'{attribution}<br></div><blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc '
        f'solid;padding-left:1ex">{quoted}</blockquote></div>\n'
    )


def _mso(line: str, style: str = "MsoNormal") -> str:
    body = escape(line, quote=False) if line else "<o:p>&nbsp;</o:p>"
    return f'<p class="{style}">{body}<o:p></o:p></p>\n'


def outlook_html(own: str, original: Original) -> str:
    header = _outlook_header(original, ("Van", "Verzonden", "Aan", "Onderwerp"))
    bold = "<br>\n".join(f"<b>{label}:</b>{escape(value, quote=False)}" for label, _, value in
                         (line.partition(":") for line in header.split("\n")))  # fmt: skip
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style><!-- p.MsoNormal {margin:0cm;} -->'
        '</style></head><body lang="NL"><div class="WordSection1">\n'
        + "".join(_mso(line) for line in own.split("\n"))
        + '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        + f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt">{bold}</font></div>\n'
        + "".join(_mso(line, "MsoPlainText") for line in original.text.split("\n"))
        + "</div></body></html>\n"
    )


def apple_html(own: str, original: Original) -> str:
    lines = "<br>".join(escape(line, quote=False) for line in own.split("\n"))
    quoted = "<br>".join(escape(line, quote=False) for line in original.text.split("\n"))
    day = original.sent
    when = f"{day.day} {_MONTHS_SHORT[day.month - 1]} {day.year} om {_time(original)}"
    attribution = escape(f"Op {when} heeft {original.sender} het volgende geschreven:", quote=False)
    return (
        f'<html><body dir="auto">{lines}<br><div><br><blockquote type="cite"><div>{attribution}</div><br>'
        f'<div dir="ltr">{quoted}</div></blockquote></div></body></html>\n'
    )


HTML_CLIENTS: dict[str, Callable[[str, Original], str]] = {
    "gmail_html": gmail_html,
    "outlook_html": outlook_html,
    "apple_html": apple_html,
}


def reply_bytes(
    original: Original, *, plain: str | None, html: str | None, charset: str, cte: str, crlf: bool = True
) -> bytes:
    """The reply as raw bytes: text/plain, text/html, or multipart/alternative when both are given."""
    message = EmailMessage()
    message["From"] = "Anne de Boer <a.deboer@leeuwarden.example>"
    message["To"] = original.sender
    message["Subject"] = f"RE: {original.subject}"
    message["Date"] = format_datetime(original.sent.replace(hour=15))
    message["Message-ID"] = "<antwoord-1@leeuwarden.example>"
    message["In-Reply-To"] = original.message_id
    message["References"] = original.message_id
    if plain is not None:
        message.set_content(plain, subtype="plain", charset=charset, cte=cte)
        if html is not None:
            message.add_alternative(html, subtype="html", charset=charset, cte=cte)
    elif html is not None:
        message.set_content(html, subtype="html", charset=charset, cte=cte)
    return message.as_bytes(policy=SMTP if crlf else SMTP.clone(linesep="\n"))
