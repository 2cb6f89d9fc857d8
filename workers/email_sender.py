"""Sends one outbound email row, exactly once as far as Koers can know.

``queued → sending`` is committed before talking to SMTP; ``sending → sent`` after the server
accepted. A worker that dies in between leaves a ``sending`` row: a later attempt finds it stale
and puts it to review instead of sending again (the server may well have delivered it). Transient
SMTP errors put the row back to ``queued`` and retry with backoff; permanent ones fail it at once,
visibly. Every transition is an audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from messaging.smtp import AmbiguousDeliveryError, Mailer, PermanentMailError, TransientMailError
from schema.models import AuditEvent
from schema.runtime_models import OutboundEmail
from workers.email_composer import LOAD_FOR_SENDING, EmailComposer, EmailFields, split_loaded
from workers.errors import PermanentError, RetryLaterError

FINAL_STATES = frozenset({"sent", "failed", "bounced", "needs_review"})

_EMAILS = cast(Table, OutboundEmail.__table__)
_INSERT_AUDIT = insert(cast(Table, AuditEvent.__table__)).inline()  # no RETURNING of the id: nobody needs it
_LOCK_EMAIL = select(_EMAILS.c.state, _EMAILS.c.attempts).where(_EMAILS.c.id == bindparam("email_id")).with_for_update()
# The SET clause comes from the parameters' keys (columns); the WHERE clause from the b_ ones.
_UPDATE_EMAIL = update(_EMAILS).where(_EMAILS.c.id == bindparam("b_id"))
_UPDATE_EMAIL_IF_UNCHANGED = _UPDATE_EMAIL.where(
    _EMAILS.c.state == bindparam("b_state"), _EMAILS.c.attempts == bindparam("b_attempts")
)


class EmailSender:
    """The ``send_email`` handler."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        composer: EmailComposer,
        mailer: Mailer,
        clock: Callable[[], datetime],
        stale_after: timedelta = timedelta(minutes=10),
        max_attempts: int = 10,
    ) -> None:
        self._sessions = sessions
        self._composer = composer
        self._mailer = mailer
        self._clock = clock
        self._stale_after = stale_after
        self._max_attempts = max_attempts

    def send(self, email_id: int) -> str:
        """Send the email if it is queued; returns the state it ended in."""
        claimed = self._claim(email_id)
        if isinstance(claimed, str):
            return claimed
        message, email = claimed
        attempts = email.attempts
        try:
            response = self._mailer.send(message)
        except TransientMailError as exc:
            if attempts >= self._max_attempts:
                error = f"na {attempts} pogingen nog steeds: {exc}"
                self._finish(email, "failed", error=error, event="email_failed")
                return "failed"
            self._finish(email, "queued", error=str(exc), event="email_retry")
            raise RetryLaterError(f"e-mail {email_id}: tijdelijke fout, opnieuw proberen") from exc
        except PermanentMailError as exc:
            self._finish(email, "failed", error=str(exc), event="email_failed")
            return "failed"
        except AmbiguousDeliveryError as exc:
            # The server may have it: sending again could deliver it twice. A person checks.
            self._finish(email, "needs_review", error=f"{exc} — controleer voor opnieuw versturen",
                         event="email_needs_review")  # fmt: skip
            return "needs_review"
        self._finish(email, "sent", response=response, event="email_sent")
        return "sent"

    def _claim(self, email_id: int) -> tuple[EmailMessage, EmailFields] | str:
        """``queued → sending`` and the rendered message (with the row as claimed); or the state
        that means: do nothing."""
        with self._sessions.begin() as session:
            connection = session.connection()
            # The email row (locked), its case and the municipality's name in one round trip.
            row = connection.execute(LOAD_FOR_SENDING, {"email_id": email_id}).one_or_none()
            if row is None:
                raise PermanentError(f"e-mail {email_id} bestaat niet")
            email, case, municipality_name = split_loaded(row)
            now = self._clock()
            if email.state in FINAL_STATES:
                return email.state
            if email.state == "sending":
                started = email.sending_started_at or now
                if now - started < self._stale_after:
                    return "sending"  # another worker is on it; the reconciler looks again later
                # The server may have accepted it before the worker died: a person decides.
                _transition(connection, email, "needs_review", now, "email_needs_review",
                            error="verzending onderbroken; mogelijk al afgeleverd — controleer voor opnieuw versturen")
                return "needs_review"
            if not email.to_address:
                _transition(connection, email, "failed", now, "email_failed",
                            error=f"geen e-mailadres geconfigureerd voor {email.recipient}")  # fmt: skip
                return "failed"
            try:
                message = self._composer.compose(session, email, now, case, municipality_name)
            except SQLAlchemyError:
                raise  # the database may be back in a moment: retry
            except Exception as exc:  # a template or the data cannot make this email; retrying won't help
                _transition(connection, email, "failed", now, "email_failed",
                            error=f"e-mail kon niet worden opgemaakt ({type(exc).__name__})")  # fmt: skip
                return "failed"
            claimed = email._replace(attempts=email.attempts + 1)
            _transition(connection, claimed, "sending", now, "email_sending", sending_started_at=now)
            return message, claimed._replace(state="sending")

    def _finish(self, email: EmailFields, state: str, *, event: str, error: str | None = None,
                response: str | None = None) -> None:  # fmt: skip
        """``sending → state`` for the row as this worker claimed it."""
        with self._sessions.begin() as session:
            connection = session.connection()
            now = self._clock()
            values: dict[str, Any] = {}
            if state == "sent":
                values["sent_at"], values["smtp_response"] = now, (response or "")[:300]
            # Usually the row is still ``sending`` with this claim's attempt: one UPDATE guarded by
            # exactly that, no SELECT. If something moved it meanwhile (the reconciler put a stale row
            # to review), lock and read it, and record the transition from the state it is in now.
            if not _transition(connection, email, state, now, event, error=error, guard=True, **values):
                current = connection.execute(_LOCK_EMAIL, {"email_id": email.id}).one()  # the row exists
                actual = email._replace(state=current.state, attempts=current.attempts)
                _transition(connection, actual, state, now, event, error=error, **values)


def _transition(connection: Connection, email: EmailFields, state: str, now: datetime, event: str,
                error: str | None = None, guard: bool = False, **values: Any) -> bool:  # fmt: skip
    """Move ``email`` (as given: its state and attempts) to ``state`` and write the audit event.

    With ``guard``, only if the row is still in the given state and attempt; returns whether it moved.
    """
    details = {"email_id": email.id, "kind": email.kind, "from": email.state, "to": state, "attempt": email.attempts}
    values.update(state=state, updated_at=now, attempts=email.attempts, b_id=email.id)
    if error:
        values["last_error"] = error[:500]
        details["error"] = error[:300]
    if guard:
        values.update(b_state=email.state, b_attempts=email.attempts)
        if connection.execute(_UPDATE_EMAIL_IF_UNCHANGED, values).rowcount != 1:
            return False
    else:
        connection.execute(_UPDATE_EMAIL, values)
    connection.execute(_INSERT_AUDIT, {"at": now, "actor": "mailer", "case_id": email.case_id, "event": event,
                                       "details": details})  # fmt: skip
    return True
