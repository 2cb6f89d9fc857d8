"""Mail actors: send one outbound email; read one received message."""

from __future__ import annotations

from workers.services import installed


def send_email(email_id: int) -> None:
    """Render and send the email if it is still queued (no-op when sent, failed or in review)."""
    installed().sender.send(email_id)


def process_inbound_mail(inbound_id: int) -> None:
    """Classify, correlate and read one stored inbound message (no-op once it was read)."""
    installed().replies.process(inbound_id)
