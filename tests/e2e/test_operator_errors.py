"""Failures an operator can act on: one Dutch line naming the component, its address and the next step.

Per failure kind a real ``koers`` process, as an operator starts it: a configuration error, a database
that was never upgraded (SQLite and PostgreSQL), PostgreSQL down, RabbitMQ down, the SMTP relay down.
Each must end with exit code 1 (2 for a usage error) and exactly one line on stderr, without a
traceback and without the password of the URL. A sweep then runs every command against a PostgreSQL
that is down, in-process, to show the translation sits in one place that no command escapes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url

from schema.db import make_engine
from testkit.databases import ensure_database, migrate_with_reference_data
from testkit.processes import REPO, free_port
from tests.conftest import PG_URL, port_open, service_unavailable
from workers.cli import cli
from workers.demo.synthetic import FeedMix, generate_records, write_feed

PASSWORD = "GeheimWachtwoord42"
SECRET = "vGw7kV2ZrQ1pY8tN3xL6cB0mJ4sH9dF5aE2uK7oW1iR"  # 43 random base64 characters: not weak


def koers(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def clean_env(home: Path, **koers_vars: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    return env | {"KOERS_HOME": str(home)} | koers_vars


def one_line(result: subprocess.CompletedProcess[str], exit_code: int = 1) -> str:
    """The single line on stderr (log lines of a long-running process aside, there must be none)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == exit_code and len(lines) == 1, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr + result.stdout and PASSWORD not in result.stderr + result.stdout
    return lines[0]


@pytest.fixture(scope="module")
def upgraded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("upgraded") / "koers.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate_with_reference_data(engine)
    engine.dispose()
    return path


@pytest.fixture
def upgraded_home(tmp_path: Path, upgraded_db: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(upgraded_db, home / "koers.db")
    return home


def closed_port() -> int:
    port = free_port()
    assert not port_open("127.0.0.1", port)
    return port


def test_a_configuration_error_is_one_line_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "koers.toml"
    config.write_text('[web]\nlsiten = "127.0.0.1:8080"\n', encoding="utf-8")

    line = one_line(koers("status", env=clean_env(tmp_path, KOERS_CONFIG=str(config))))

    assert line == "koers: configuratiefout: onbekende sleutel web.lsiten in de configuratie"


def test_a_database_that_was_never_upgraded_names_koers_db_upgrade(tmp_path: Path) -> None:
    feed = tmp_path / "aanlevering.csv"
    write_feed(feed, generate_records(2, seed=3, today=date.today(), mix=FeedMix(0, 0, 0, 0)))

    line = one_line(koers("intake", str(feed), env=clean_env(tmp_path / "nieuw")))

    assert line == (f"koers: SQLite-database {tmp_path / 'nieuw' / 'koers.db'}: tabellen ontbreken (de database is "
                    "niet bijgewerkt): voer `koers db upgrade` uit")  # fmt: skip


def test_a_process_does_not_start_on_an_empty_postgresql_database(tmp_path: Path) -> None:
    if not port_open("127.0.0.1", 5432):
        service_unavailable("PostgreSQL on 127.0.0.1:5432")
    empty = make_url(PG_URL).set(database=f"{make_url(PG_URL).database}_leeg").render_as_string(hide_password=False)
    ensure_database(empty)  # kept between runs (creating one is slow); emptied here
    engine = make_engine(empty)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()

    result = koers("scheduler", env=clean_env(tmp_path, KOERS_DATABASE_URL=empty))

    assert one_line(result) == ("koers: PostgreSQL op 127.0.0.1:5432 is nog leeg (nooit bijgewerkt): voer `koers db "
                                "upgrade` uit")  # fmt: skip


def test_postgresql_down_names_the_address_and_never_the_password(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://koers:{PASSWORD}@127.0.0.1:{port}/koers"

    line = one_line(koers("status", env=clean_env(tmp_path, KOERS_DATABASE_URL=url)))

    assert line == (f"koers: PostgreSQL op 127.0.0.1:{port} is niet bereikbaar: verbinding geweigerd; start "
                    "PostgreSQL of controleer KOERS_DATABASE_URL")  # fmt: skip


def test_a_worker_with_rabbitmq_down_stops_with_one_line(upgraded_home: Path) -> None:
    port = closed_port()
    env = clean_env(upgraded_home, KOERS_BROKER_URL=f"amqp://koers:{PASSWORD}@127.0.0.1:{port}/%2F",
                    KOERS_SECRET_KEY=SECRET)  # fmt: skip

    line = one_line(koers("worker", "--threads", "1", env=env))

    assert line == (f"koers: RabbitMQ op 127.0.0.1:{port} is niet bereikbaar: verbinding geweigerd; start RabbitMQ "
                    "of controleer KOERS_BROKER_URL")  # fmt: skip


def test_koers_run_with_the_smtp_relay_down_upgrades_its_database_then_stops_with_one_line(tmp_path: Path) -> None:
    port = closed_port()
    config = tmp_path / "koers.toml"
    config.write_text(f'[web]\nlisten = "127.0.0.1:{free_port()}"\n[inbound]\nlisten = "127.0.0.1:{free_port()}"\n',
                      encoding="utf-8")  # fmt: skip
    env = clean_env(tmp_path / "home", KOERS_SMTP_URL=f"smtp://koers:{PASSWORD}@127.0.0.1:{port}",
                    KOERS_CONFIG=str(config))  # fmt: skip

    line = one_line(koers("run", env=env))

    assert line == (f"koers: SMTP-server op 127.0.0.1:{port} is niet bereikbaar: verbinding geweigerd; start de "
                    "mailserver of controleer KOERS_SMTP_URL")  # fmt: skip
    assert (tmp_path / "home" / "koers.db").stat().st_size > 0  # it upgraded the fresh home before the check


def test_a_usage_error_keeps_exit_code_2(tmp_path: Path) -> None:
    result = koers("report", "--from", "gisteren", env=clean_env(tmp_path))

    assert result.returncode == 2 and "Traceback" not in result.stderr and "--from" in result.stderr


EVERY_COMMAND = [
    ["db", "upgrade"], ["intake", "{feed}"], ["watch", "--once", "{inbox}"], ["status"], ["report"],
    ["case", "show", "X-1"], ["purge"], ["dead-letters", "list"], ["dead-letters", "replay", "1"],
    ["replies", "import", "{eml}"], ["users", "list"], ["tokens", "add", "dji"], ["worker"], ["scheduler"],
    ["mail-gateway", "--listen", "127.0.0.1:{port}"], ["web", "--listen", "127.0.0.1:{port}"], ["run"],
]  # fmt: skip


@pytest.mark.parametrize("args", EVERY_COMMAND, ids=lambda args: " ".join(args[:2]))
def test_every_command_turns_postgresql_down_into_one_line(args: list[str], tmp_path: Path) -> None:
    port = closed_port()
    files = {"feed": tmp_path / "aanlevering.csv", "inbox": tmp_path / "inbox", "eml": tmp_path / "antwoord.eml",
             "port": free_port()}  # fmt: skip
    write_feed(files["feed"], generate_records(1, seed=5, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    files["inbox"].mkdir()  # type: ignore[union-attr]
    shutil.copy(files["feed"], files["inbox"] / "aanlevering.csv")  # type: ignore[operator]
    files["eml"].write_bytes(b"From: a@b.example\r\nSubject: x\r\n\r\nContact: ja\r\n")  # type: ignore[union-attr]
    env = {"KOERS_HOME": str(tmp_path / "home"), "KOERS_DATABASE_URL": f"postgresql+psycopg://k:{PASSWORD}@"
           f"127.0.0.1:{port}/koers", "KOERS_SECRET_KEY": SECRET, "KOERS_BROKER_URL": "", "KOERS_SMTP_URL": "",
           "KOERS_CONFIG": ""}  # fmt: skip
    if args[0] == "worker":
        env["KOERS_BROKER_URL"] = "amqp://guest:guest@127.0.0.1:5672/%2F"  # checked after the database

    result = CliRunner().invoke(cli, [a.format(**files) for a in args], env=env)

    expected = (f"koers: PostgreSQL op 127.0.0.1:{port} is niet bereikbaar: verbinding geweigerd; start PostgreSQL "
                "of controleer KOERS_DATABASE_URL")  # fmt: skip
    assert (result.exit_code, result.stderr.strip().splitlines()[-1:]) == (1, [expected]), result.output
    assert PASSWORD not in result.output and "Traceback" not in result.output


def test_an_unexpected_error_is_one_line_with_its_place_and_the_whole_story_only_with_debug(
    tmp_path: Path, upgraded_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise KeyError("Jansen")  # a defect whose text holds a value: it must not be shown

    monkeypatch.setattr("workers.cli.cases.case_details", broken)
    env = {"KOERS_HOME": str(upgraded_home), "KOERS_DATABASE_URL": "", "KOERS_BROKER_URL": "", "KOERS_CONFIG": ""}

    plain = CliRunner().invoke(cli, ["case", "show", "X-1"], env=env)
    debug = CliRunner().invoke(cli, ["--debug", "case", "show", "X-1"], env=env)

    (line,) = plain.stderr.strip().splitlines()
    assert plain.exit_code == 1 and re.fullmatch(
        r"koers: onverwachte fout \(KeyError in workers/cli/cases\.py:\d+\); meld dit aan de beheerder van Koers, "
        r"met de uitvoer van dezelfde opdracht als `koers --debug …`", line)  # fmt: skip
    assert "Jansen" not in plain.output
    assert isinstance(debug.exception, KeyError)
