"""The handlers a worker runs, wired from an ``App``; installed once per process for the actors.

Actors are declared at start-up against the broker of that process and look their handlers up
here, so nothing binds to a broker or a database at import time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from messaging.dkim_signing import DkimSigner
from messaging.email_message import make_message_id
from messaging.render import Renderer
from messaging.smtp import Mailer, make_mailer
from schema.case_store import CaseStore, Nudges
from workers import queues
from workers.bootstrap import App
from workers.contacts import Contacts
from workers.email_composer import EmailComposer
from workers.email_sender import EmailSender
from workers.reply_processor import ReplyProcessor
from workers.settings import ConfigError, Settings
from workers.workflow_runtime import WorkflowRuntime
from workflows.calendar import WorkdayCalendar
from workflows.registry import default_registry


@dataclass
class Services:
    app: App
    store: CaseStore
    workflow: WorkflowRuntime
    sender: EmailSender
    replies: ReplyProcessor
    mailer: Mailer
    calendar: WorkdayCalendar

    def mailer_close(self) -> None:
        close = getattr(self.mailer, "close", None)
        if close is not None:
            close()


_installed: Services | None = None


def secret_key(settings: Settings) -> bytes:
    """KOERS_SECRET_KEY; the embedded default keeps a generated key in KOERS_HOME instead."""
    if settings.secret_key is not None:
        return settings.secret_key
    if not settings.is_embedded:
        raise ConfigError("KOERS_SECRET_KEY ontbreekt (minstens 32 willekeurige tekens)")
    path: Path = settings.home / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip().encode()


def build_services(app: App, mailer: Mailer | None = None) -> Services:
    settings = app.settings
    calendar = WorkdayCalendar()
    contacts = Contacts(settings)
    mailer = mailer or make_mailer(settings.smtp_url, settings.spool_dir, require_tls=settings.outbound.require_tls,
                                   signer=dkim_signer(settings, contacts))  # fmt: skip
    signature = settings.sender.split("<", 1)[0].strip() or "Zelfmelders 3Noord"
    key = secret_key(settings)
    composer = EmailComposer(Renderer(signature=signature), contacts, calendar, key, settings.sender,
                             settings.reply_domain)  # fmt: skip
    store = case_store(app, calendar, contacts)
    workflow = WorkflowRuntime(store, app.clock)
    sender = EmailSender(app.sessions, composer, mailer, app.clock)
    replies = ReplyProcessor(store, contacts, (key,), settings.reply_domain, app.clock,
                             settings.inbound.trust_policy(settings.reply_domain))  # fmt: skip
    return Services(app=app, store=store, workflow=workflow, sender=sender, replies=replies, mailer=mailer,
                    calendar=calendar)  # fmt: skip


def dkim_signer(settings: Settings, contacts: Contacts) -> DkimSigner | None:
    """The DKIM signer of ``[outbound]``, or ``None`` when no selector and key are configured."""
    outbound = settings.outbound
    if outbound.dkim_selector is None or outbound.dkim_key is None:
        return None
    try:
        return DkimSigner.from_file(outbound.dkim_selector, outbound.dkim_domain or contacts.message_domain,
                                    outbound.dkim_key)  # fmt: skip
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def case_store(app: App, calendar: WorkdayCalendar, contacts: Contacts) -> CaseStore:
    """The case store of this process: the definitions, the addresses and the queues it nudges."""
    domain = contacts.message_domain
    key = secret_key(app.settings)

    def message_ids(kind: str, case_id: int, sequence: int) -> str:
        return make_message_id(kind, case_id, sequence, domain, key=key)

    return CaseStore(app.sessions, default_registry(app.settings.timers), calendar, contacts, message_ids,
                     Nudges(start_workflow=queues.START, send_email=queues.SEND))  # fmt: skip


def install(services: Services) -> None:
    global _installed
    _installed = services


def installed() -> Services:
    if _installed is None:
        raise RuntimeError("no services installed in this process; start it with `koers worker` or `koers run`")
    return _installed
