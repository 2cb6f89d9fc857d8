"""``koers mail-fetch`` as operators and cron run it: real processes, the real Dovecot, PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schema.runtime_models import InboundMessage
from testkit.flow import TEST_SECRET_KEY, wait_until, write_config
from testkit.imap_server import PASSWORD, ImapServer
from testkit.processes import spawn
from tests.conftest import PG_URL

REPO = Path(__file__).resolve().parents[2]
_users = count(1)


def koers(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def message(n: int) -> bytes:
    return (f"From: anne@gm0014.example\r\nTo: zelfmelders@gm0014.example\r\nSubject: RE: [ZM-000001] antwoord\r\n"
            f"Message-ID: <cli-{n}@gm0014.example>\r\n\r\nContact: ja\r\n").encode()  # fmt: skip


@pytest.fixture
def user() -> str:
    return f"koers-cli-{next(_users)}"


@pytest.fixture
def env(pg_sessions: sessionmaker[Session], imap_server: ImapServer, user: str, tmp_path: Path) -> dict[str, str]:
    config = write_config(tmp_path / "koers.toml")
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f'[mailbox]\nhost = "127.0.0.1"\nport = {imap_server.port}\nuser = "{user}"\n'
                 f'ca_file = "{imap_server.ca_file}"\n')  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    return {**clean, "KOERS_DATABASE_URL": PG_URL, "KOERS_HOME": str(tmp_path), "KOERS_CONFIG": str(config),
            "KOERS_SECRET_KEY": TEST_SECRET_KEY, "KOERS_IMAP_PASSWORD": PASSWORD}  # fmt: skip


def stored(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Rows, and distinct mailbox keys among them."""
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(InboundMessage)) or 0
        keys = session.scalar(select(func.count(func.distinct(InboundMessage.mailbox_key)))) or 0
    return rows, keys


def test_once_takes_what_is_there_and_says_so_in_json(
    env: dict[str, str], imap_server: ImapServer, user: str, pg_sessions: sessionmaker[Session]
) -> None:
    imap_server.deliver(user, message(1), message(2))

    first = koers("mail-fetch", "--once", "--json", env=env)
    second = koers("mail-fetch", "--once", env=env)

    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"stored": 2, "already_stored": 0, "quarantined": 0}
    assert second.returncode == 0 and second.stdout.startswith("mail-fetch: 0 opgeslagen")
    assert stored(pg_sessions) == (2, 2) and imap_server.uids(user, "INBOX") == []


def test_operator_errors_are_one_dutch_line_and_never_show_the_password(env: dict[str, str]) -> None:
    wrong = koers("mail-fetch", "--once", env={**env, "KOERS_IMAP_PASSWORD": "fout-wachtwoord-123"})
    missing = koers("mail-fetch", "--once", env={k: v for k, v in env.items() if k != "KOERS_IMAP_PASSWORD"})
    usage = koers("mail-fetch", "--json", env=env)

    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
    assert "koers mail-fetch: postvak imap://" in wrong.stderr and "inloggen geweigerd" in wrong.stderr
    assert "fout-wachtwoord-123" not in wrong.stderr + wrong.stdout
    assert missing.returncode == 1 and "KOERS_IMAP_PASSWORD is niet gezet" in missing.stderr
    assert usage.returncode == 2 and "--json kan alleen met --once" in usage.stderr


def test_a_password_in_the_config_file_is_refused(env: dict[str, str]) -> None:
    config = Path(env["KOERS_CONFIG"])
    config.write_text(config.read_text(encoding="utf-8") + 'password = "geheim"\n', encoding="utf-8")

    result = koers("mail-fetch", "--once", env=env)

    assert result.returncode == 1 and "mailbox.password hoort niet in het configuratiebestand" in result.stderr


def test_a_fetcher_killed_while_it_works_loses_nothing_and_stores_nothing_twice(
    env: dict[str, str], imap_server: ImapServer, user: str, pg_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    imap_server.deliver(user, *(message(n) for n in range(40)))
    argv = [sys.executable, "-m", "workers.cli", "mail-fetch"]

    first = spawn("mail-fetch", argv, env, tmp_path / "fetch-1.log", tied=True)
    wait_until(lambda: stored(pg_sessions)[0] >= 5, timeout=60, interval=0.02)
    first.kill9()  # somewhere among fetching, storing and moving
    assert stored(pg_sessions)[0] < 40 and imap_server.uids(user, "INBOX")

    second = spawn("mail-fetch", argv, env, tmp_path / "fetch-2.log", tied=True)
    try:
        wait_until(lambda: not imap_server.uids(user, "INBOX"), timeout=60)
        assert stored(pg_sessions) == (40, 40)  # each message once
        assert len(imap_server.uids(user, "Koers-verwerkt")) == 40
    finally:
        second.stop(timeout=60)
    assert second.popen.returncode == 0
