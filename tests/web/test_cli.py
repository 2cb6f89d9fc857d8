"""``koers users`` and ``koers tokens``: who may use the console and the HTTP intake."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from schema.console_models import ApiToken, User
from schema.db import make_engine, make_session_factory
from testkit.flow import TEST_SECRET_KEY
from workers.cli import cli
from workers.web.credentials import token_digest, verify_password


@pytest.fixture
def env(tmp_path: Path, template_db: Path) -> dict[str, str]:
    shutil.copy(template_db, tmp_path / "koers.db")
    return {
        "KOERS_HOME": str(tmp_path),
        "KOERS_DATABASE_URL": f"sqlite:///{tmp_path / 'koers.db'}",
        "KOERS_SECRET_KEY": TEST_SECRET_KEY,
        "KOERS_CONFIG": "",
        "KOERS_BROKER_URL": "",
    }


def rows(env: dict[str, str], model: type) -> list:  # type: ignore[type-arg]
    engine = make_engine(env["KOERS_DATABASE_URL"])
    with make_session_factory(engine)() as session:
        found = list(session.scalars(select(model)))
    engine.dispose()
    return found


def test_users_add_reads_the_password_from_stdin_and_stores_only_a_hash(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli,
        ["users", "add", "Marije", "--role", "municipal", "--municipality", "gm0106", "--password-stdin"],
        input="een lang wachtwoord\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    user = next(u for u in rows(env, User) if u.username == "marije")
    assert (user.role, user.cbs_code) == ("municipal", "GM0106")
    assert "een lang wachtwoord" not in user.password_hash
    assert verify_password("een lang wachtwoord", user.password_hash)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--role", "municipal"], "heeft een gemeente nodig"),
        (["x2", "--role", "operator", "--municipality", "GM0080"], "niet bij één gemeente"),
        (["x3", "--role", "municipal", "--municipality", "GM0363"], "geen gemeente van Groningen"),
        (["op", "--role", "operator"], "bestaat al"),
    ],
)
def test_users_add_refuses_inconsistent_users(env: dict[str, str], args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        cli, ["users", "add", *args, "--password-stdin"], input="een lang wachtwoord\n", env=env
    )
    assert result.exit_code == 1 and message in result.output


def test_users_add_refuses_a_short_password(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli, ["users", "add", "kort", "--role", "operator", "--password-stdin"], input="kort\n", env=env
    )
    assert result.exit_code == 1 and "minstens 12 tekens" in result.output


def test_users_list_shows_roles_and_municipalities(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["users", "list", "--json"], env=env)
    users = {u["username"]: u for u in json.loads(result.output)}
    assert users["lw"]["cbs_code"] == "GM0080" and users["op"]["role"] == "operator"


def test_users_deactivate(env: dict[str, str]) -> None:
    assert CliRunner().invoke(cli, ["users", "deactivate", "lw"], env=env).exit_code == 0
    assert not next(u for u in rows(env, User) if u.username == "lw").active


def test_tokens_add_prints_the_token_once_and_stores_its_hash(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["tokens", "add", "dji"], env=env)
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert token.startswith("koers_") and len(token) > 40
    (row,) = rows(env, ApiToken)
    assert row.token_hash == token_digest(token) and token not in row.token_hash


def test_web_refuses_a_listen_address_without_a_port(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["web", "--listen", "localhost"], env=env)
    assert result.exit_code == 2 and "HOST:POORT" in result.output
