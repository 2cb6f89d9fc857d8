"""API tokens: a name, an expiry, a scope, the last use; revoked and expired tokens open nothing."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from schema.console_models import ApiToken
from tests.web.conftest import World, csrf_of
from tests.web.test_cli import env  # noqa: F401 - the CLI fixture
from workers.cli import cli
from workers.web.api_tokens import add_token

RECORD = {"dji_id": "API-LW-1", "surname": "Visser", "given_names": "Jan", "birth_date": "1985-02-03",
          "street": "Nieuwestad", "house_number": "3", "postcode": "8911 CM", "woonplaats": "Leeuwarden",
          "gemeente": "GM0080", "sentence_days": "30", "report_date": "2026-04-20", "institution": "PI Leeuwarden"}


def intake(world: World, token: str, record: dict[str, str]) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"}
    response = world.client.post("/api/intake", content=json.dumps(record), headers=headers)
    return response.status_code, response.json()


def new_token(world: World, name: str, **kwargs: object) -> str:
    with world.app.sessions.begin() as s:
        return add_token(s, name, world.clock.now(), **kwargs)  # type: ignore[arg-type]


def test_a_revoked_token_opens_nothing(world: World) -> None:
    token = new_token(world, "dji")
    assert intake(world, token, RECORD)[0] == 200
    op_csrf = world.login("op")
    with world.session() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "dji"))
    page = world.client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": op_csrf})
    assert "Token dji ingetrokken" in page.text and "Ingetrokken" in world.client.get("/tokens").text
    assert intake(world, token, RECORD)[0] == 401


def test_revoking_in_the_console_needs_the_csrf_token_and_an_operator(world: World) -> None:
    token = new_token(world, "dji")
    world.login("lw")
    with world.session() as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "dji"))
    assert world.client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(world.client.get("/").text)},
                             follow_redirects=False).status_code == 403  # fmt: skip
    assert intake(world, token, RECORD)[0] == 200


def test_an_expired_token_opens_nothing(world: World) -> None:
    token = new_token(world, "kort", lifetime=timedelta(days=1))
    assert intake(world, token, RECORD)[0] == 200
    world.clock.advance(timedelta(days=1, seconds=1))
    assert intake(world, token, RECORD)[0] == 401


def test_a_token_of_one_municipality_takes_only_its_records(world: World) -> None:
    token = new_token(world, "leeuwarden", cbs_code="GM0080")
    status, summary = intake(world, token, RECORD)
    assert status == 200 and summary["accepted"] == 1
    groningen = {**RECORD, "dji_id": "API-GR-1", "postcode": "9711 AB", "woonplaats": "Groningen", "gemeente": "GM0014"}
    status, summary = intake(world, token, groningen)
    assert status == 200 and summary["accepted"] == 0 and summary["rejected"] == 1
    assert summary["results"][0]["reasons"] == ["gemeente: dit API-token geldt alleen voor GM0080"]  # type: ignore[index]


def test_the_token_list_shows_scope_expiry_and_last_use_but_never_the_token(world: World) -> None:
    token = new_token(world, "leeuwarden", cbs_code="GM0080")
    intake(world, token, RECORD)
    world.login("op")
    page = world.client.get("/tokens").text
    assert "leeuwarden" in page and "Intake van één gemeente (GM0080)" in page and "Geldig" in page
    assert token not in page


def test_tokens_list_and_revoke_on_the_command_line(env: dict[str, str]) -> None:  # noqa: F811
    runner = CliRunner()
    assert runner.invoke(cli, ["tokens", "add", "dji", "--days", "30"], env=env).exit_code == 0
    assert runner.invoke(cli, ["tokens", "add", "lw", "--municipality", "gm0080"], env=env).exit_code == 0
    listed = json.loads(runner.invoke(cli, ["tokens", "list", "--json"], env=env).stdout)
    assert [(t["name"], t["scope"], t["cbs_code"], t["state"]) for t in listed] == [
        ("dji", "intake", None, "valid"), ("lw", "municipality", "GM0080", "valid")]
    assert runner.invoke(cli, ["tokens", "revoke", "dji"], env=env).exit_code == 0
    again = runner.invoke(cli, ["tokens", "revoke", "dji"], env=env)
    assert again.exit_code == 1 and "al ingetrokken" in again.stderr
    listed = json.loads(runner.invoke(cli, ["tokens", "list", "--json"], env=env).stdout)
    assert listed[0]["state"] == "revoked" and listed[0]["revoked_at"]
    assert "Ingetrokken" in runner.invoke(cli, ["tokens", "list"], env=env).stdout
