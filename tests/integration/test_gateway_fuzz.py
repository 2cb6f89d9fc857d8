"""Property: whatever bytes arrive at the gateway, it does not crash, it stores them, and reading
them ends in a clear state with a reason."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from messaging.tokens import reply_address
from schema import migrate
from schema.runtime_models import InboundMessage
from testkit.flow import fast_settings
from testkit.processes import free_port
from workers.bootstrap import App, bootstrap
from workers.mail_gateway import gateway_handler, start_gateway
from workers.services import build_services, secret_key

FINAL = {"processed", "needs_review", "quarantined", "ignored", "bounce", "rejected"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, int]]:
    tmp = tmp_path_factory.mktemp("gateway")
    app = bootstrap(fast_settings(Path(tmp), f"sqlite:///{tmp / 'koers.db'}"))
    migrate.upgrade(app.engine)
    port = free_port()
    controller = start_gateway(gateway_handler(app), f"127.0.0.1:{port}")
    yield app, port
    controller.stop()
    app.dispose()


_header = st.sampled_from([b"From: a@b.example\r\n", b"Subject: =?utf-8?b?////?=\r\n", b"Content-Type: multipart/mixed;"
                           b" boundary=x\r\n", b"Auto-Submitted: auto-replied\r\n", b"\r\n", b"--x\r\n", b"\x00\xff\r\n",
                           b"Content-Transfer-Encoding: base64\r\n"])  # fmt: skip
_payload = st.one_of(st.binary(max_size=3000), st.lists(st.one_of(_header, st.binary(max_size=80)), max_size=40)
                     .map(b"".join))  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=_payload)
def test_arbitrary_bytes_are_stored_and_end_in_a_clear_state(gateway: tuple[App, int], payload: bytes) -> None:
    app, port = gateway
    with app.sessions() as session:
        before = session.scalar(select(func.count()).select_from(InboundMessage))
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        token = reply_address(secret_key(app.settings), 1, "GM0014", app.settings.reply_domain)
        client.sendmail("iemand@elders.example", [token], payload)
    with app.sessions() as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).all()
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == (before or 0) + 1
    state = build_services(app).replies.process(rows[0].id)
    with app.sessions() as session:
        row = session.get(InboundMessage, rows[0].id)
    assert state in FINAL and row is not None and row.state == state and row.reason
