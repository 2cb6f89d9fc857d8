"""SpoolMailer: one whole ``.eml`` file per Message-ID, written once."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage
from pathlib import Path

from messaging.email_message import Attachment, OutgoingEmail, to_mime
from messaging.smtp import SpoolMailer
from messaging.smtp_spool import spool_key

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"


def message(message_id: str = "<zm-000042.notification.1@koers.example>", text: str = "Tekst\n") -> EmailMessage:
    pdf = Attachment("brief-ZM-000042.pdf", "application/pdf", b"%PDF-1.4 test")
    outgoing = OutgoingEmail(
        message_id, ("zelfmelders@leeuwarden.example",), "[ZM-000042] Melding", text, attachments=(pdf,)
    )
    return to_mime(outgoing, SENDER)


def spooled_path(reply: str) -> Path:
    assert reply.startswith("spooled ")
    return Path(reply.removeprefix("spooled "))


def test_a_message_is_spooled_whole_under_its_message_id(tmp_path: Path) -> None:
    reply = SpoolMailer(tmp_path / "spool").send(message())

    path = spooled_path(reply)
    assert path.parent == tmp_path / "spool"
    assert path.name.endswith("-zm-000042.notification.1@koers.example.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == "<zm-000042.notification.1@koers.example>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["brief-ZM-000042.pdf"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_sending_the_same_message_id_again_writes_nothing_and_returns_the_first_file(tmp_path: Path) -> None:
    mailer = SpoolMailer(tmp_path)
    first = mailer.send(message(text="Eerste\n"))

    second = mailer.send(message(text="Tweede\n"))

    assert second == first
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert b"Eerste" in spooled_path(first).read_bytes()


def test_a_new_mailer_on_the_same_folder_still_recognises_spooled_ids(tmp_path: Path) -> None:
    first = SpoolMailer(tmp_path).send(message())

    again = SpoolMailer(tmp_path).send(message())

    assert again == first


def test_each_message_id_gets_its_own_file(tmp_path: Path) -> None:
    mailer = SpoolMailer(tmp_path)

    for i in range(1, 4):
        mailer.send(message(f"<zm-000042.reminder.{i}@koers.example>"))

    assert len(list(tmp_path.glob("*.eml"))) == 3


def test_concurrent_sends_of_one_message_id_write_one_file(tmp_path: Path) -> None:
    mailer = SpoolMailer(tmp_path)
    replies: list[str] = []

    threads = [threading.Thread(target=lambda: replies.append(mailer.send(message()))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(replies)) == 1
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_message_ids_become_safe_file_names() -> None:
    assert spool_key("<a/b\\c d@koers.example>") == "a_b_c_d@koers.example"
    assert spool_key("<../../etc/passwd@x>") == ".._.._etc_passwd@x"
    assert spool_key(None).startswith("zonder-id-")
