"""The workflow runtime: the handlers that start a case's workflow and fire its timers.

Each is "open the case, decide with the pure engine, apply" through the case store, in one
transaction, and returns the emails it queued: the worker sends them itself right after the commit
(``EmailSender.send_now``), so an email costs no second queue message. Both are idempotent: a case
that already runs is not started again; a timer that is done or cancelled, or not due yet, does
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from schema import timer_store
from schema.case_store import CaseActionError, CaseStore
from workers.errors import PermanentError
from workflows.definitions import trigger_of
from workflows.events import TimerFired
from workflows.states import TimerState


class WorkflowRuntime:
    """The ``start_workflow`` and ``handle_timer`` handlers."""

    def __init__(self, store: CaseStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self._clock = clock

    def start_case(self, case_id: int) -> list[int]:
        """Start the workflow of an accepted case; a case already started is left alone.

        Returns the emails queued (to be sent by the caller).
        """
        try:
            with self.store.case(case_id, sends_itself=True) as case:
                case.start(self._clock(), trigger_of(case.group))
        except CaseActionError as exc:
            raise PermanentError(str(exc)) from exc
        return case.queued

    def fire_timer(self, timer_id: int) -> tuple[int, list[int]]:
        """Feed a due timer to the engine; done, cancelled or early timers are a no-op.

        Returns the timer's case and the emails queued (to be sent by the caller).
        """
        with self.store.sessions.begin() as session:
            case_id = timer_store.case_of(session, timer_id)
            if case_id is None:
                raise PermanentError(f"timer {timer_id} bestaat niet")
            with self.store.lock(session, case_id, sends_itself=True) as case:
                timer = timer_store.load(session, timer_id)  # read again under the case's lock
                now = self._clock()
                if timer.state in TimerState.waiting() and timer.due_at <= now:
                    timer_store.mark_done(session, timer_id, now)
                    case.handle(TimerFired(timer.name), now)
        return case_id, case.queued
