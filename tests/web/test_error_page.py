"""An error nobody expected shows a friendly page with an error id; the id is logged, the stack is not shown."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from tests.web.conftest import World


def test_an_unexpected_error_shows_a_friendly_page_with_the_id_that_the_log_has(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.login("op")
    with world.app.engine.begin() as conn:  # the database changes under the console: every case query fails
        conn.execute(text("ALTER TABLE cases RENAME TO cases_weg"))

    with caplog.at_level(logging.ERROR, logger="koers.web"):
        response = world.client.get("/cases?q=Jansen")

    assert response.status_code == 500 and "Er ging iets mis" in response.text
    error_id = re.search(r"Foutcode: <code>([0-9a-f]{8})</code>", response.text)
    assert error_id, response.text
    assert "Traceback" not in response.text and "cases_weg" not in response.text and "sqlite" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    (record,) = [r for r in caplog.records if r.name == "koers.web"]
    logged = record.getMessage()
    assert error_id.group(1) in logged and "OperationalError" in logged and "GET /cases" in logged
    assert "Jansen" not in logged and record.exc_info is None
