"""The two short notices of issue 12: to the former municipality after a re-route, and the acknowledgement
of a "not our resident" reply. Reference in the subject, no personal data, threaded where it belongs."""

from __future__ import annotations

import pytest

from messaging.render import NoticeData, Renderer

RENDERER = Renderer(signature="Zelfmelders 3Noord")


def test_the_former_municipality_is_told_the_case_moved_and_nothing_more() -> None:
    email = RENDERER.notice("rerouted", NoticeData("ZM-000042"), to="zelfmelders@leeuwarden.example",
                            message_id="<zm-000042.rerouted.1@koers.example>", in_reply_to="<n1@koers.example>")
    assert email.subject == "[ZM-000042] Zaak overgedragen aan een andere gemeente"
    assert "U hoeft niets meer te doen" in email.text and "vervallen" in email.text
    assert "wordt automatisch verwerkt" not in email.text  # its reply address no longer fits the case
    assert email.headers["In-Reply-To"] == "<n1@koers.example>" and email.reply_to is None
    assert "{{" not in email.text


def test_the_acknowledgement_echoes_the_place_the_sender_named() -> None:
    with_place = RENDERER.notice("not_resident_received", NoticeData("ZM-000042", "Assen"), to="anne@x.example",
                                 message_id="<m@koers.example>", reply_to="t@antwoord.koers.example")
    without = RENDERER.notice("not_resident_received", NoticeData("ZM-000042"), to="anne@x.example",
                              message_id="<m2@koers.example>")
    assert "(u noemt: Assen)" in with_place.text and "u noemt" not in without.text
    assert "Er is geen uitkomst vastgelegd" in without.text and with_place.reply_to == "t@antwoord.koers.example"


def test_an_unknown_notice_is_refused() -> None:
    with pytest.raises(ValueError, match="onbekende soort"):
        RENDERER.notice("notification", NoticeData("ZM-000042"), to="a@x.example", message_id="<m@x>")
