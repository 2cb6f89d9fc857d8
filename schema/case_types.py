"""The types the case store speaks in: its error, the ports it needs, and the emails it queues.

Kept beside ``schema.case_store`` (which re-exports them) so that the store itself stays about
changing a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from workflows.commands import EmailKind, Recipient


class CaseActionError(ValueError):
    """An action that does not fit the case (unknown, closed, not started, wrong state); Dutch message."""


class Addresses(Protocol):
    """Who receives what (the configuration): ``None`` means not configured, and the email fails visibly."""

    def mailbox(self, cbs_code: str | None) -> str | None: ...

    def coordinator(self, province: str | None) -> str | None: ...


MessageIds = Callable[[str, int, int], str]  # (kind, case id, sequence of that kind) -> Message-ID


@dataclass(frozen=True)
class Nudges:
    """The queue messages a case change causes, as (actor name, queue name): the runtime names its queues."""

    start_workflow: tuple[str, str]
    send_email: tuple[str, str]


@dataclass(frozen=True)
class Email:
    """An email to queue for a case; ``step`` names what caused it (a definition step, a reply)."""

    kind: EmailKind
    recipient: Recipient
    to: str | None
    reason: str
    step: str
    attach_letter: bool = False
    inbound_id: int | None = None
    in_reply_to: str | None = None
