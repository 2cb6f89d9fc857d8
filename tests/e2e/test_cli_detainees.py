"""``koers`` for the wider group: a detainee feed in, ``case show --json``, ``report --group``.

The commands run in this process (click's runner, with the environment a user would set): the
other CLI tests already cover starting real processes, and seven of them would cost half a minute.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import PG_URL
from workers.cli import cli
from workers.demo.detainees import DETAINEE_FIELDS, generate_detainees
from workers.demo.synthetic import FeedMix, generate_records, write_feed


def koers(*args: str, home: Path) -> Result:
    env = {k: None for k in os.environ if k.startswith("KOERS_")} | {"KOERS_DATABASE_URL": PG_URL,
                                                                     "KOERS_HOME": str(home)}  # fmt: skip
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_case_show_and_report_know_the_group(pg_sessions: sessionmaker[Session], tmp_path: Path) -> None:
    today = date.today()
    detainees, self_reporters = tmp_path / "gedetineerden.csv", tmp_path / "zelfmelders.csv"
    write_feed(detainees, generate_detainees(3, seed=3, today=today), delimiter=";", fields=DETAINEE_FIELDS)
    write_feed(self_reporters, generate_records(2, seed=3, today=today, mix=FeedMix(0, 0, 0, 0)))
    taken = json.loads(koers("intake", "--json", str(detainees), str(self_reporters), home=tmp_path).stdout)
    assert taken["accepted"] == 5, taken

    detainee = json.loads(koers("case", "show", "--json", "DJI-D0003-0000001", home=tmp_path).stdout)
    self_reporter = json.loads(koers("case", "show", "--json", "DJI-0003-0000001", home=tmp_path).stdout)

    assert detainee["group"] == "detainee" and detainee["report_date"] is None
    assert today < date.fromisoformat(detainee["release_date"]) <= today + timedelta(days=366)
    assert date.fromisoformat(detainee["custody_since"]) <= today
    assert self_reporter["group"] == "self_reporter" and self_reporter["release_date"] is None
    assert date.fromisoformat(self_reporter["report_date"]) > today
    # No worker runs here, so no workflow started: the key is there, empty (test_flow_detainee shows a started one)
    assert detainee["workflow"] is None and {"dji_id", "state", "municipality", "outcome", "emails"} <= set(detainee)
    assert "vrijlating" in koers("case", "show", "DJI-D0003-0000001", home=tmp_path).stdout

    everything = json.loads(koers("report", "--json", home=tmp_path).stdout)
    only = json.loads(koers("report", "--json", "--group", "detainee", home=tmp_path).stdout)
    wrong = koers("report", "--group", "gedetineerden", home=tmp_path)

    assert [(g["group"], g["total"]["cases"]) for g in everything["groups"]] == [("self_reporter", 2), ("detainee", 3)]
    assert everything["total"]["cases"] == 5
    assert only["group"] == "detainee" and only["total"]["cases"] == 3 and len(only["groups"]) == 1
    assert wrong.exit_code == 2 and "gedetineerden" in wrong.output
