"""Login, sessions, CSRF and security headers: no page or action without them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from starlette.routing import Mount, Route

from schema.console_models import User
from schema.models import AuditEvent
from tests.web.conftest import (
    ACTION_COUNT,
    PAGE_COUNT,
    PASSWORD,
    PUBLIC_PATHS,
    World,
    action_forms,
    csrf_of,
    page_paths,
)
from workers.web import credentials
from workers.web.credentials import hash_password, needs_rehash, token_digest, verify_password
from workers.web.sessions import IDLE_TIMEOUT, MAX_SESSION


def test_every_route_is_covered_by_the_route_lists(world: World) -> None:
    # Given every route the app serves
    routes = [r for r in world.client.app.routes if isinstance(r, Route | Mount)]  # type: ignore[attr-defined]
    pages, actions = page_paths(world.ids), action_forms(world.ids)
    assert (len(pages), len(actions)) == (PAGE_COUNT, ACTION_COUNT)
    listed = pages + [path for path, _ in actions] + PUBLIC_PATHS
    # Then each one is exercised by the parametrized tests (so a new route cannot escape them)
    for route in routes:
        assert any(route.path_regex.match(path) for path in listed), f"route {route.path} is in no test list"


@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_every_page_requires_login(world: World, index: int) -> None:
    path = page_paths(world.ids)[index]
    response = world.client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("index", range(ACTION_COUNT))
def test_every_action_requires_login(world: World, index: int) -> None:
    path, form = action_forms(world.ids)[index]
    token = csrf_of(world.client.get("/login").text)
    response = world.client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


@pytest.mark.parametrize("index", range(ACTION_COUNT))
@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_every_action_without_a_valid_csrf_token_is_refused(world: World, index: int, token: str) -> None:
    world.login("op")
    path, form = action_forms(world.ids)[index]
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    data = {**form, "csrf_token": token} if token else form
    response = world.client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_login_form_itself_needs_the_csrf_token(world: World) -> None:
    world.client.get("/login")
    response = world.client.post("/login", data={"username": "op", "password": PASSWORD})
    assert response.status_code == 403


def test_login_with_a_wrong_password_is_refused_and_audited(world: World) -> None:
    token = csrf_of(world.client.get("/login").text)
    response = world.client.post("/login", data={"username": "op", "password": "nope", "csrf_token": token})
    assert response.status_code == 401 and "klopt niet" in response.text
    with world.session() as s:
        assert s.scalar(select(AuditEvent.actor).where(AuditEvent.event == "login_failed")) == "web:op"


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(world: World) -> None:
    token = csrf_of(world.client.get("/login").text)
    response = world.client.post("/login", data={"username": "niemand", "password": "x", "csrf_token": token})
    assert response.status_code == 401 and "Gebruikersnaam of wachtwoord klopt niet." in response.text


def test_login_and_logout_are_audited_and_logout_ends_the_session(world: World) -> None:
    token = world.login("op")
    response = world.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/login?reden=uitgelogd"
    assert world.client.get("/", follow_redirects=False).status_code == 303
    with world.session() as s:
        events = list(s.scalars(select(AuditEvent.event).where(AuditEvent.actor == "web:op")))
    assert events == ["login", "logout"]


def test_login_redirects_back_but_never_off_site(world: World) -> None:
    for target, expected in (("/cases", "/cases"), ("//evil.example/", "/"), ("https://evil.example/", "/")):
        world.client.cookies.clear()
        token = csrf_of(world.client.get("/login").text)
        response = world.client.post(
            "/login",
            data={"username": "op", "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected


def test_session_cookie_is_httponly_and_samesite_lax(world: World) -> None:
    token = csrf_of(world.client.get("/login").text)
    response = world.client.post(
        "/login", data={"username": "op", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("koers_sessie=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_an_idle_session_expires(world: World) -> None:
    world.login("op")
    world.clock.advance(IDLE_TIMEOUT - timedelta(minutes=2))
    assert world.client.get("/cases", follow_redirects=False).status_code == 200  # a request keeps it alive
    world.clock.advance(IDLE_TIMEOUT + timedelta(seconds=5))
    response = world.client.get("/cases", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?reden=verlopen&next=%2Fcases"


def test_a_session_ends_after_its_maximum_length_however_busy(world: World) -> None:
    world.login("op")
    for _ in range(int(MAX_SESSION / timedelta(minutes=20))):
        world.clock.advance(timedelta(minutes=20))
        assert world.client.get("/", follow_redirects=False).status_code == 200
    world.clock.advance(timedelta(minutes=20))
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_a_deactivated_user_is_logged_out_at_the_next_request(world: World) -> None:
    world.login("lw")
    with world.app.sessions.begin() as s:
        s.execute(update(User).where(User.username == "lw").values(active=False))
    assert world.client.get("/", follow_redirects=False).status_code == 303


def test_pages_carry_security_headers_and_no_store(world: World) -> None:
    world.login("op")
    headers = world.client.get(f"/cases/{world.ids.lw_case}").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"


def test_passwords_are_salted_scrypt_with_parameters_and_tokens_sha256() -> None:
    stored = hash_password("geheim wachtwoord", n=2**10)
    assert re.fullmatch(r"scrypt\$1024\$8\$1\$[^$]+\$[^$]+", stored)
    assert stored != hash_password("geheim wachtwoord", n=2**10)
    assert verify_password("geheim wachtwoord", stored)
    assert not verify_password("geheim wachtwoorD", stored)
    assert not verify_password("x", "md5$abc")
    assert len(token_digest("koers_abc")) == 64


def test_an_anonymous_request_in_between_does_not_invalidate_the_login_form(world: World) -> None:
    # Given the login form (browsers fetch /favicon.ico, which needs a login, right after it)
    token = csrf_of(world.client.get("/login").text)
    world.client.get("/favicon.ico", follow_redirects=False)
    # Then the form's CSRF token is still the session's
    response = world.client.post(
        "/login", data={"username": "op", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303


def test_a_login_rehashes_a_password_made_with_weaker_parameters(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a user whose hash was made with weaker parameters than today's
    monkeypatch.setattr(credentials, "SCRYPT_N", credentials.SCRYPT_N * 2)
    with world.session() as s:
        before = s.scalar(select(User.password_hash).where(User.username == "op"))
    assert before is not None and needs_rehash(before)
    # When the user logs in, then the stored hash is made anew with today's parameters
    world.login("op")
    with world.session() as s:
        after = s.scalar(select(User.password_hash).where(User.username == "op"))
    assert after is not None and after.startswith(f"scrypt${credentials.SCRYPT_N}$") and not needs_rehash(after)
    assert verify_password(PASSWORD, after)
