"""``koers case <action>``: each command acts, says what it did (``--json`` for programs), and exits 0, 1 or 2.

Run in-process (click's runner) against a migrated SQLite database with one started Leeuwarden
case; the case store's behaviour on both databases is ``test_operator_actions``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from schema import migrate
from schema.models import AuditEvent, CaseRow
from schema.reference_sync import sync_reference_data
from testkit.flow import TEST_SECRET_KEY
from workers.bootstrap import bootstrap
from workers.cli import cli
from workers.feed_files import RawRecord
from workers.services import build_services
from workers.settings import load_settings
from workers.wiring import intake_service
from workflows.states import AuditKind

TODAY = date.today()
DJI = "DJI-CLI-1"


def _env(folder: Path) -> dict[str, str]:
    return {"KOERS_HOME": str(folder), "KOERS_DATABASE_URL": f"sqlite:///{folder / 'koers.db'}",
            "KOERS_SECRET_KEY": TEST_SECRET_KEY, "KOERS_CONFIG": "", "KOERS_BROKER_URL": "",
            "KOERS_SMTP_URL": ""}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-actions")
    app = bootstrap(load_settings(_env(folder)))
    migrate.upgrade(app.engine)
    with app.sessions.begin() as session:
        sync_reference_data(session)
    record = {"dji_id": DJI, "surname": "Visser", "given_names": "Anne", "birth_date": "1990-04-01",
              "street": "Nieuwestad", "house_number": "1", "postcode": "8911 CM", "woonplaats": "Leeuwarden",
              "gemeente": "GM0080", "sentence_days": "30", "institution": "PI Leeuwarden",
              "report_date": (TODAY + timedelta(days=40)).isoformat()}  # fmt: skip
    (result,) = intake_service(app).ingest([RawRecord(1, fields=record)], "test").results
    assert result.case_id is not None
    services = build_services(app)
    services.workflow.start_case(result.case_id)
    services.mailer_close()
    app.dispose()
    return folder / "koers.db"


@pytest.fixture
def env(tmp_path: Path, template: Path) -> dict[str, str]:
    shutil.copy(template, tmp_path / "koers.db")
    return _env(tmp_path)


def koers(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["case", *args], env=env)


def later(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


COMMANDS = {
    "reroute": ["reroute", DJI, "gm0106", "--reason", "verhuisd naar Assen"],
    "close": ["close", DJI, "--reason", "overleden"],
    "escalate": ["escalate", DJI, "--reason", "gemeente onbereikbaar"],
    "resend": ["resend", DJI, "--to", "nieuw@leeuwarden.example", "--reason", "melding onbestelbaar"],
    "pause": ["pause", DJI, "--until", later(10), "--reason", "opgenomen"],
    "update-date": ["update-date", DJI, later(60), "--reason", "uitstel"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_acts_and_a_repeat_changes_nothing(env: dict[str, str], name: str) -> None:
    first = koers(env, *COMMANDS[name], "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert (data["dji_id"], data["changed"]) == (DJI, True) and data["reference"].startswith("ZM-")
    again = koers(env, *COMMANDS[name])
    if name == "close":  # a closed case refuses a person
        assert again.exit_code == 1 and "is afgesloten" in again.stderr
    else:
        assert again.exit_code == 0 and "niets veranderd" in again.stdout, again.output


def test_reroute_prints_what_it_did_and_audits_the_user_and_reason(env: dict[str, str]) -> None:
    result = koers(env, *COMMANDS["reroute"], "--json")
    data = json.loads(result.stdout)
    assert data["cbs_code"] == "GM0106" and data["state"] == "notified"
    assert {e["kind"] for e in data["emails_queued"]} == {"rerouted", "notification"}
    assert "window_close" in data["timers_cancelled"] and data["timers_scheduled"]
    app = bootstrap(load_settings(env))
    with app.sessions() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.event == AuditKind.OPERATOR_ACTION)).one()
        case = session.scalars(select(CaseRow).where(CaseRow.dji_id == DJI)).one()
    app.dispose()
    assert audit.actor.startswith("cli:") and audit.details["reason"] == "verhuisd naar Assen"
    assert case.cbs_code == "GM0106"


def test_pause_then_resume_and_show_says_until_when(env: dict[str, str]) -> None:
    assert koers(env, *COMMANDS["pause"]).exit_code == 0
    shown = koers(env, "show", DJI)
    assert f"gepauzeerd tot {TODAY + timedelta(days=10):%d-%m-%Y}" in shown.stdout
    resumed = koers(env, "resume", DJI, "--reason", "weer bereikbaar", "--json")
    assert resumed.exit_code == 0 and json.loads(resumed.stdout)["changed"]
    assert json.loads(koers(env, "show", DJI, "--json").stdout)["paused_until"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["close", "DJI-ONBEKEND", "--reason", "x"], "geen zaak met dji_id DJI-ONBEKEND"),
        (["reroute", DJI, "GM0363", "--reason", "Amsterdam"], "GM0363 is geen gemeente van Groningen"),
        (["pause", DJI, "--until", later(50), "--reason", "lang"], "op of na de einddatum"),
        (["update-date", DJI, later(-1), "--reason", "terug"], "ligt niet in de toekomst"),
        (["resend", DJI, "--to", "iemand@elders.example", "--reason", "nieuw"], "geen adres van de gemeente"),
    ],
)
def test_a_refused_action_is_one_dutch_line_and_exit_code_1(env: dict[str, str], args: list[str], message: str) -> None:
    result = koers(env, *args)
    assert result.exit_code == 1 and message in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(f"koers case {args[0]}:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["close", DJI], "geef een reden met --reason"),
        (["pause", DJI, "--reason", "x"], "--until"),
        (["update-date", DJI, "15-06-2026", "--reason", "x"], "schrijf JJJJ-MM-DD"),
        (["reroute", DJI, "--reason", "x"], "Missing argument"),
    ],
)
def test_a_usage_error_exits_with_code_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = koers(env, *args)
    assert result.exit_code == 2 and message in result.output
