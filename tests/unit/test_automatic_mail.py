"""Automatic mail without the standard headers is recognised; a person who mentions a holiday is not."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from messaging.classify import classify
from messaging.inbound import parse_message
from workflows.states import MessageKind

QUOTE = "\n\nOp 3 mrt. 2026 om 10:00 schreef Zelfmelders 3Noord <zelfmelders@koers.example>:\n> Contact: ja/nee\n"


def message(body: str, *, subject: str = "RE: [ZM-000042] Zelfmelder", headers: dict[str, str] | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Servicedesk Gemeente <servicedesk@assen.example>"
    mail["To"] = "t-abc@antwoord.koers.example"
    mail["Subject"] = subject
    mail["Message-ID"] = "<m-1@assen.example>"
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    return mail.as_bytes()


AUTOMATIC = {
    "service_desk_receipt": message("Geachte heer/mevrouw,\n\nWij hebben uw e-mail in goede orde ontvangen. U ontvangt "
                                    "binnen 5 werkdagen een reactie.\n\nMet vriendelijke groet,\nKCC" + QUOTE),
    "ticket_number_in_text": message("Beste,\n\nUw melding is geregistreerd onder nummer M-240311.\n" + QUOTE),
    "ticket_subject": message("Dank voor uw bericht.", subject="[Ticket #48213] RE: [ZM-000042] Zelfmelder"),
    "receipt_subject": message("Dank u wel.", subject="Ontvangstbevestiging: [ZM-000042] Zelfmelder"),
    "topdesk_header": message("Er is een melding aangemaakt.", headers={"X-TOPdesk-Incident": "I 2403 112"}),
    "automatic_sentence": message("Dit is een automatisch gegenereerd bericht. Deze mailbox wordt niet gelezen."),
    "zivver_notice": message("Gemeente Assen heeft u een beveiligd bericht gestuurd via Zivver.\n\nKlik op de knop "
                             "om het bericht te lezen.", subject="Beveiligd bericht: RE: [ZM-000042]"),
    "zivver_header": message("U heeft een bericht ontvangen.", headers={"X-Zivver-Message-Id": "abc"}),
    "recall": message("Anne de Vries wil het bericht \"RE: [ZM-000042] Zelfmelder\" intrekken.",
                      subject="Intrekken: RE: [ZM-000042] Zelfmelder"),
    "delay_notice": message("Delivery to the following recipients has been delayed:\n\nzelfmelders@koers.example\n",
                            subject="Vertraagd: RE: [ZM-000042] Zelfmelder"),
    "out_of_office_now": message("Ik ben met vakantie tot en met 14 maart. Voor spoed: bel het KCC." + QUOTE),
    # Found by the held-out corpus (tests/data/replies_heldout): each was answered with an ask-back before.
    "receipt_named_a_confirmation": message("Bedankt voor uw e-mail. Dit is een automatische bevestiging. Wij streven "
                                            "ernaar uw bericht binnen 3 werkdagen te beantwoorden." + QUOTE),
    "secure_mail_open_the_message": message("Dit bericht is verstuurd via ZIVVER. U kunt het bericht openen via "
                                            "onderstaande link.\n\nBericht openen"),
    "secure_mail_waiting_for_you": message("Er staat een beveiligd bericht voor u klaar. Log in met uw e-mailadres "
                                           "om het bericht te lezen."),
    "out_of_office_after_a_greeting_on_leave": message("Hallo,\n\nIk ben met ouderschapsverlof tot 1 juni. Uw mail "
                                                       "wordt niet doorgestuurd." + QUOTE),
    "address_no_longer_in_use": message("Let op: dit mailadres is niet meer in gebruik. Stuur uw bericht naar het "
                                        "algemene adres." + QUOTE),
}  # fmt: skip


@pytest.mark.parametrize("name", AUTOMATIC)
def test_automatic_mail_without_automation_headers_is_never_a_reply(name: str) -> None:
    verdict = classify(parse_message(AUTOMATIC[name]))

    assert verdict.kind is MessageKind.AUTO_REPLY, verdict.reason
    assert verdict.reason.startswith("Automatisch")


PEOPLE = {
    "holiday_then_block": "Ik ben met vakantie geweest, vandaar pas nu een reactie.\n\nContact: ja\n"
                          "Acties uitgezet: nee\n",
    "holiday_in_the_past_prose": "Ik ben met vakantie geweest, vandaar pas nu. Ik heb meneer gisteren gebeld.",
    "thanks_received_with_block": "Wij hebben uw e-mail ontvangen en zijn aan de slag gegaan.\n\nContact: ja\n"
                                  "Acties uitgezet: ja\nLeefgebieden: werk\n",
    "mentions_secure_mail": "Ik stuur de details via Zivver, klik op de link in dat bericht.\n\nContact: ja\n",
    "back_from_leave_with_prose": "Hallo,\n\nIk ben met verlof geweest, vandaar pas nu. Meneer is gebeld.",
    "greeting_then_a_person_on_leave_who_answers": "Hallo,\n\nIk ben met verlof tot maandag maar wilde dit nog "
                                                   "doorgeven.\n\nContact: ja\nActies uitgezet: nee\n",
}  # fmt: skip


@pytest.mark.parametrize("name", PEOPLE)
def test_a_person_who_mentions_a_holiday_or_a_receipt_but_answers_is_a_reply(name: str) -> None:
    verdict = classify(parse_message(message(PEOPLE[name] + QUOTE)))

    assert verdict.kind is MessageKind.REPLY, verdict.reason


def test_answers_typed_only_inside_the_quoted_block_make_a_reply_not_an_empty_message() -> None:
    """Found by the held-out corpus: nothing typed above the quote, every answer under Koers' own questions."""
    body = ("\n\nOp 3 mrt. 2026 om 10:00 schreef Zelfmelders 3Noord <zelfmelders@koers.example>:\n"
            "> --- Beantwoord deze e-mail en vul hieronder in ---\n> Contact: ja/nee  Ja\n"
            "> Acties uitgezet: ja/nee  Nee\n> --- Einde ---\n")  # fmt: skip
    outlook = ("\n\n________________________________\nVan: Zelfmelders 3Noord <zelfmelders@koers.example>\n"
               "Verzonden: dinsdag 3 maart 2026 10:00\nAan: zelfmelders@assen.example\nOnderwerp: Zelfmelder\n\n"
               "--- Beantwoord deze e-mail en vul hieronder in ---\nContact: ja/nee\nj\nActies uitgezet: ja/nee\nn\n"
               "--- Einde ---\n")  # fmt: skip

    for typed in (body, outlook):
        verdict = classify(parse_message(message(typed)))

        assert verdict.kind is MessageKind.REPLY, verdict.reason


def test_the_untouched_quoted_block_alone_is_still_no_new_text() -> None:
    body = ("\n\nOp 3 mrt. 2026 om 10:00 schreef Zelfmelders 3Noord <zelfmelders@koers.example>:\n"
            "> --- Beantwoord deze e-mail en vul hieronder in ---\n> Contact: ja/nee\n"
            "> Acties uitgezet: ja/nee\n> --- Einde ---\n")  # fmt: skip

    verdict = classify(parse_message(message(body)))

    assert verdict.kind is MessageKind.MALFORMED
