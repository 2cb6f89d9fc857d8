"""The workflow runtime: the handlers that start a case's workflow and fire its timers.

Each is "open the case, decide with the pure engine, apply" through the case store, in one
transaction. Both are idempotent: a case that already runs is not started again; a timer that is
done or cancelled, or not due yet, does nothing.
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

    def start_case(self, case_id: int) -> None:
        """Start the workflow of an accepted case's group; a case already started is left alone."""
        try:
            with self.store.case(case_id) as case:
                case.start(self._clock(), trigger_of(case.group))
        except CaseActionError as exc:
            raise PermanentError(str(exc)) from exc

    def fire_timer(self, timer_id: int) -> None:
        """Feed a due timer to the engine; done, cancelled or early timers are a no-op."""
        with self.store.sessions.begin() as session:
            case_id = timer_store.case_of(session, timer_id)
            if case_id is None:
                raise PermanentError(f"timer {timer_id} bestaat niet")
            with self.store.lock(session, case_id) as case:
                timer = timer_store.load(session, timer_id)  # read again under the case's lock
                now = self._clock()
                if timer.state not in TimerState.waiting() or timer.due_at > now:
                    return
                timer_store.mark_done(session, timer_id, now)
                case.handle(TimerFired(timer.name), now)
