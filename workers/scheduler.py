"""``koers scheduler``: APScheduler triggers the periodic jobs; it only enqueues, never handles.

Every scheduler process tries to become the leader; only the leader's jobs do anything, so two
schedulers started at once fire nothing twice. A leader that loses its database connection
steps down and another takes over within a few seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq
from apscheduler.schedulers.background import BackgroundScheduler

from workers import periodic
from workers.bootstrap import App
from workers.leader import LeaderLock, make_leader_lock
from workers.purge import purge
from workflows.states import TimerState

log = logging.getLogger(__name__)


class KoersScheduler:
    """Leader election plus the sweep, relay and reconciler jobs."""

    def __init__(self, app: App, broker: dramatiq.Broker, lock: LeaderLock | None = None,
                 windows: periodic.ReconcileWindows | None = None) -> None:  # fmt: skip
        self._app = app
        self._broker = broker
        self._lock = lock or make_leader_lock(app.engine, app.settings.home)
        self._windows = windows or periodic.ReconcileWindows()
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._leader = threading.Event()

    @property
    def is_leader(self) -> bool:
        return self._leader.is_set()

    def start(self) -> None:
        s = self._app.settings
        self._elect()
        self._add(self._elect, 2.0, "leader")
        self._add(self.sweep, s.sweep_interval, "timer_sweep")
        self._add(self.relay, s.relay_interval, "outbox_relay")
        self._add(self.reconcile, s.reconcile_interval, "reconciler")
        self._add(self.purge, 3600.0, "retention")
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.shutdown(wait=True)
        self._lock.release()
        self._leader.clear()

    def _add(self, job: Callable[[], Any], seconds: float, name: str) -> None:
        self._scheduler.add_job(job, "interval", seconds=seconds, id=name, max_instances=1, coalesce=True,
                                misfire_grace_time=max(1, int(seconds * 2)))  # fmt: skip

    def _elect(self) -> None:
        if self._lock.try_acquire():
            self._leader.set()
        else:
            self._leader.clear()

    # The jobs: each returns quietly when this process is not the leader.

    def sweep(self) -> int:
        return self._guarded("timer_sweep", lambda: {TimerState.CLAIMED.value: periodic.sweep_timers(self._app.sessions,
                                                                                     self._app.clock())})

    def relay(self) -> int:
        return self._guarded("outbox_relay", lambda: {"published": periodic.relay_outbox(
            self._app.sessions, self._broker, self._app.clock)}, beat_when_idle=False)

    def reconcile(self) -> int:
        return self._guarded("reconciler", lambda: periodic.reconcile(self._app.sessions, self._app.clock(),
                                                                     self._windows))

    def purge(self) -> int:
        return self._guarded("retention", lambda: purge(self._app, actor="scheduler"))

    def _guarded(self, name: str, job: Callable[[], dict[str, int]], beat_when_idle: bool = True) -> int:
        if not self.is_leader:
            return 0
        try:
            details = job()
        except Exception:
            log.exception("%s failed; it runs again at its next interval", name)
            return 0
        count = sum(details.values())
        if count or beat_when_idle:
            try:
                periodic.beat(self._app.sessions, name, self._app.clock(), details)
            except Exception:
                log.warning("%s: heartbeat not recorded", name, exc_info=True)
        return count
