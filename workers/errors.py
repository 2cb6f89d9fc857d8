"""Errors that decide what dramatiq does with a failed message.

``PermanentError`` is listed in every actor's ``throws=``: no retry can fix it, so the message
fails at once and lands in the dead letters operators watch. Everything else is retried with
backoff up to the actor's ceiling. Messages carry ids only; so do these errors.
"""

from __future__ import annotations


class PermanentError(Exception):
    """A message that can never succeed (an id that does not exist, an invalid definition)."""


class RetryLaterError(Exception):
    """A temporary condition (SMTP 4xx, a worker already busy with this row); retry with backoff."""
