"""HTTP intake, health and metrics: the machine side of the console."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from schema.console_models import ApiToken
from schema.models import IntakeBatch
from testkit.flow import TEST_SECRET_KEY
from tests.web.conftest import TODAY, World
from workers.bootstrap import bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.settings import load_settings
from workers.web.api_tokens import add_token
from workers.wiring import intake_service

MIX = FeedMix(ambiguous=0.1, ineligible=0.1, invalid=0.1, duplicate=0.1)


@pytest.fixture
def token(world: World) -> str:
    with world.app.sessions.begin() as s:
        return add_token(s, "dji-feed", world.clock.now())


def post(world: World, body: object, token: str | None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return world.client.post("/api/intake", content=json.dumps(body), headers=headers)


def comparable(results: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["line"], r["dji_id"], r["result"], tuple(r["reasons"]), r["cbs_code"]) for r in results]  # type: ignore[arg-type]


@pytest.mark.parametrize("header", [None, "Bearer koers_niet-goed", "Basic b3A6eA=="])
def test_intake_without_a_valid_token_is_refused(world: World, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = world.client.post("/api/intake", content="{}", headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_intake_ignores_a_logged_in_session_without_a_token(world: World) -> None:
    world.login("op")
    assert world.client.post("/api/intake", content="{}").status_code == 401


def test_intake_answers_per_record_exactly_like_the_file_intake(world: World, token: str, tmp_path: Path) -> None:
    # Given a feed with clean, ambiguous, ineligible, invalid and duplicate records
    records = list(generate_records(40, seed=11, today=TODAY, mix=MIX))
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, records, fmt="jsonl")
    # When it is read as a file into a second, identical database
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(tmp_path / "koers.db", other / "koers.db")
    file_app = bootstrap(
        load_settings(
            {
                "KOERS_HOME": str(other),
                "KOERS_DATABASE_URL": f"sqlite:///{other / 'koers.db'}",
                "KOERS_SECRET_KEY": TEST_SECRET_KEY,
            }
        ),
        clock=world.clock.now,
    )
    from_file = intake_service(file_app).ingest(iter_feed(feed), "feed.jsonl").to_json()
    file_app.dispose()
    # And posted over HTTP
    response = post(world, records, token)
    # Then the answers are the same, record by record
    assert response.status_code == 200  # type: ignore[attr-defined]
    answer = response.json()  # type: ignore[attr-defined]
    assert {k: v for k, v in answer.items() if k != "results"} == {k: v for k, v in from_file.items() if k != "results"}
    assert comparable(answer["results"]) == comparable(from_file["results"])
    assert {"accepted", "needs_routing", "rejected"} <= {r["result"] for r in answer["results"]}


def test_intake_takes_one_record_and_marks_the_token_used(world: World, token: str) -> None:
    record = next(iter(generate_records(1, seed=3, today=TODAY, mix=FeedMix(0, 0, 0, 0))))
    answer = post(world, record, token).json()  # type: ignore[attr-defined]
    assert (answer["received"], answer["accepted"]) == (1, 1)
    with world.session() as s:
        assert s.scalar(select(IntakeBatch.source).order_by(IntakeBatch.id.desc()).limit(1)) == "http:dji-feed"
        assert s.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "dji-feed")) is not None


def test_intake_rejects_a_list_item_that_is_not_an_object_and_keeps_the_rest(world: World, token: str) -> None:
    record = next(iter(generate_records(1, seed=4, today=TODAY, mix=FeedMix(0, 0, 0, 0))))
    answer = post(world, [record, "geen record"], token).json()  # type: ignore[attr-defined]
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    assert answer["results"][1]["reasons"] == ["regel 2: geen geldig JSON-object"]


@pytest.mark.parametrize("body", ["{niet json", "42", '"tekst"'])
def test_intake_refuses_what_is_not_a_record_or_a_list(world: World, token: str, body: str) -> None:
    response = world.client.post("/api/intake", content=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and "error" in response.json()


def test_healthz_checks_the_database_and_the_broker(world: World) -> None:
    response = world.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "in-process"}


def test_healthz_fails_when_the_broker_is_down(world: World) -> None:
    world.client.app.state.koers.broker_url = "amqp://guest:guest@127.0.0.1:1/%2F"  # type: ignore[attr-defined]
    response = world.client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "ok"
    assert response.json()["broker"] != "ok"


def test_healthz_fails_when_the_database_is_gone(world: World, tmp_path: Path) -> None:
    (tmp_path / "nope").write_text("a file where the database folder should be")
    broken = replace(world.app.settings, database_url=f"sqlite:///{tmp_path / 'nope' / 'koers.db'}")
    world.client.app.state.koers.app = bootstrap(broken)  # type: ignore[attr-defined]
    response = world.client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] != "ok"


def test_metrics_are_prometheus_text_without_login(world: World) -> None:
    response = world.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE" in response.text and "koers_" in response.text


def test_intake_refuses_a_body_over_the_limit(world: World, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.web import api

    monkeypatch.setattr(api, "MAX_BODY_BYTES", 100)
    response = world.client.post(
        "/api/intake", content="[" + "{}," * 100 + "{}]", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 413
