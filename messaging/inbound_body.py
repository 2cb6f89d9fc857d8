"""The MIME walk of an inbound message: which text is the body, what is attached, what bounced.

The walk is iterative and bounded by ``max_parts`` and ``max_depth``, so a message built to exhaust
memory or the stack only ever costs a fixed amount of work. It never descends into attached
messages (``message/rfc822``): their text is someone else's words, not the sender's answer. From a
delivery report it keeps only what ties the bounce to our original: the per-recipient status and
the returned message's ``Message-ID``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from messaging.html_text import html_to_text
from messaging.inbound_charset import decode_text, transfer_decode
from messaging.inbound_headers import addresses_in, parse_address_list, parse_message_ids, unfold

MAX_TEXT_CHARS = 1024 * 1024
_CTYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_DSN_BLOCKS = re.compile(r"\n[ \t]*\n")
# The transfer encodings that ``Message.get_payload(decode=True)`` undoes besides quoted-printable.
_DECODED_BY_GET_PAYLOAD = frozenset({"base64", "x-uuencode", "uuencode", "uue", "x-uue"})


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """One recipient block of a delivery report (RFC 3464): who, what happened, which status code.

    ``original_recipient`` is the address the sender used (our municipality mailbox);
    ``final_recipient`` the one the receiving system tried after alias expansion.
    """

    final_recipient: str | None
    original_recipient: str | None
    action: str
    status: str

    @property
    def recipient(self) -> str | None:
        """The address to tie the bounce to: the original recipient when reported, else the final one."""
        return self.original_recipient or self.final_recipient


@dataclass(frozen=True, slots=True)
class Body:
    """What the walk found; ``text`` is the sender's body (plain preferred, else converted HTML)."""

    text: str = ""
    is_html_only: bool = False
    attachments: tuple[str, ...] = ()
    delivery_status: tuple[DeliveryStatus, ...] = ()
    returned_message_ids: tuple[str, ...] = ()
    returned_recipients: tuple[str, ...] = ()
    has_attached_message: bool = False


@dataclass
class _Walk:
    defects: list[str]
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    returned_ids: list[str] = field(default_factory=list)
    returned_to: list[str] = field(default_factory=list)
    has_attached_message: bool = False


def header_of(part: Message, name: str) -> str | None:
    """The first raw value of header ``name`` in ``part``, unfolded, or None when absent."""
    for key, value in part.raw_items():
        if key.lower() == name:
            return unfold(str(value), [])
    return None


def content_type_of(part: Message) -> str:
    """The part's media type, lower-cased; RFC 2045 says an invalid or missing one means text/plain."""
    value = header_of(part, "content-type")
    if value is None:
        return "text/plain"
    main = value.split(";", 1)[0].strip().lower()
    return main if _CTYPE.fullmatch(main) else "text/plain"


def param_of(part: Message, name: str) -> str | None:
    """A Content-Type parameter, or None; the stdlib parser is guarded because input is hostile."""
    try:
        value = part.get_param(name)
    except Exception:  # noqa: BLE001 - any failure here means "no usable parameter", never a crash.
        return None
    if isinstance(value, tuple):
        value = value[2]
    return str(value)[:200] if value else None


def extract_body(msg: Message, *, max_parts: int, max_depth: int, defects: list[str]) -> Body:
    """Walk ``msg`` depth-first (iteratively) and collect the body text and report details."""
    walk = _Walk(defects=defects)
    stack: list[tuple[Message, int, bool]] = [(msg, 0, False)]
    seen = 0
    while stack:
        part, depth, in_report = stack.pop()
        seen += 1
        if seen > max_parts:
            defects.append("too-many-parts")
            break
        defects.extend(_defect_code(defect) for defect in part.defects)
        children = _visit(walk, part, in_report)
        if children and depth + 1 > max_depth:
            defects.append("too-deep")
            continue
        is_report = content_type_of(part) == "multipart/report"
        stack.extend((child, depth + 1, in_report or is_report) for child in reversed(children))
    return _finish(walk)


def _visit(walk: _Walk, part: Message, in_report: bool) -> list[Message]:
    """Handle one part; return its sub-parts when it is a multipart container."""
    ctype = content_type_of(part)
    payload = part.get_payload()
    if isinstance(payload, list):
        if ctype == "message/delivery-status":
            walk.statuses.extend(_status(block) for block in payload if isinstance(block, Message))
            return []
        if ctype.startswith("message/"):
            _attached_message(walk, part, payload, in_report)
            return []
        return [child for child in payload if isinstance(child, Message)]
    _leaf(walk, part, ctype)
    return []


def _leaf(walk: _Walk, part: Message, ctype: str) -> None:
    if ctype.startswith("multipart/"):
        walk.defects.append("multipart-without-parts")
        ctype = "text/plain"  # A declared but absent structure: the whole body is the text.
    if ctype == "message/delivery-status":
        blocks = _DSN_BLOCKS.split(_decoded(part, walk.defects))
        walk.statuses.extend(_status(HeaderParser().parsestr(block)) for block in blocks[:50] if block.strip())
        return
    if ctype in ("text/rfc822-headers", "message/rfc822-headers"):
        _returned(walk, HeaderParser().parsestr(_decoded(part, walk.defects)[:MAX_TEXT_CHARS]))
        return
    disposition = (header_of(part, "content-disposition") or "").split(";", 1)[0].strip().lower()
    if disposition == "attachment" or ctype not in ("text/plain", "text/html"):
        walk.attachments.append(_describe(part, ctype))
        return
    target = walk.plain if ctype == "text/plain" else walk.html
    target.append(_decoded(part, walk.defects))


def _attached_message(walk: _Walk, part: Message, payload: list[Message | str], in_report: bool) -> None:
    inner = next((item for item in payload if isinstance(item, Message)), None)
    if in_report:
        if inner is not None:
            _returned(walk, inner)
        return
    walk.has_attached_message = True
    walk.attachments.append(_describe(part, content_type_of(part)))


def _returned(walk: _Walk, headers: Message) -> None:
    """Remember the returned original's Message-ID and recipients: they tie a bounce to our mail."""
    walk.returned_ids.extend(parse_message_ids(header_of(headers, "message-id") or ""))
    walk.returned_to.extend(parse_address_list(header_of(headers, "to") or ""))


def _status(block: Message) -> DeliveryStatus:
    return DeliveryStatus(
        final_recipient=_recipient(block, "final-recipient"),
        original_recipient=_recipient(block, "original-recipient"),
        action=(header_of(block, "action") or "").lower()[:40],
        status=(header_of(block, "status") or "")[:40],
    )


def _recipient(block: Message, name: str) -> str | None:
    """The address of an ``rfc822; local@domain`` recipient field, or None."""
    found = addresses_in((header_of(block, name) or "").split(";", 1)[-1])
    return found[0] if found else None


def _decoded(part: Message, defects: list[str]) -> str:
    encoding = header_of(part, "content-transfer-encoding")
    if str(part.get("content-transfer-encoding", "")).lower() == "quoted-printable":
        decoded = part.get_payload(decode=True)  # 8-bit bytes in it come back as they were
        data = decoded if isinstance(decoded, bytes) else b""
    else:
        raw = _transfer_encoded(part)
        data = transfer_decode(raw, encoding, defects) if encoding is not None else raw
    text = decode_text(data, param_of(part, "charset"), defects)
    if len(text) > MAX_TEXT_CHARS:
        defects.append("text-truncated")
        text = text[:MAX_TEXT_CHARS]
    return text


def _transfer_encoded(part: Message) -> bytes:
    """The body as it came, before transfer decoding: Koers' own base64 decoding is the tolerant one.

    ``get_payload(decode=True)`` gives the 8-bit bytes as they came, which charset repair needs
    (``get_payload()`` would decode them with the declared charset, replacing what does not fit),
    but it would also undo base64 and uuencode itself. Those bodies are ASCII by definition, so for
    them the text is the body; a stray 8-bit byte there is junk that base64 decoding drops anyway.
    """
    if str(part.get("content-transfer-encoding", "")).lower() in _DECODED_BY_GET_PAYLOAD:
        return str(part.get_payload()).encode("utf-8", "surrogateescape")
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _describe(part: Message, ctype: str) -> str:
    name = param_of(part, "name")
    try:
        filename = part.get_filename() or name
    except Exception:  # noqa: BLE001 - a broken filename parameter only loses the name.
        filename = name
    return f"{ctype}; {str(filename)[:200]}" if filename else ctype


def _defect_code(defect: object) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _finish(walk: _Walk) -> Body:
    plain = "\n\n".join(text for text in walk.plain if text.strip())
    html_only = not plain and any(text.strip() for text in walk.html)
    text = plain or "\n\n".join(html_to_text(html) for html in walk.html if html.strip())
    return Body(
        text=text,
        is_html_only=html_only,
        attachments=tuple(walk.attachments[:100]),
        delivery_status=tuple(walk.statuses[:100]),
        returned_message_ids=tuple(dict.fromkeys(walk.returned_ids))[:100],
        returned_recipients=tuple(dict.fromkeys(walk.returned_to))[:100],
        has_attached_message=walk.has_attached_message,
    )
