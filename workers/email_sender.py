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

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from messaging.smtp import AmbiguousDeliveryError, Mailer, PermanentMailError, TransientMailError
from schema.models import AuditEvent
from schema.runtime_models import OutboundEmail
from workers.email_composer import EmailComposer
from workers.errors import PermanentError, RetryLaterError

FINAL_STATES = frozenset({"sent", "failed", "bounced", "needs_review"})


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
        message, attempts = claimed
        try:
            response = self._mailer.send(message)
        except TransientMailError as exc:
            if attempts >= self._max_attempts:
                error = f"na {attempts} pogingen nog steeds: {exc}"
                self._finish(email_id, "failed", error=error, event="email_failed")
                return "failed"
            self._finish(email_id, "queued", error=str(exc), event="email_retry")
            raise RetryLaterError(f"e-mail {email_id}: tijdelijke fout, opnieuw proberen") from exc
        except PermanentMailError as exc:
            self._finish(email_id, "failed", error=str(exc), event="email_failed")
            return "failed"
        except AmbiguousDeliveryError as exc:
            # The server may have it: sending again could deliver it twice. A person checks.
            self._finish(email_id, "needs_review", error=f"{exc} — controleer voor opnieuw versturen",
                         event="email_needs_review")  # fmt: skip
            return "needs_review"
        self._finish(email_id, "sent", response=response, event="email_sent")
        return "sent"

    def _claim(self, email_id: int) -> tuple[EmailMessage, int] | str:
        """``queued → sending`` and the rendered message; or the state that means: do nothing."""
        with self._sessions.begin() as session:
            email = session.get(OutboundEmail, email_id, with_for_update=True)
            if email is None:
                raise PermanentError(f"e-mail {email_id} bestaat niet")
            now = self._clock()
            if email.state in FINAL_STATES:
                return email.state
            if email.state == "sending":
                started = email.sending_started_at or now
                if now - started < self._stale_after:
                    return "sending"  # another worker is on it; the reconciler looks again later
                # The server may have accepted it before the worker died: a person decides.
                _transition(session, email, "needs_review", now, "email_needs_review",
                            error="verzending onderbroken; mogelijk al afgeleverd — controleer voor opnieuw versturen")
                return "needs_review"
            if not email.to_address:
                _transition(session, email, "failed", now, "email_failed",
                            error=f"geen e-mailadres geconfigureerd voor {email.recipient}")  # fmt: skip
                return "failed"
            try:
                message = self._composer.compose(session, email, now)
            except SQLAlchemyError:
                raise  # the database may be back in a moment: retry
            except Exception as exc:  # a template or the data cannot make this email; retrying won't help
                _transition(session, email, "failed", now, "email_failed",
                            error=f"e-mail kon niet worden opgemaakt ({type(exc).__name__})")  # fmt: skip
                return "failed"
            email.attempts += 1
            email.sending_started_at = now
            _transition(session, email, "sending", now, "email_sending")
            return message, email.attempts

    def _finish(self, email_id: int, state: str, *, event: str, error: str | None = None,
                response: str | None = None) -> None:  # fmt: skip
        with self._sessions.begin() as session:
            email = session.get(OutboundEmail, email_id, with_for_update=True)
            assert email is not None
            now = self._clock()
            if state == "sent":
                email.sent_at, email.smtp_response = now, (response or "")[:300]
            _transition(session, email, state, now, event, error=error)


def _transition(session: Session, email: OutboundEmail, state: str, now: datetime, event: str,
                error: str | None = None) -> None:  # fmt: skip
    details = {"email_id": email.id, "kind": email.kind, "from": email.state, "to": state, "attempt": email.attempts}
    if error:
        email.last_error = error[:500]
        details["error"] = error[:300]
    email.state, email.updated_at = state, now
    session.add(AuditEvent(at=now, actor="mailer", case_id=email.case_id, event=event, details=details))
