"""Mail actors: send one outbound email."""

from __future__ import annotations

from workers.services import installed


def send_email(email_id: int) -> None:
    """Render and send the email if it is still queued (no-op when sent, failed or in review)."""
    installed().sender.send(email_id)
