"""Composition root: builds the adapters from settings, once, and hands them out.

Nothing connects at import time; tests pass their own settings or clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from schema.db import make_engine, make_session_factory
from schema.reference import load_registry
from workers.settings import Settings, load_settings
from workflows.routing import Registry

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The wired application: settings, database and the reference registry."""

    settings: Settings
    clock: Clock = utc_now
    pool_size: int = 5  # database connections kept open: one per thread that uses the database
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url, pool_size=self.pool_size)
        return self._engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def registry(self) -> Registry:
        return load_registry()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def bootstrap(settings: Settings | None = None, clock: Clock | None = None, threads: int = 0) -> App:
    """The application for a process that runs ``threads`` worker threads (beside its own few)."""
    return App(settings=settings or load_settings(), clock=clock or utc_now, pool_size=max(5, threads + 4))
