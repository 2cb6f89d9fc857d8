"""The vocabulary of the runtime's rows: every state and kind Koers stores, defined once.

The engine's own words (``CaseState``, ``EmailKind``, ``Recipient``, ``CloseReason``) live beside
the engine in ``workflows.model`` and ``workflows.commands``; this module holds the states of the
rows the runtime keeps (emails, timers, inbound mail, dead letters), how a case was routed, and the
names of audit events. The database stores the ``.value`` of each; ``workflows.labels`` gives the
Dutch words for people. Nothing else defines these strings: code compares with the members.

Invariant: a value, once stored, is never renamed (rows in the database and audit details keep it);
a new state is a new member.
"""

from __future__ import annotations

from enum import StrEnum


class EmailState(StrEnum):
    """An outbound email: ``queued → sending → sent | failed``; a stale ``sending`` → ``needs_review``."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"  # may have been delivered: a person decides, never resent blindly
    BOUNCED = "bounced"  # a genuine delivery report said it did not arrive
    CANCELLED = "cancelled"  # withdrawn before sending (e.g. the case moved to another municipality)

    @classmethod
    def final(cls) -> frozenset[EmailState]:
        """States a send attempt leaves alone: nothing more happens to the email by itself."""
        return frozenset({cls.SENT, cls.FAILED, cls.BOUNCED, cls.NEEDS_REVIEW, cls.CANCELLED})


class TimerState(StrEnum):
    """A timer row: ``pending → claimed`` (by the sweep, message queued) ``→ done``, or ``cancelled``."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    CANCELLED = "cancelled"

    @classmethod
    def waiting(cls) -> frozenset[TimerState]:
        """States of a timer that has not fired yet (and so can still be cancelled)."""
        return frozenset({cls.PENDING, cls.CLAIMED})


class MessageKind(StrEnum):
    """What an inbound message is; only ``REPLY`` may record an outcome."""

    REPLY = "reply"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    FORWARD = "forward"
    MALFORMED = "malformed"


class InboundState(StrEnum):
    """A received message, stored raw before the gateway answers 250, then judged once."""

    RECEIVED = "received"  # stored, not read yet
    PROCESSED = "processed"  # an outcome was recorded from it
    NEEDS_REVIEW = "needs_review"  # trusted, but not (fully) readable: the sender was asked back
    PROPOSED = "proposed"  # trusted prose: what Koers read was proposed to the sender, to confirm
    QUARANTINED = "quarantined"  # untrusted or not tied to a case: operators look, nobody is answered
    IGNORED = "ignored"  # automatic mail, or a copy already read
    BOUNCE = "bounce"  # a delivery report
    REJECTED = "rejected"  # malformed
    DISCARDED = "discarded"  # a person threw it away, with a reason
    NOT_RESIDENT = "not_resident"  # trusted: "the person does not live here"; an operator picks the municipality

    @classmethod
    def open(cls) -> frozenset[InboundState]:
        """States in which a message waits for a person (the review queue)."""
        return frozenset({cls.NEEDS_REVIEW, cls.QUARANTINED})


class FieldCertainty(StrEnum):
    """How one field of a reply was read: certain (recorded), doubtful (asked back, with the reason), absent."""

    CERTAIN = "certain"
    DOUBTFUL = "doubtful"
    ABSENT = "absent"


class ProposalState(StrEnum):
    """An outcome read from prose and proposed to the sender: ``open`` until confirmed, declined or replaced."""

    OPEN = "open"
    CONFIRMED = "confirmed"  # the sender answered "ja": recorded
    RECORDED_AT_ONCE = "recorded_at_once"  # the municipality opted in and every field was confident
    DECLINED = "declined"  # the sender answered "nee": asked back instead
    SUPERSEDED = "superseded"  # a later reply said it otherwise, or a newer proposal replaced it


class InboundSource(StrEnum):
    """How a message reached Koers."""

    SMTP = "smtp"  # the mail gateway
    IMPORT = "import"  # ``koers replies import``
    IMAP = "imap"  # ``koers mail-fetch``: read from the organisation's own mailbox (mailbox mode)


class DeadLetterState(StrEnum):
    """A message that exhausted its retries: kept until an operator replays or discards it."""

    DEAD = "dead"
    REPLAYED = "replayed"
    DISCARDED = "discarded"


class RerouteRequestState(StrEnum):
    """A request to move a case to another municipality, decided by an operator in the triage."""

    OPEN = "open"
    REROUTED = "rerouted"  # the case was moved (to the suggested municipality or another)
    DECLINED = "declined"  # the operator kept the municipality, with a reason


class RerouteRequestSource(StrEnum):
    """Who asked for another municipality."""

    CONSOLE = "console"  # a municipal user, on the case page
    REPLY = "reply"  # a trusted reply said the person does not live in the municipality


class RoutingMethod(StrEnum):
    """How intake (or a person) tied a record to a municipality, or why it could not."""

    CODE = "code"
    NAME = "name"
    ALIAS = "alias"
    LEGACY = "legacy"
    LEGACY_SPLIT_WOONPLAATS = "legacy_split_woonplaats"
    LEGACY_SPLIT_POSTCODE = "legacy_split_postcode"
    WOONPLAATS = "woonplaats"
    WOONPLAATS_POSTCODE = "woonplaats_postcode"
    PC4 = "pc4"
    AMBIGUOUS = "ambiguous"
    CONFLICT = "conflict"
    UNKNOWN = "unknown"
    OUT_OF_REGION = "out_of_region"
    OPERATOR = "operator"

    @classmethod
    def decided(cls) -> frozenset[RoutingMethod]:
        """Methods that name one municipality from the record's own evidence."""
        return frozenset({cls.CODE, cls.NAME, cls.ALIAS, cls.LEGACY, cls.LEGACY_SPLIT_WOONPLAATS,
                          cls.LEGACY_SPLIT_POSTCODE, cls.WOONPLAATS, cls.WOONPLAATS_POSTCODE, cls.PC4})  # fmt: skip

    @classmethod
    def undecided(cls) -> frozenset[RoutingMethod]:
        return frozenset({cls.AMBIGUOUS, cls.CONFLICT, cls.UNKNOWN, cls.OUT_OF_REGION})


class AuditKind(StrEnum):
    """The events of the append-only audit log; ``workflows.labels.EVENTS`` says each in Dutch."""

    CASE_CREATED = "case_created"
    WORKFLOW_STARTED = "workflow_started"
    TIMER_SCHEDULED = "timer_scheduled"
    TIMERS_CANCELLED = "timers_cancelled"
    EMAIL_QUEUED = "email_queued"
    STAGE_CHANGED = "stage_changed"
    CASE_CLOSED = "case_closed"
    MARKED_URGENT = "marked_urgent"
    OUTCOME_RECORDED = "outcome_recorded"
    REVIEW_NEEDED = "review_needed"
    REVIEW_CLEARED = "review_cleared"
    MUNICIPALITY_ASSIGNED = "municipality_assigned"
    INBOUND_DISCARDED = "inbound_discarded"
    EMAIL_SENDING = "email_sending"
    EMAIL_SENT = "email_sent"
    EMAIL_RETRY = "email_retry"
    EMAIL_FAILED = "email_failed"
    EMAIL_NEEDS_REVIEW = "email_needs_review"
    EMAIL_BOUNCED = "email_bounced"
    REPLY_PROCESSED = "reply_processed"
    REPLY_NEEDS_REVIEW = "reply_needs_review"
    REPLY_QUARANTINED = "reply_quarantined"
    REPLY_IGNORED = "reply_ignored"
    REPLY_REJECTED = "reply_rejected"
    REPLY_BOUNCE = "reply_bounce"
    REPLY_PROPOSED = "reply_proposed"
    PROPOSAL_MADE = "proposal_made"
    PROPOSAL_CONFIRMED = "proposal_confirmed"
    PROPOSAL_DECLINED = "proposal_declined"
    QUESTION_HELD = "question_held"  # an ask-back or proposal not sent: the case had one today already
    DEAD_LETTER_REPLAYED = "dead_letter_replayed"
    DEAD_LETTER_DISCARDED = "dead_letter_discarded"
    PERSONAL_DATA_PURGED = "personal_data_purged"
    USER_ADDED = "user_added"
    USER_DEACTIVATED = "user_deactivated"
    USER_UPDATED = "user_updated"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an event name, not a secret)
    API_TOKEN_ADDED = "api_token_added"  # noqa: S105  (an event name, not a secret)
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105  (an event name, not a secret)
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOGOUT_EVERYWHERE = "logout_everywhere"
    REPORT_EXPORTED = "report_exported"
    OPERATOR_ACTION = "operator_action"  # who did which action on the case, and why
    CASE_REROUTED = "case_rerouted"
    EMAIL_CANCELLED = "email_cancelled"
    REROUTE_REQUESTED = "reroute_requested"
    REROUTE_DECLINED = "reroute_declined"
    REPLY_NOT_RESIDENT = "reply_not_resident"

    @classmethod
    def for_reply(cls, state: InboundState) -> AuditKind:
        """The event that records how a reply to a case was judged."""
        return cls(f"reply_{state.value}")


class TokenScope(StrEnum):
    """What an API token may do: intake of any municipality's records, or of one municipality's only."""

    INTAKE = "intake"
    MUNICIPALITY = "municipality"


class TokenState(StrEnum):
    """Whether an API token answers (derived from its row: revoked, expiry)."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
