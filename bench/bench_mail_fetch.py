"""Mailbox mode benchmark: how fast ``koers mail-fetch`` moves replies from an IMAP inbox into PostgreSQL.

Starts the tests' Dovecot (``testkit.imap_server``: TLS, a free port of 127.0.0.1), delivers
``--messages`` replies of about 4 KB into a fresh mailbox per run, and times one
``MailFetcher.fetch_once`` (per message: a key lookup, ``BODY.PEEK[]``, one PostgreSQL transaction
with the row and its outbox message, ``MOVE``). Also times a run over a mailbox whose messages are
all stored already (a restart after a crash between storing and moving: key lookup and ``MOVE``
only). Prints the median of ``--runs`` runs.

Uses its own database ``koers_bench_fetch`` (recreated; ``KOERS_BENCH_FETCH_DATABASE_URL``).

Usage: ``.venv/bin/python bench/bench_mail_fetch.py [--messages 500] [--runs 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from testkit.databases import migrate_with_reference_data, recreate_database  # noqa: E402
from testkit.flow import fast_settings  # noqa: E402
from testkit.imap_server import PASSWORD, ImapServer, start_imap_server  # noqa: E402
from workers.bootstrap import App, bootstrap  # noqa: E402
from workers.mail_fetch import MailboxStore, MailFetcher  # noqa: E402
from workers.mailbox_settings import MailboxSettings  # noqa: E402

URL = os.environ.get("KOERS_BENCH_FETCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_bench_fetch")
BODY = ("Contact: ja\r\nVorm van contact: telefonisch\r\nActies uitgezet: ja\r\n" + "> geciteerde regel\r\n" * 180)


def reply(n: int) -> bytes:
    return (f"From: anne@gm0014.example\r\nTo: zelfmelders@gm0014.example\r\nSubject: RE: [ZM-{n:06d}] antwoord\r\n"
            f"Message-ID: <bench-{n}@gm0014.example>\r\n\r\n{BODY}").encode()  # fmt: skip


def one_run(app: App, server: ImapServer, run: int, messages: int) -> tuple[float, float]:
    first = _timed(app, server, f"bench-{run}", messages, already_stored=False)
    again = _timed(app, server, f"bench-{run}-again", messages, already_stored=True)
    return messages / first, messages / again


def _timed(app: App, server: ImapServer, user: str, messages: int, *, already_stored: bool) -> float:
    """Seconds for one ``fetch_once`` over ``messages`` replies in a fresh mailbox."""
    server.deliver(user, *(reply(n) for n in range(messages)))
    settings = MailboxSettings(host="127.0.0.1", port=server.port, user=user, ca_file=server.ca_file,
                               password=PASSWORD)  # fmt: skip
    if already_stored:  # as after a crash between storing and moving: only the key lookup and the move are left
        with app.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO inbound_messages (received_at, source, envelope_to, raw, size, state, details, "
                "sender_verified, mailbox_key) SELECT now(), 'imap', '[]', '', 0, 'received', '{}', false, key "
                "FROM unnest(CAST(:keys AS text[])) AS key"
            ), {"keys": _keys(server, user, settings)})  # fmt: skip
    started = time.perf_counter()
    counts = MailFetcher(settings, MailboxStore(app.sessions, app.clock)).fetch_once()
    elapsed = time.perf_counter() - started
    assert (counts.already_stored if already_stored else counts.stored) == messages, counts
    return elapsed


def _keys(server: ImapServer, user: str, settings: MailboxSettings) -> list[str]:
    with server.client(user) as client:
        validity = client.select_folder("INBOX")[b"UIDVALIDITY"]
        uids = client.search(["ALL"])
    return [f"{settings.location}INBOX;UIDVALIDITY={validity}/;UID={uid}" for uid in uids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    recreate_database(URL)
    app = bootstrap(fast_settings(Path(tempfile.mkdtemp(prefix="koers-bench-fetch-")), URL))
    migrate_with_reference_data(app.engine)
    server = start_imap_server()
    try:
        rates = [one_run(app, server, run, args.messages) for run in range(args.runs)]
    finally:
        server.stop()
        app.dispose()
    stored, moved = zip(*rates, strict=True)
    print(f"mail-fetch, {args.messages} messages of {len(reply(0))} bytes, {args.runs} runs (Dovecot over TLS, "
          f"PostgreSQL on 127.0.0.1)")  # fmt: skip
    print(f"  stored and moved:        median {statistics.median(stored):7.0f} messages/s "
          f"(runs {' / '.join(f'{r:.0f}' for r in stored)})")  # fmt: skip
    print(f"  already stored, moved:   median {statistics.median(moved):7.0f} messages/s "
          f"(runs {' / '.join(f'{r:.0f}' for r in moved)})")  # fmt: skip
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
