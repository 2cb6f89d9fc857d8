"""Queue and actor names: constants, so that renaming a function cannot orphan queued messages.

``compose.yaml``'s worker consumes exactly ``ALL_QUEUES`` (a guard test checks it).
"""

from __future__ import annotations

WORKFLOW = "workflow"  # start a case's workflow, fire its timers, operator actions
OUTGOING_MAIL = "outgoing-mail"  # render and send one email
INBOUND_REPLIES = "inbound-replies"  # read one stored inbound message

ALL_QUEUES = (WORKFLOW, OUTGOING_MAIL, INBOUND_REPLIES)

START_WORKFLOW = "start_workflow"
HANDLE_TIMER = "handle_timer"
APPLY_OPERATOR_ACTION = "apply_operator_action"
SEND_EMAIL = "send_email"
PROCESS_INBOUND_MAIL = "process_inbound_mail"

# actor name → queue name; the outbox writes these, the actors are declared with them.
ACTOR_QUEUES = {
    START_WORKFLOW: WORKFLOW,
    HANDLE_TIMER: WORKFLOW,
    APPLY_OPERATOR_ACTION: WORKFLOW,
    SEND_EMAIL: OUTGOING_MAIL,
    PROCESS_INBOUND_MAIL: INBOUND_REPLIES,
}

# (actor, queue) pairs of the messages that data changes cause, for the outbox writers.
START = (START_WORKFLOW, WORKFLOW)
FIRE_TIMER = (HANDLE_TIMER, WORKFLOW)
SEND = (SEND_EMAIL, OUTGOING_MAIL)
READ_REPLY = (PROCESS_INBOUND_MAIL, INBOUND_REPLIES)
