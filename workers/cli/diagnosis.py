"""What went wrong, as one Dutch line an operator can act on: the component, its address, the next step.

``explain`` turns the exceptions of the configuration, the database (schema and connection), RabbitMQ,
the SMTP relay and the file system into that line, and returns None for anything else (a defect, which
``workers.cli.errors`` reports as such). Addresses come from the settings, rendered without password;
the driver's own message is never echoed, since it can carry a URL or a value. Whether a server is
down or refuses us is decided by trying a plain TCP connection to it, not by reading English error
text: "verbinding geweigerd", "geen antwoord", "onbekende host".
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from urllib.parse import unquote, urlsplit

import dramatiq.errors
import psycopg
from pika import exceptions as amqp
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from messaging.smtp_errors import MailError
from messaging.smtp_target import SmtpTarget
from schema.migrate import SchemaOutdatedError
from workers.settings import ConfigError, Settings, load_settings

UPGRADE = "voer `koers db upgrade` uit"
PROBE_SECONDS = 3.0
_SCHEMA_SQLSTATES = frozenset({"42P01", "42703"})  # undefined table, undefined column
_SQLITE_SCHEMA = ("no such table", "no such column")
# What libpq says when the server refuses a connection (its messages are English unless configured otherwise).
_PG_REFUSALS = (
    (("role", "does not exist"), "kent deze gebruiker niet: controleer KOERS_DATABASE_URL"),
    (("database", "does not exist"), "heeft deze database niet: maak hem aan of controleer KOERS_DATABASE_URL"),
    (("password",), "weigert de aanmelding: controleer gebruiker en wachtwoord in KOERS_DATABASE_URL"),
    (("pg_hba.conf",), "laat deze verbinding niet toe (pg_hba.conf): vraag de beheerder van de database"),
    (("closed the connection",), "verbrak de verbinding: probeer het zo opnieuw"),
)
_FILE_ERRORS = {errno.EACCES: "geen toegang", errno.EPERM: "geen toegang", errno.ENOSPC: "de schijf is vol",
                errno.EROFS: "het bestandssysteem is alleen-lezen", errno.ENOENT: "bestaat niet",
                errno.ENOTDIR: "een deel van het pad is geen map", errno.EISDIR: "is een map"}  # fmt: skip


def explain(exc: BaseException) -> str | None:
    """The operator's line for ``exc``, or None when it is not a failure of configuration or surroundings."""
    if isinstance(exc, ConfigError):
        return f"configuratiefout: {exc}"
    if isinstance(exc, NoSuchModuleError) or (isinstance(exc, ArgumentError) and "URL" in str(exc)):
        return ("configuratiefout: KOERS_DATABASE_URL is geen geldige database-URL "
                "(bijvoorbeeld postgresql+psycopg://koers@db-host:5432/koers)")  # fmt: skip
    if isinstance(exc, SchemaOutdatedError):
        return _outdated(exc)
    if isinstance(exc, DBAPIError):
        return _database(exc)
    if isinstance(exc, amqp.AMQPConnectionError | dramatiq.errors.ConnectionError):
        return _broker(exc)
    if isinstance(exc, MailError):
        return _smtp(exc)
    if isinstance(exc, OSError):
        return _os_error(exc)
    return None


def unreachable(host: str, port: int) -> str | None:
    """Why a TCP connection to ``host:port`` fails, in Dutch; None when it succeeds."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS):
            return None
    except ConnectionRefusedError:
        return "verbinding geweigerd"
    except socket.gaierror:
        return f"onbekende host {host}"
    except TimeoutError:
        return f"geen antwoord binnen {PROBE_SECONDS:g} seconden"
    except OSError as exc:
        return f"netwerkfout ({errno.errorcode.get(exc.errno or 0, 'onbekend')})"


def _settings() -> Settings | None:
    try:
        return load_settings()
    except ConfigError:
        return None


def database_place() -> tuple[str, str, int | None]:
    """The database as the operator configured it: (name and address for the line, host, port)."""
    settings = _settings()
    if settings is None:
        return "de database", "", None
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite-database {url.database}", "", None
    host, port = url.host or "localhost", url.port or 5432
    return f"PostgreSQL op {host}:{port}", host, port


def _outdated(exc: SchemaOutdatedError) -> str:
    where = database_place()[0]
    if exc.current is None:
        return f"{where} is nog leeg (nooit bijgewerkt): {UPGRADE}"
    if not exc.known:
        return f"{where} staat op versie {exc.current}, nieuwer dan deze Koers ({exc.head}): werk Koers bij"
    return f"{where} staat op versie {exc.current}, deze Koers verwacht {exc.head}: {UPGRADE}"


def _database(exc: DBAPIError) -> str | None:
    where, host, port = database_place()
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return _sqlite(where, str(orig))
    if not isinstance(orig, psycopg.Error):
        return None
    state = orig.sqlstate
    if state in _SCHEMA_SQLSTATES:
        return f"{where}: tabellen ontbreken (de database is niet bijgewerkt): {UPGRADE}"
    if state in ("28P01", "28000"):
        return f"{where} weigert de aanmelding: controleer gebruiker en wachtwoord in KOERS_DATABASE_URL"
    if state == "3D000":
        return f"{where} heeft deze database niet: maak hem aan of controleer KOERS_DATABASE_URL"
    if state in ("57P01", "57P02", "57P03", "53300"):
        return f"{where} neemt nu geen verbindingen aan (start op, stopt of zit vol); probeer het zo opnieuw"
    if state is None and host:
        reason = unreachable(host, port or 5432)
        if reason is None:  # the server answers: libpq says why only in its text (no SQLSTATE at connect)
            return f"{where} {_refusal(str(orig))}"
        return f"{where} is niet bereikbaar: {reason}; start PostgreSQL of controleer KOERS_DATABASE_URL"
    return None


def _refusal(message: str) -> str:
    for fragments, line in _PG_REFUSALS:
        if all(fragment in message for fragment in fragments):
            return line
    return "weigert de verbinding: controleer gebruiker, wachtwoord en databasenaam in KOERS_DATABASE_URL"


def _sqlite(where: str, message: str) -> str | None:
    if message.startswith(_SQLITE_SCHEMA):
        return f"{where}: tabellen ontbreken (de database is niet bijgewerkt): {UPGRADE}"
    if "unable to open" in message:
        return f"{where} kan niet worden geopend; controleer KOERS_HOME (bestaat de map, mag Koers erin schrijven?)"
    if "locked" in message:
        return f"{where} is bezet door een ander proces; probeer het zo opnieuw"
    if "readonly" in message:
        return f"{where} is alleen-lezen; controleer de rechten van het bestand en van KOERS_HOME"
    return None


def _broker(exc: BaseException) -> str:
    settings = _settings()
    parts = urlsplit(settings.broker_url or "") if settings else urlsplit("")
    host, port = parts.hostname or "localhost", parts.port or 5672
    vhost, user = unquote(parts.path.lstrip("/")) or "/", unquote(parts.username or "guest")
    where = f"RabbitMQ op {host}:{port}"
    if isinstance(exc, amqp.ProbableAccessDeniedError):
        return f"{where}: gebruiker {user} mag niet in vhost {vhost}; maak die aan of controleer KOERS_BROKER_URL"
    if isinstance(exc, amqp.ProbableAuthenticationError | amqp.AuthenticationError):
        return f"{where} weigert de aanmelding van gebruiker {user}: controleer KOERS_BROKER_URL"
    reason = unreachable(host, port) or "de verbinding werd verbroken"
    return f"{where} is niet bereikbaar: {reason}; start RabbitMQ of controleer KOERS_BROKER_URL"


def _smtp(exc: MailError) -> str:
    settings = _settings()
    try:
        target = SmtpTarget.from_url(settings.smtp_url or "") if settings else None
    except ValueError:
        target = None
    if target is None:
        return f"SMTP-server: {exc}; controleer KOERS_SMTP_URL"
    where = f"SMTP-server op {target.hostname}:{target.port}"
    reason = unreachable(target.hostname, target.port)
    if reason is not None:
        return f"{where} is niet bereikbaar: {reason}; start de mailserver of controleer KOERS_SMTP_URL"
    return f"{where} is niet bruikbaar: {exc}; controleer KOERS_SMTP_URL (TLS, gebruiker en wachtwoord)"


def _os_error(exc: OSError) -> str | None:
    if exc.errno == errno.EADDRINUSE:
        return "kan niet luisteren: het adres is al in gebruik; kies een ander (--listen, of listen in de configuratie)"
    if exc.filename is None or exc.errno not in _FILE_ERRORS:
        return None
    return f"bestand {exc.filename}: {_FILE_ERRORS[exc.errno]}; controleer het pad en de rechten (KOERS_HOME)"
