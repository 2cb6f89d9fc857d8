"""Login throttling holds under concurrency, never locks the real user out, and counts before it hashes."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schema.console_models import ThrottleRow
from schema.db import make_engine
from testkit.databases import migrate_with_reference_data
from testkit.processes import free_port
from tests.conftest import PG_URL
from tests.fakes import FakeClock
from tests.web.conftest import CSRF, NOW, PASSWORD
from workers.bootstrap import App, bootstrap
from workers.settings import load_settings
from workers.web import credentials
from workers.web.accounts import add_user
from workers.web.app import create_app
from workers.web.server import WebServer
from workers.web.throttle import LoginThrottle, ThrottlePolicy

KEY = "kTqs1ax4YgU7u3JRFaiDfC3mQHQRGPWpP4du8m_zLLE"


class Console:
    def __init__(self, app: App, clock: FakeClock, url: str) -> None:
        self.app, self.clock, self.url = app, clock, url

    def login_form(self) -> tuple[dict[str, str], str]:
        page = httpx2.get(self.url + "/login")
        match = CSRF.search(page.text)
        assert match
        return dict(page.cookies), match.group(1)

    def post_login(self, username: str, password: str, headers: dict[str, str] | None = None) -> httpx2.Response:
        cookies, token = self.login_form()
        return httpx2.post(self.url + "/login", data={"username": username, "password": password, "csrf_token": token},
                           cookies=cookies, headers=headers, follow_redirects=False, timeout=60)  # fmt: skip

    def throttle_keys(self) -> set[str]:
        with self.app.sessions() as s:
            return set(s.scalars(select(ThrottleRow.key)))


def running_console(tmp_path: Path, database_url: str, proxies: str = "") -> Iterator[Console]:
    config = tmp_path / "koers.toml"
    config.write_text(f"[web]\ntrusted_proxies = [{proxies}]\n")
    clock = FakeClock(NOW)
    settings = load_settings({"KOERS_HOME": str(tmp_path), "KOERS_DATABASE_URL": database_url, "KOERS_SECRET_KEY": KEY,
                              "KOERS_CONFIG": str(config), "KOERS_SMTP_URL": "smtp://127.0.0.1:1"})  # fmt: skip
    app = bootstrap(settings, clock=clock.now)
    with app.sessions.begin() as s:
        add_user(s, "op", role="operator", password=PASSWORD, now=NOW)
    port = free_port()
    server = WebServer(create_app(app), f"127.0.0.1:{port}").start()
    try:
        yield Console(app, clock, f"http://127.0.0.1:{port}")
    finally:
        server.stop()
        app.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def console(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Console]:
    if request.param == "postgresql":
        request.getfixturevalue("pg_sessions")  # migrated, empty working tables
        url = PG_URL
    else:
        url = f"sqlite:///{request.getfixturevalue('sqlite_engine').url.database}"
    yield from running_console(tmp_path, url)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts every scrypt run (the expensive step a throttle must guard)."""
    counted: Counter[str] = Counter()
    lock, real = threading.Lock(), hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        with lock:
            counted["scrypt"] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(credentials.hashlib, "scrypt", counting)
    return counted


def test_100_parallel_logins_99_wrong_1_right_hash_only_what_the_limit_allows(
    console: Console, hashes: Counter[str]
) -> None:
    # Given 100 logins for one account at the same moment, the right password among them
    cookies, token = console.login_form()
    passwords = [f"fout wachtwoord {i}" for i in range(99)]
    passwords.insert(57, PASSWORD)

    def attempt(password: str) -> httpx2.Response:
        return httpx2.post(console.url + "/login", data={"username": "op", "password": password, "csrf_token": token},
                           cookies=cookies, follow_redirects=False, timeout=120)  # fmt: skip

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(attempt, passwords))
    statuses = Counter(a.status_code for a in answers)
    # Then only the free attempts ran (counted before hashing, atomically); the rest was told to wait
    free = ThrottlePolicy().free_attempts
    assert statuses[429] == 100 - free and statuses[401] + statuses[303] == free
    assert hashes["scrypt"] == free
    waits = [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]
    assert max(waits) <= 60
    # And the real user is not locked out: after the wait (seconds, not a quarter of an hour) the password works
    if answers[57].status_code != 303:
        console.clock.advance(timedelta(seconds=max(waits)))
        assert console.post_login("op", PASSWORD).status_code == 303


@pytest.mark.parametrize(("proxies", "expected"), [("", "client:127.0.0.1"), ('"127.0.0.1"', "client:203.0.113.7")])
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(tmp_path: Path, proxies: str, expected: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'koers.db'}")
    migrate_with_reference_data(engine)
    engine.dispose()
    for running in running_console(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}", proxies):
        running.post_login("op", "fout wachtwoord", {"X-Forwarded-For": "203.0.113.7"})
        assert {k for k in running.throttle_keys() if k.startswith("client:")} == {expected}


def throttle(sessions: sessionmaker[Session], clock: FakeClock) -> LoginThrottle:
    return LoginThrottle(sessions, clock.now, ThrottlePolicy(client_limit=5))


def test_a_client_gets_a_fixed_number_of_attempts_per_window_whatever_the_usernames(
        sessions: sessionmaker[Session]) -> None:  # fmt: skip
    clock = FakeClock(NOW)
    limit = throttle(sessions, clock)
    assert [limit.take(f"user{i}", "198.51.100.1") for i in range(5)] == [None] * 5
    assert limit.take("user9", "198.51.100.1") == 15 * 60
    assert limit.take("user9", "198.51.100.2") is None  # another client has its own budget
    limit.succeeded("user0", "198.51.100.1")  # a right password gives its attempt back
    assert limit.take("user8", "198.51.100.1") is None
    clock.advance(timedelta(minutes=15))
    assert limit.take("user7", "198.51.100.1") is None


def test_an_account_slows_down_with_backoff_and_a_right_password_resets_it(sessions: sessionmaker[Session]) -> None:
    clock = FakeClock(NOW)
    limit = throttle(sessions, clock)
    addresses = (f"192.0.2.{n}" for n in itertools.count(1))  # the account's budget, not a client's, is tested here
    took: Callable[[], int | None] = lambda: limit.take("op", next(addresses))  # noqa: E731
    assert [took() for _ in range(3)] == [None, None, None]
    assert took() == 1  # waits 1 s, then 2, 4, … at most 60
    for wait in (1, 2, 4, 8, 16, 32, 60, 60):
        clock.advance(timedelta(seconds=wait))
        assert took() is None
        assert took() == (wait * 2 if wait < 32 else 60)
    limit.succeeded("op", "192.0.2.1")
    assert [took() for _ in range(3)] == [None, None, None]
