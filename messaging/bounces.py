"""Recognise delivery failure reports and tie them to the notification that failed.

A bounce is only useful if it says *which* of our messages failed and *for whom*: the returned
original's ``Message-ID`` links it to the outgoing email row, the failed recipient to the
municipality's mailbox. Standard reports (RFC 3464) carry both in structured parts; the many
non-standard ones (Gmail, old Exchange, hand-rolled postmaster notices) paste the original message
into the text, so the text is searched for its header lines as a fallback.
"""

from __future__ import annotations

import re

from messaging.inbound import InboundMessage
from messaging.inbound_headers import addresses_in

_DAEMON_LOCAL_PARTS = re.compile(r"^(?:mailer-daemon|mail-daemon|postmaster|mailerdaemon)(?:[+-].*)?$")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|not delivered|delivery (?:status notification|failure|has failed|problem)"
    r"|returned mail|mail delivery (?:failed|failure|subsystem)|failure notice|bounce|could not send"
    r"|niet bezorgd|onbestelbaar|kan niet worden bezorgd|bezorging mislukt|unzustellbar|non remis",
    re.IGNORECASE,
)
_PASTED_MESSAGE_ID = re.compile(r"^[ \t>]*message-id[ \t]*:[ \t]*(<[^<>\s]{1,500}>)", re.IGNORECASE | re.MULTILINE)
_PASTED_RECIPIENT = re.compile(
    r"^[ \t>]*(?:final-recipient|original-recipient|to|target mail address|recipient(?: address)?)[ \t]*:(.{1,500})$",
    re.IGNORECASE | re.MULTILINE,
)
_REPORT_ACTIONS = ("failed", "delayed")


def is_delivery_report(msg: InboundMessage) -> bool:
    """A structured delivery report: RFC 3464 ``multipart/report`` or an Exchange NDR."""
    if msg.content_type == "multipart/report" and msg.report_type in ("delivery-status", None):
        return True
    return msg.automation_header("x-ms-exchange-message-is-ndr") is not None


def is_success_report(msg: InboundMessage) -> bool:
    """A delivery report whose every recipient was delivered or relayed: a receipt, not a failure."""
    actions = {status.action for status in msg.delivery_status if status.action}
    return bool(actions) and actions <= {"delivered", "relayed", "expanded"}


def is_delay_report(msg: InboundMessage) -> bool:
    """A delivery report that only says delivery is delayed (``Action: delayed``): the server still tries.

    RFC 3464: ``delayed`` is not a failure; marking an email bounced on it would put a case to review
    for mail that may well arrive within the hour.
    """
    actions = {status.action for status in msg.delivery_status if status.action}
    return "delayed" in actions and actions <= {"delayed", "delivered", "relayed", "expanded"}


def looks_like_text_bounce(msg: InboundMessage) -> bool:
    """A non-standard bounce: from a mail daemon, about a failed delivery."""
    local_part = (msg.from_address or "").split("@", 1)[0]
    if not _DAEMON_LOCAL_PARTS.match(local_part):
        return False
    return bool(_BOUNCE_SUBJECT.search(msg.subject)) or msg.automation_header("x-failed-recipients") is not None


def bounced_message_ids(msg: InboundMessage) -> tuple[str, ...]:
    """Message-IDs of the returned original(s): from a returned part, else pasted into the text.

    The report's own Message-ID is never among them; ids are kept in ``<...>`` form.
    """
    ids = list(msg.returned_message_ids)
    if not ids:
        ids = [match.group(1) for match in _PASTED_MESSAGE_ID.finditer(msg.text)]
    own = msg.message_id
    return tuple(dict.fromkeys(found for found in ids if found != own))[:20]


def bounced_recipients(msg: InboundMessage) -> tuple[str, ...]:
    """Recipients whose delivery failed or was delayed, most reliable source first."""
    reported = [status.recipient for status in msg.delivery_status if status.recipient]
    failed = [
        status.recipient for status in msg.delivery_status if status.recipient and status.action in _REPORT_ACTIONS
    ]
    candidates = failed or reported
    if not candidates:
        candidates = list(addresses_in(msg.automation_header("x-failed-recipients") or ""))
    if not candidates:
        candidates = list(msg.returned_recipients)
    if not candidates:
        candidates = [address for match in _PASTED_RECIPIENT.finditer(msg.text) for address in addresses_in(match[1])]
    return tuple(dict.fromkeys(candidates))[:20]


__all__ = [
    "bounced_message_ids",
    "bounced_recipients",
    "is_delay_report",
    "is_delivery_report",
    "is_success_report",
    "looks_like_text_bounce",
]
