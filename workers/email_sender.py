"""Sends one outbound email row, exactly once as far as Koers can know.

``queued → sending`` is committed before talking to SMTP; ``sending → sent`` after the server
accepted. A worker that dies in between leaves a ``sending`` row: a later attempt finds it stale
and puts it to review instead of sending again (the server may well have delivered it). Transient
SMTP errors put the row back to ``queued`` and retry with backoff; permanent ones fail it at once,
visibly. Every transition is an audit event, written with it (``schema.email_store.move``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from messaging.smtp import AmbiguousDeliveryError, Mailer, PermanentMailError, SendEnvelope, TransientMailError
from schema import email_store
from schema.email_store import EmailFields
from workers.email_composer import EmailComposer
from workers.errors import PermanentError, RetryLaterError
from workflows.states import AuditKind, EmailState

ACTOR = "mailer"


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
        message, envelope, email = claimed
        attempts = email.attempts
        try:
            response = self._mailer.send(message, envelope)
        except TransientMailError as exc:
            if attempts >= self._max_attempts:
                self._finish(email, EmailState.FAILED, AuditKind.EMAIL_FAILED,
                             error=f"na {attempts} pogingen nog steeds: {exc}")  # fmt: skip
                return EmailState.FAILED
            self._finish(email, EmailState.QUEUED, AuditKind.EMAIL_RETRY, error=str(exc))
            raise RetryLaterError(f"e-mail {email_id}: tijdelijke fout, opnieuw proberen") from exc
        except PermanentMailError as exc:
            self._finish(email, EmailState.FAILED, AuditKind.EMAIL_FAILED, error=str(exc))
            return EmailState.FAILED
        except AmbiguousDeliveryError as exc:
            # The server may have it: sending again could deliver it twice. A person checks.
            self._finish(email, EmailState.NEEDS_REVIEW, AuditKind.EMAIL_NEEDS_REVIEW,
                         error=f"{exc} — controleer voor opnieuw versturen")  # fmt: skip
            return EmailState.NEEDS_REVIEW
        self._finish(email, EmailState.SENT, AuditKind.EMAIL_SENT, response=response)
        return EmailState.SENT

    def _claim(self, email_id: int) -> tuple[EmailMessage, SendEnvelope, EmailFields] | str:
        """``queued → sending`` and the rendered message (with the row as claimed); or the state
        that means: do nothing."""
        with self._sessions.begin() as session:
            connection = session.connection()
            loaded = email_store.load_for_sending(connection, email_id)
            if loaded is None:
                raise PermanentError(f"e-mail {email_id} bestaat niet")
            email, case, municipality_name = loaded
            now = self._clock()
            if email.state in EmailState.final():
                return email.state
            if email.state == EmailState.SENDING:
                started = email.sending_started_at or now
                if now - started < self._stale_after:
                    return email.state  # another worker is on it; the reconciler looks again later
                # The server may have accepted it before the worker died: a person decides.
                email_store.move(connection, email, EmailState.NEEDS_REVIEW, now, AuditKind.EMAIL_NEEDS_REVIEW,
                                 actor=ACTOR, error=email_store.STALE_SENDING)  # fmt: skip
                return EmailState.NEEDS_REVIEW
            if not email.to_address:
                email_store.move(connection, email, EmailState.FAILED, now, AuditKind.EMAIL_FAILED, actor=ACTOR,
                                 error=f"geen e-mailadres geconfigureerd voor {email.recipient}")  # fmt: skip
                return EmailState.FAILED
            try:
                message = self._composer.compose(connection, email, now, case, municipality_name)
            except SQLAlchemyError:
                raise  # the database may be back in a moment: retry
            except Exception as exc:  # a template or the data cannot make this email; retrying won't help
                email_store.move(connection, email, EmailState.FAILED, now, AuditKind.EMAIL_FAILED, actor=ACTOR,
                                 error=f"e-mail kon niet worden opgemaakt ({type(exc).__name__})")  # fmt: skip
                return EmailState.FAILED
            claimed = email._replace(attempts=email.attempts + 1)
            email_store.move(connection, claimed, EmailState.SENDING, now, AuditKind.EMAIL_SENDING, actor=ACTOR,
                             sending_started_at=now)  # fmt: skip
            envelope = self._composer.envelope(email, case.cbs_code)
            return message, envelope, claimed._replace(state=EmailState.SENDING.value)

    def _finish(self, email: EmailFields, state: EmailState, event: AuditKind, *, error: str | None = None,
                response: str | None = None) -> None:  # fmt: skip
        """``sending → state`` for the row as this worker claimed it."""
        with self._sessions.begin() as session:
            connection = session.connection()
            now = self._clock()
            values: dict[str, Any] = {}
            if state is EmailState.SENT:
                values["sent_at"], values["smtp_response"] = now, (response or "")[:300]
            # Usually the row is still ``sending`` with this claim's attempt: one guarded statement, no
            # SELECT. If something moved it meanwhile (the reconciler put a stale row to review), the
            # transition is recorded from the state it is in now.
            if not email_store.move(connection, email, state, now, event, actor=ACTOR, error=error, guard=True,
                                    **values):  # fmt: skip
                email_store.move_from_current(connection, email, state, now, event, actor=ACTOR, error=error,
                                              **values)  # fmt: skip
