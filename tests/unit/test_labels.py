"""Every value Koers stores has one Dutch word, and each state name is defined once."""

from __future__ import annotations

import re
import subprocess
from enum import StrEnum

import pytest

from tests.conftest import REPO
from workflows import labels
from workflows.commands import CloseReason, EmailKind, Recipient
from workflows.events import OperatorActionKind
from workflows.model import Answer, CaseState, ContactForm, IntakeResult, TargetGroup
from workflows.states import (
    AuditKind,
    DeadLetterState,
    EmailState,
    FieldCertainty,
    InboundSource,
    InboundState,
    MessageKind,
    ProposalState,
    RerouteRequestSource,
    RerouteRequestState,
    RoutingMethod,
    TimerState,
    TokenScope,
    TokenState,
)

LABELLED: list[tuple[type[StrEnum], object]] = [
    (CaseState, labels.CASE_STATES), (IntakeResult, labels.INTAKE_RESULTS), (TimerState, labels.TIMER_STATES),
    (EmailKind, labels.EMAIL_KINDS), (Recipient, labels.RECIPIENTS), (EmailState, labels.EMAIL_STATES),
    (InboundState, labels.INBOUND_STATES), (InboundState, labels.INBOUND_OUTCOMES), (MessageKind, labels.MESSAGE_KINDS),
    (InboundSource, labels.INBOUND_SOURCES), (DeadLetterState, labels.DEAD_LETTER_STATES), (Answer, labels.ANSWERS),
    (ContactForm, labels.CONTACT_FORMS), (CloseReason, labels.CLOSE_REASONS), (RoutingMethod, labels.ROUTING_METHODS),
    (AuditKind, labels.EVENTS), (FieldCertainty, labels.FIELD_CERTAINTIES), (ProposalState, labels.PROPOSAL_STATES),
    (TokenScope, labels.TOKEN_SCOPES), (TokenState, labels.TOKEN_STATES),
    (TargetGroup, labels.TARGET_GROUPS), (TargetGroup, labels.GROUP_PERSONS), (TargetGroup, labels.GROUP_DEADLINES),
    (OperatorActionKind, labels.OPERATOR_ACTIONS), (RerouteRequestState, labels.REROUTE_REQUEST_STATES),
    (RerouteRequestSource, labels.REROUTE_REQUEST_SOURCES),
]  # fmt: skip


@pytest.mark.parametrize(("enum", "mapping"), LABELLED, ids=lambda v: getattr(v, "__name__", ""))
def test_every_member_of_every_vocabulary_has_a_dutch_label(enum: type[StrEnum], mapping: dict[str, str]) -> None:
    missing = [member.value for member in enum if member not in mapping]
    assert not missing, f"{enum.__name__}: no Dutch label for {missing}"
    assert all(label.strip() for label in mapping.values())


def test_a_label_is_found_for_the_stored_string_and_an_unknown_value_shows_as_itself() -> None:
    assert labels.label(labels.EMAIL_STATES, "failed") == "Mislukt"
    assert labels.label(labels.EMAIL_STATES, EmailState.FAILED) == "Mislukt"
    assert labels.label(labels.EMAIL_STATES, "from_the_future") == "from the future"
    assert labels.label(labels.EMAIL_STATES, None) == "—"


def _product_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "workflows", "schema", "messaging", "workers"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    # Migrations are history: they hold the values as they were when written.
    return [name for name in listed if name.endswith(".py") and not name.startswith("schema/migrations/")]


# Values that are also ordinary words elsewhere (a CSV column, a JSON key, a header name) are not
# checked: only the state names that have no other meaning must appear once, in their enum.
STATE_WORDS = ["queued", "sending", "needs_review", "bounced", "quarantined", "claimed", "needs_routing",
               "outcome_partial", "notified", "reminded", "escalated"]  # fmt: skip


VOCABULARIES = ("workflows/states.py", "workflows/model.py", "workflows/commands.py")


@pytest.mark.parametrize("word", STATE_WORDS)
def test_each_state_name_is_a_string_only_in_its_enum(word: str) -> None:
    pattern = re.compile(rf"""["']{word}["']""")
    found = []
    for name in _product_files():
        text = (REPO / name).read_text(encoding="utf-8")
        found += [(name, n) for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    elsewhere = [f"{name}:{n}" for name, n in found if name not in VOCABULARIES]
    assert not elsewhere, f"{word!r} as a string literal in {elsewhere}; use the enum member"
    defined = [name for name, _ in found if name in VOCABULARIES]
    assert defined, f"{word!r} is defined in no vocabulary"
