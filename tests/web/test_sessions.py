"""Sessions live on the server: a cookie kept from before logout, "log out everywhere", deactivation or a
password change opens nothing; an id never survives a login; no key can forge a session."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from base64 import b64encode

from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from starlette.testclient import TestClient

from schema.console_models import ConsoleSession, User
from tests.web.conftest import NEW_PASSWORD, PASSWORD, World, csrf_of
from workers.web.accounts import deactivate_user, set_password
from workers.web.app import create_app
from workers.web.server import secure_cookies_for

COOKIE = "koers_sessie"


def sessions_in_db(world: World) -> int:
    with world.session() as s:
        return s.scalar(select(func.count()).select_from(ConsoleSession)) or 0


def second_browser(world: World, username: str = "op", password: str = PASSWORD) -> TestClient:
    """Another browser of the same user, logged in."""
    client = TestClient(world.client.app, base_url="http://testserver")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    return client


def replay(world: World, cookie: str) -> int:
    """What a saved session cookie opens now, in a browser that has nothing else."""
    client = TestClient(world.client.app, base_url="http://testserver", cookies={COOKIE: cookie})
    return client.get("/cases", follow_redirects=False).status_code


def test_a_cookie_saved_before_logout_opens_nothing_after_it(world: World) -> None:
    token = world.login("op")
    saved = world.client.cookies[COOKIE]
    assert replay(world, saved) == 200
    world.client.post("/logout", data={"csrf_token": token})
    assert replay(world, saved) == 303
    assert sessions_in_db(world) == 0


def test_log_out_everywhere_ends_the_sessions_in_other_browsers(world: World) -> None:
    token = world.login("op")
    other = second_browser(world)
    saved_here, saved_there = world.client.cookies[COOKIE], other.cookies[COOKIE]
    response = world.client.post("/logout/everywhere", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/login?reden=overal"
    assert replay(world, saved_here) == 303 and replay(world, saved_there) == 303
    assert other.get("/", follow_redirects=False).status_code == 303


def test_deactivating_a_user_ends_their_sessions_at_once(world: World) -> None:
    world.login("lw")
    saved = world.client.cookies[COOKIE]
    with world.app.sessions.begin() as s:
        deactivate_user(s, "lw", now=world.clock.now())
    assert replay(world, saved) == 303
    assert sessions_in_db(world) == 0


def test_a_password_change_in_the_console_ends_the_other_sessions_and_keeps_this_one(world: World) -> None:
    token = world.login("op")
    other = second_browser(world)
    saved_there = other.cookies[COOKIE]
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": token}
    page = world.client.post("/account/password", data=form)
    assert "Wachtwoord gewijzigd" in page.text and "(1)" in page.text
    assert replay(world, saved_there) == 303
    assert world.client.get("/cases", follow_redirects=False).status_code == 200
    second_browser(world, password=NEW_PASSWORD)  # the new password works


def test_a_password_change_needs_the_current_password(world: World) -> None:
    token = world.login("op")
    form = {"current": "niet het wachtwoord", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": token}
    assert "huidige wachtwoord klopt niet" in world.client.post("/account/password", data=form).text
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x", "csrf_token": token}
    assert "verschillen" in world.client.post("/account/password", data=form).text
    second_browser(world)  # unchanged


def test_a_new_password_set_by_an_operator_ends_every_session_of_the_user(world: World) -> None:
    world.login("gr")
    saved = world.client.cookies[COOKIE]
    with world.app.sessions.begin() as s:
        assert set_password(s, "gr", NEW_PASSWORD, now=world.clock.now(), actor="cli:test") == 1
    assert replay(world, saved) == 303


def test_login_gives_a_new_session_id_and_the_old_one_dies(world: World) -> None:
    token = world.login("op")
    first = world.client.cookies[COOKIE]
    response = world.client.post("/login", data={"username": "op", "password": PASSWORD, "csrf_token": token},
                                 follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    second = world.client.cookies[COOKIE]
    assert second != first and replay(world, first) == 303 and replay(world, second) == 200


def test_the_cookie_holds_only_a_random_id_and_the_database_only_its_digest(world: World) -> None:
    world.login("op")
    cookie = world.client.cookies[COOKIE]
    assert len(cookie) == 43 and "." not in cookie  # 32 random bytes, base64url; nothing signed, nothing inside
    with world.session() as s:
        (row,) = s.scalars(select(ConsoleSession))
    assert row.id == hashlib.sha256(cookie.encode()).hexdigest() and cookie not in json.dumps(row.data)


def test_an_anonymous_login_page_hands_out_no_session_and_nothing_signed(world: World) -> None:
    response = world.client.get("/login")
    cookies = response.headers.get_list("set-cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["koers_csrf"]
    assert "." not in cookies[0].split(";")[0]
    assert sessions_in_db(world) == 0


def test_a_session_cookie_signed_with_the_secret_key_opens_nothing(world: World) -> None:
    # Given the attack on the old signed cookies: a cookie for the operator signed with (a key derived from) the key
    with world.session() as s:
        op_id = s.scalar(select(User.id).where(User.username == "op"))
    key = hmac.new(world.app.settings.secret_key or b"", b"koers-web-session-v1", hashlib.sha256).hexdigest()
    payload = b64encode(json.dumps({"uid": op_id, "seen": time.time(), "started": time.time()}).encode())
    forged = TimestampSigner(key).sign(payload).decode()
    # Then it opens no page
    client = TestClient(world.client.app, base_url="http://testserver", cookies={COOKIE: forged})
    assert client.get("/users", follow_redirects=False).status_code == 303


def test_secure_cookies_carry_secure_the_host_prefix_and_hsts(world: World) -> None:
    client = TestClient(create_app(world.app, world.services, secure_cookies=True), base_url="https://testserver")
    login = client.get("/login")
    assert login.headers["strict-transport-security"] == "max-age=31536000"
    token = csrf_of(login.text)
    assert "Secure" in login.headers["set-cookie"] and login.headers["set-cookie"].startswith("__Host-koers_csrf=")
    response = client.post("/login", data={"username": "op", "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)  # fmt: skip
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-koers_sessie="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert "strict-transport-security" not in world.client.get("/login").headers  # plain http on loopback: none


def test_secure_cookies_are_the_default_unless_the_console_is_on_loopback(world: World) -> None:
    settings = world.app.settings
    assert not secure_cookies_for(settings, "127.0.0.1:8080") and not secure_cookies_for(settings, "[::1]:8080")
    assert not secure_cookies_for(settings, "localhost:8080")
    assert secure_cookies_for(settings, "0.0.0.0:8080") and secure_cookies_for(settings, "koers.example:8080")
    assert not secure_cookies_for(settings, "0.0.0.0:8080", flag=False)
