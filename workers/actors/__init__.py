"""Actor declarations: thin, ids in, one handler call, safe to run twice.

``declare_actors(broker)`` binds every actor to the given broker at start-up (not at import), with
explicit names, queues, retries with backoff and a ceiling, and ``PermanentError`` as the error
that fails fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq

from workers import queues
from workers.actors.mail import process_inbound_mail, send_email
from workers.actors.workflow import handle_timer, start_workflow
from workers.errors import PermanentError

# Retries with backoff (milliseconds) and a ceiling; a 30 s database outage is survived.
_DATABASE_WORK = {"max_retries": 20, "min_backoff": 1_000, "max_backoff": 60_000}
_SMTP_WORK = {"max_retries": 20, "min_backoff": 2_000, "max_backoff": 300_000}
_ACTORS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    queues.START_WORKFLOW: (start_workflow, _DATABASE_WORK),
    queues.HANDLE_TIMER: (handle_timer, _DATABASE_WORK),
    queues.SEND_EMAIL: (send_email, _SMTP_WORK),
    queues.PROCESS_INBOUND_MAIL: (process_inbound_mail, _DATABASE_WORK),
}


def declare_actors(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    declared = {}
    for name, (fn, options) in _ACTORS.items():
        if name in broker.actors:
            declared[name] = broker.get_actor(name)
            continue
        declared[name] = dramatiq.actor(
            fn, actor_name=name, queue_name=queues.ACTOR_QUEUES[name], broker=broker, throws=(PermanentError,),
            **options,
        )  # fmt: skip
    return declared
