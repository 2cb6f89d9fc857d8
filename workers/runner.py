"""Process shapes: a worker, a scheduler, or everything in one process (the embedded default).

All three use the same handlers, actors, outbox relay and sweeps; only the broker differs
(RabbitMQ, or dramatiq's in-process ``StubBroker`` when no broker is configured).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import dramatiq
from aiosmtpd.controller import Controller
from dramatiq import Worker

from messaging.smtp import Mailer
from workers.actors import declare_actors
from workers.bootstrap import App
from workers.broker import DeadLetters, make_broker
from workers.mail_fetch import MailboxStore, MailFetcher
from workers.mail_gateway import gateway_handler, start_gateway
from workers.mailbox_settings import MailboxSettings
from workers.periodic import ReconcileWindows
from workers.queues import ALL_QUEUES
from workers.scheduler import KoersScheduler
from workers.services import Services, build_services, install
from workers.web.app import create_app
from workers.web.server import WebServer, secure_cookies_for

log = logging.getLogger(__name__)


def start_broker(app: App, mailer: Mailer | None = None) -> tuple[dramatiq.Broker, Services]:
    """Install services and a broker with every actor declared, for this process."""
    services = build_services(app, mailer)
    install(services)
    broker = make_broker(app.settings.broker_url, DeadLetters(lambda: app.sessions, app.clock))
    declare_actors(broker)
    return broker, services


@dataclass
class Running:
    """What a process started; ``stop()`` shuts it down in order (scheduler, then workers)."""

    broker: dramatiq.Broker
    services: Services
    worker: Worker | None = None
    scheduler: KoersScheduler | None = None
    gateway: Controller | None = None
    web: WebServer | None = None
    fetcher: FetcherThread | None = None

    def stop(self) -> None:
        if self.fetcher is not None:
            self.fetcher.stop()
        if self.web is not None:
            self.web.stop()
        if self.gateway is not None:
            self.gateway.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.worker is not None:
            self.worker.stop(timeout=10_000)
        self.services.mailer_close()
        self.broker.close()


def start(app: App, *, worker_threads: int = 0, queues: Iterable[str] = ALL_QUEUES, scheduler: bool = False,
          mailer: Mailer | None = None, windows: ReconcileWindows | None = None,
          gateway_listen: str | None = None, web_listen: str | None = None,
          mailbox: MailboxSettings | None = None) -> Running:  # fmt: skip
    broker, services = start_broker(app, mailer)
    running = Running(broker, services)
    if mailbox is not None:
        running.fetcher = FetcherThread(MailFetcher(mailbox, MailboxStore(app.sessions, app.clock)))
    if gateway_listen:
        running.gateway = start_gateway(gateway_handler(app), gateway_listen)
    if web_listen:
        secure = secure_cookies_for(app.settings, web_listen)
        running.web = WebServer(create_app(app, services, secure_cookies=secure), web_listen).start()
    if worker_threads:
        running.worker = Worker(broker, queues=set(queues), worker_threads=worker_threads)
        running.worker.start()
    if scheduler:
        running.scheduler = KoersScheduler(app, broker, windows=windows)
        running.scheduler.start()
    return running


class FetcherThread:
    """``koers mail-fetch`` inside another process (``koers run``): the fetcher's loop in a thread of its own."""

    def __init__(self, fetcher: MailFetcher) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=fetcher.run, args=(self._stop,), name="mail-fetch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        if self._thread.is_alive():  # a server that does not answer IDLE's DONE: exit anyway, nothing is lost
            log.warning("mail-fetch did not stop within 15 s; exiting without waiting for the mailbox")


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        pass
