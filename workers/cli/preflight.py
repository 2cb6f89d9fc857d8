"""What a long-running process checks before it starts: its database schema, its broker, its mail relay.

A worker started against a database that was never upgraded, a RabbitMQ that is down or a mistyped
SMTP address would otherwise start, log errors in a loop and look alive. Each check raises the
component's own error, which ``workers.cli.errors`` turns into one line and exit code 1; the
process manager (systemd, compose) then shows it failed and restarts it later.
"""

from __future__ import annotations

import logging

import pika

from messaging.smtp import SmtpMailer
from schema import migrate
from workers.bootstrap import App
from workers.settings import ConfigError

CONNECT_SECONDS = 10.0


def require_schema(app: App) -> None:
    """The database is reachable and at the newest migration (``SchemaOutdatedError`` otherwise)."""
    migrate.require_current(app.engine)


def require_broker(url: str | None) -> None:
    """RabbitMQ accepts a connection with these credentials and vhost (none needed in-process)."""
    if not url:
        return
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = CONNECT_SECONDS
    # pika logs a failed attempt at ERROR, with a traceback, before it raises: the raised error becomes
    # the operator's one line, so those log lines would only say the same in forty.
    pika_log = logging.getLogger("pika")
    level = pika_log.level
    pika_log.setLevel(logging.CRITICAL)
    try:
        pika.BlockingConnection(parameters).close()
    finally:
        pika_log.setLevel(level)


def require_smtp(url: str | None) -> None:
    """The relay greets, does TLS as configured and accepts the credentials (nothing to check for the spool)."""
    if not url:
        return
    try:
        mailer = SmtpMailer(url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    mailer.check(timeout=CONNECT_SECONDS)
