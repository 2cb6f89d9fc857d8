"""The reply processor's trust steps: is the sender who they say, and is a delivery report really ours?

- ``check_sender``: after the token was found valid for the case, the ``From:`` domain must be one of
  the municipality's and pass DMARC, as decided by ``messaging.sender_auth`` from the results that
  count in the configured mode. The decision is stored with the message (``details["auth"]``,
  ``sender_verified``); only verified senders' messages are ever shown to municipal users.
- ``apply_bounce``: a delivery report changes an email only when it arrived at that email's signed
  VERP address (``messaging.verp``); then exactly that email is marked bounced and its case put to
  review. Anything else that looks like a bounce is logged with ids only and ignored: a forged report
  to the sender address, with pasted Message-IDs, changes nothing; a delay notice (``Action:
  delayed``) changes nothing either, wherever it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from messaging.bounces import is_delay_report
from messaging.inbound import InboundMessage as ParsedMessage
from messaging.sender_auth import AuthVerdict, TrustPolicy, authenticate
from messaging.verp import find_bounce_claim
from schema import email_store
from schema.case_store import CaseStore
from schema.runtime_models import InboundMessage, OutboundEmail

log = logging.getLogger(__name__)
ACTOR = "mail"
NOT_OURS = "afleverrapport niet aan een eigen ondertekend retouradres (VERP); genegeerd"
DELAYED = "vertraging gemeld door een mailserver (Action: delayed), nog geen fout; niets gewijzigd"


@dataclass(frozen=True)
class BounceResult:
    """What a delivery report did: the bounced email and its case, or nothing (``email_id`` None)."""

    reason: str
    email_id: int | None = None
    case_id: int | None = None


def check_sender(policy: TrustPolicy, reply_from: Sequence[str], row: InboundMessage,
                 msg: ParsedMessage) -> AuthVerdict:  # fmt: skip
    """Authenticate the sender for a municipality; the verdict is kept with the message."""
    verdict = authenticate(policy=policy, from_address=msg.from_address, header_results=msg.authentication_results,
                           smtp_results=row.smtp_auth, reply_from=reply_from)  # fmt: skip
    row.details = {**(row.details or {}), "auth": verdict.details()}
    row.sender_verified = verdict.passed
    return verdict


def apply_bounce(store: CaseStore, session: Session, row: InboundMessage, msg: ParsedMessage, *,
                 secrets: Sequence[bytes], domain: str, now: datetime) -> BounceResult:  # fmt: skip
    """Mark the email named by the signed VERP address this report arrived at as bounced, if any."""
    if is_delay_report(msg):  # the server still tries: nothing has failed yet
        log.info("delivery report %d only reports a delay; nothing changed", row.id)
        return BounceResult(DELAYED)
    email_id = find_bounce_claim([*row.envelope_to, *msg.to], secrets, domain)
    email = session.get(OutboundEmail, email_id) if email_id is not None else None
    if email is None:
        log.info("delivery report %d not addressed to a signed VERP address; ignored", row.id)
        return BounceResult(NOT_OURS)
    bounced = email_store.mark_bounced(session.connection(), email.id, now, actor=ACTOR)
    with store.lock(session, bounced.case_id) as case:
        case.mark_for_review(f"e-mail ({bounced.kind}) kwam niet aan", by=ACTOR, now=now)
    log.info("delivery report %d: email %d bounced", row.id, bounced.id)
    return BounceResult("Onbestelbaar: afleverrapport aan het eigen retouradres", bounced.id, bounced.case_id)
