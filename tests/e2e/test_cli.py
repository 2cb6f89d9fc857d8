"""The ``koers`` command line as users run it: real processes, real PostgreSQL, the README's demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from schema.models import AuditEvent, CaseRow
from tests.conftest import PG_URL
from tests.integration.test_file_modes import loose_modes, umask
from workers.cli import cli
from workers.demo.synthetic import FeedMix, generate_records, write_feed

REPO = Path(__file__).resolve().parents[2]


def koers(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


@pytest.fixture
def pg_env(pg_sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    return {**env, "KOERS_DATABASE_URL": PG_URL, "KOERS_HOME": str(tmp_path)}


def test_every_command_has_help() -> None:
    def walk(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = []
        for name, command in group.commands.items():
            found.append((*prefix, name))
            if isinstance(command, click.Group):
                found += walk(command, (*prefix, name))
        return found

    # The entry point as users run it once; every command's help in this process (a child process per
    # command cost ~6 s each on a loaded 2-core machine, minutes for the whole tree).
    top = subprocess.run([sys.executable, "-m", "workers.cli", "--help"], cwd=REPO, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert top.returncode == 0 and "Usage: koers" in top.stdout
    for path in walk(cli, ()):
        result = CliRunner().invoke(cli, [*path, "--help"], prog_name="koers")
        assert result.exit_code == 0 and "Usage:" in result.stdout and result.stdout.count("\n") > 3, path


def test_intake_json_adds_up_and_a_rerun_changes_nothing(pg_env: dict[str, str], tmp_path: Path) -> None:
    feed = tmp_path / "aanlevering.csv"
    write_feed(feed, generate_records(300, seed=4, today=date.today(), mix=FeedMix(0.03, 0.03, 0.03, 0.01)),
               delimiter=";")  # fmt: skip
    assert koers("db", "upgrade", env=pg_env).returncode == 0

    first = koers("intake", "--json", str(feed), env=pg_env)
    second = koers("intake", "--json", str(feed), env=pg_env)

    data = json.loads(first.stdout)
    keys = ("accepted", "duplicates", "ineligible", "rejected", "needs_routing")
    assert data["received"] == 300 == sum(data[k] for k in keys)
    assert {"line", "dji_id", "result", "reasons", "cbs_code"} <= set(data["results"][0])
    again = json.loads(second.stdout)
    assert again["accepted"] == again["needs_routing"] == 0
    assert again["duplicates"] == data["accepted"] + data["needs_routing"] + data["duplicates"]


def test_intake_reads_a_windows_1252_excel_export(pg_env: dict[str, str], tmp_path: Path) -> None:
    record = next(generate_records(1, seed=9, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    record.update(surname="Hoekstra-Dijkstrâ", gemeente="Súdwest-Fryslân", woonplaats="Sneek", postcode="8601 AB")
    header = ";".join(record)
    path = tmp_path / "excel.csv"
    path.write_bytes((header + "\r\n" + ";".join(record.values()) + "\r\n").encode("cp1252"))
    assert koers("db", "upgrade", env=pg_env).returncode == 0

    result = json.loads(koers("intake", "--json", str(path), env=pg_env).stdout)

    assert result["accepted"] == 1 and result["results"][0]["cbs_code"] == "GM1900"
    shown = json.loads(koers("case", "show", "--json", record["dji_id"], env=pg_env).stdout)
    assert shown["municipality"] == {"cbs_code": "GM1900", "name": "Súdwest-Fryslân", "province": "Fryslân"}
    assert {"dji_id", "state", "outcome", "emails", "timeline"} <= set(shown)


def test_watch_moves_files_to_processed_or_failed_with_a_result(pg_env: dict[str, str], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_feed(inbox / "goed.csv", generate_records(5, seed=2, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    (inbox / "kapot.csv").write_bytes(b"\x00\x01\x02 geen tekst")
    assert koers("db", "upgrade", env=pg_env).returncode == 0

    assert koers("watch", "--once", str(inbox), env=pg_env).returncode == 0

    assert json.loads((inbox / "processed" / "goed.csv.result.json").read_text())["accepted"] == 5
    assert (inbox / "processed" / "kapot.csv").exists() or (inbox / "failed" / "kapot.csv").exists()
    assert not list(inbox.glob("*.csv"))


def test_purge_clears_personal_data_of_long_closed_cases_only(pg_env: dict[str, str],
                                                               pg_sessions: sessionmaker[Session],
                                                               tmp_path: Path) -> None:  # fmt: skip
    feed = tmp_path / "aanlevering.csv"
    write_feed(feed, generate_records(3, seed=12, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    assert koers("db", "upgrade", env=pg_env).returncode == 0
    results = json.loads(koers("intake", "--json", str(feed), env=pg_env).stdout)["results"]
    old, recent, open_ = (r["case_id"] for r in results)
    long_ago, lately = datetime.now(UTC) - timedelta(days=400), datetime.now(UTC) - timedelta(days=10)
    with pg_sessions.begin() as session:
        for case_id, closed in ((old, long_ago), (recent, lately)):
            session.execute(update(CaseRow).where(CaseRow.id == case_id)
                            .values(closed_at=closed, close_reason="no_outcome", state="closed"))  # fmt: skip

    dry = json.loads(koers("purge", "--dry-run", "--json", env=pg_env).stdout)
    with pg_sessions() as session:
        untouched = session.get(CaseRow, old)
        assert untouched is not None and untouched.purged_at is None
    done = json.loads(koers("purge", "--json", env=pg_env).stdout)
    again = json.loads(koers("purge", "--json", env=pg_env).stdout)

    assert dry["due"]["cases"] == 1 and dry["purged"]["cases"] == 0
    assert done["purged"]["cases"] == 1 and again["purged"]["cases"] == 0
    with pg_sessions() as session:
        gone, kept = session.get(CaseRow, old), [session.get(CaseRow, c) for c in (recent, open_)]
        assert gone is not None and gone.surname == "[verwijderd]" and gone.purged_at is not None
        assert all(c is not None and c.purged_at is None and c.surname != "[verwijderd]" for c in kept)
        events = session.scalars(select(AuditEvent.actor).where(AuditEvent.event == "personal_data_purged")).all()
        assert len(events) == 1 and events[0].startswith("cli:")


def test_the_readme_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    with umask(0o022):  # the usual default, under which the demo's files were readable by everyone
        result = koers("demo", "--cases", "40", "--wait", "90", "--no-console",
                       env={**env, "KOERS_HOME": str(tmp_path / "home")}, timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Zaken per status" in result.stdout and "notification     sent" in result.stdout
    assert "Antwoorden van gemeenten" in result.stdout and "Monitoring" in result.stdout
    # the wider group: its own feed, its cases, and its figures beside the self-reporters'
    assert "Synthetische aanlevering gedetineerden: 40 records" in result.stdout
    assert "Zaken per groep:" in result.stdout and "== Kortgestrafte gedetineerden ==" in result.stdout
    assert list((tmp_path / "home" / "demo" / "spool").glob("*.eml"))
    assert loose_modes(tmp_path / "home") == {}  # the feed with names, the database, the letters: owner-only
