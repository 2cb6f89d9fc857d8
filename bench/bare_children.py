"""The bare pipeline of ``bench_e2e.py``: the same work per case as Koers, without Koers' bookkeeping.

Per case: one dramatiq message published with publisher confirms (one thread, as Koers' outbox
relay publishes), and a worker thread that runs one PostgreSQL transaction with two inserts, draws
a one-page ReportLab letter with the text and layout of Koers' letter, and sends it with a
notification-length text through SMTP. The same services as Koers' run: its PostgreSQL database,
its RabbitMQ vhost, the same SMTP sink process. Only plain library calls: psycopg with one
connection per thread, ``smtplib`` with one connection per thread, ReportLab's ``drawString``,
dramatiq's own middleware (less Prometheus, as Koers). No outbox, no state, no audit of Koers,
no templates.

Usage (by ``bench_e2e.py``): ``python bench/bare_children.py worker THREADS SMTP_PORT`` (prints
``bare worker ready``; stops on SIGTERM) and ``python bench/bare_children.py publish N`` (prints one
JSON line last), with ``KOERS_DATABASE_URL`` and ``KOERS_BROKER_URL`` of the benchmark.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import smtplib
import sys
import threading
import time
from datetime import date, timedelta
from email.message import EmailMessage
from io import BytesIO
from typing import Any

import dramatiq
import psycopg
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.middleware import default_middleware
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.engine import make_url

rl_config.useA85 = 0  # as Koers: compressed streams stay binary (a public ReportLab setting)
QUEUE, ACTOR = "bench-bare", "bare_case"
TABLES = (
    "CREATE TABLE IF NOT EXISTS bare_cases (id bigserial PRIMARY KEY, case_ref text NOT NULL, "
    "report_date date NOT NULL, state text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS bare_audit (id bigserial PRIMARY KEY, case_id bigint NOT NULL "
    "REFERENCES bare_cases (id), kind text NOT NULL, at timestamptz NOT NULL DEFAULT now())",
    "TRUNCATE bare_audit, bare_cases RESTART IDENTITY",
)
INSERT_CASE = "INSERT INTO bare_cases (case_ref, report_date, state) VALUES (%s, %s, 'notified') RETURNING id"
INSERT_AUDIT = "INSERT INTO bare_audit (case_id, kind) VALUES (%s, 'email_sent')"

# Koers' letter (messaging/templates/letter.txt.j2) with one case's values: "# " bold, "- " a bullet.
LETTER = """Beste {name},

U moet zich op {report_date} melden bij PI Veenhuizen.
Deze brief komt van de gemeente Leeuwarden. Wij willen u graag helpen.

# Waarom krijgt u deze brief?
Een tijd in de gevangenis kan grote gevolgen hebben. Ook als die tijd kort is.
U kunt bijvoorbeeld uw werk of uw huis kwijtraken. Of u krijgt schulden.
Ook uw relatie of uw gezin kan er last van hebben.
Daarom willen wij nu al met u praten. Dus voordat u zich meldt.

# Wat kunnen wij samen regelen?
- uw huur, uw post en uw rekeningen
- uw werk of uw uitkering
- uw schulden
- de zorg voor uw kinderen, uw partner of uw huisdieren
- uw zorg en uw medicijnen

# U beslist zelf
Meedoen is vrijwillig. U bepaalt zelf wat er in het plan komt.
Wij helpen u bij wat u belangrijk vindt.

# Wat kunt u doen?
Bel ons op 14 058. Of stuur een e-mail naar zelfmelders@gm0080.example.
Doe dit het liefst deze week. Noem dan dit kenmerk: {ref}.
Reageert u niet? Dan proberen wij zelf contact met u op te nemen.

Met vriendelijke groet,

Team Sociaal Domein
Gemeente Leeuwarden"""

# Koers' notification (messaging/templates/notification.txt.j2), about as long.
NOTIFICATION = """Beste collega's van de gemeente Leeuwarden,

Er is een nieuwe zelfmelder aan uw gemeente toegewezen.
Deze zelfmelder moet zich op {report_date} melden bij PI Veenhuizen. Dat is over 24 dagen.

Wilt u voor die datum contact opnemen met de zelfmelder? Dan kunt u samen op tijd regelen wat nodig is: \
werk, woning, relaties, schulden. Zo doet de detentie zo min mogelijk schade. Meedoen is vrijwillig; \
de zelfmelder houdt zelf de regie over het plan.

GEGEVENS
Kenmerk:          {ref}
Naam:             {name}
Geboortedatum:    12-03-1984
Adres:            Tsjerkestrjitte {number}, 8911 AB Leeuwarden
Telefoon:         onbekend
E-mail:           onbekend
Meldingsdatum:    {report_date} (over 24 dagen)
Inrichting:       PI Veenhuizen
Strafduur:        3 weken tot 3 maanden
Gemeente bepaald: op woonplaats Leeuwarden

BRIEF
De brief aan de zelfmelder is bijgevoegd (brief-{ref}.pdf). Stuur deze brief zo snel mogelijk naar de zelfmelder.

UITKOMST DOORGEVEN
Klik op Beantwoorden, zet het blok hieronder ingevuld bovenaan uw antwoord en laat [{ref}] in het onderwerp staan.

--- Beantwoord deze e-mail en vul hieronder in ---
Contact: ja / nee
Vorm van contact: reactie op brief / telefonisch / huisbezoek / anders
Acties uitgezet: ja / nee
Leefgebieden: huisvesting, inkomen, schulden, werk, zorg, relaties
Al bekend bij hulpverlening: ja / nee
Toelichting:
--- Einde ---

Deze e-mail bevat strafrechtelijke persoonsgegevens. Deel ze alleen met wie ze nodig heeft voor deze zelfmelder.

Met vriendelijke groet,
Zelfmelders 3Noord
"""


def case_values(i: int) -> dict[str, Any]:
    report = date(2025, 3, 3) + timedelta(days=i % 60)
    return {"ref": f"ZM-{i:06d}", "name": f"Sjoukje de Vries {i % 97}", "number": 1 + i % 180,
            "report_date": report.strftime("%d-%m-%Y"), "report": report}  # fmt: skip


def letter_pdf(values: dict[str, Any]) -> bytes:
    """The letter drawn line by line with ReportLab's public canvas API, in Koers' layout."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(25 * mm, A4[1] - 22 * mm, "Gemeente Leeuwarden")
    canvas.setFont("Helvetica", 9)
    for n, line in enumerate(("Team Sociaal Domein", "Oldehoofsterkerkhof 2", "8911 DH Leeuwarden")):
        canvas.drawString(130 * mm, A4[1] - 22 * mm - n * 11.7, line)
    canvas.setFont("Helvetica", 12)
    for n, line in enumerate((values["name"], f"Tsjerkestrjitte {values['number']}", "8911 AB  LEEUWARDEN")):
        canvas.drawString(25 * mm, A4[1] - 50 * mm - n * 15.6, line)
    y = A4[1] - 88 * mm
    for label, value in (("Kenmerk", values["ref"]), ("Datum", "17-02-2025"),
                         ("Onderwerp", "Wij willen u helpen voordat u zich meldt")):  # fmt: skip
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(25 * mm, y, label)
        canvas.setFont("Helvetica", 12)
        canvas.drawString(53 * mm, y, value)
        y -= 16
    for line in LETTER.format(**values).splitlines():
        y -= 16 if line else 7
        bold, bullet = line.startswith("# "), line.startswith("- ")
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 12)
        if bullet:
            canvas.drawString(26.5 * mm, y, "\u2022")
        canvas.drawString(31 * mm if bullet else 25 * mm, y, line[2:] if bold or bullet else line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def notification(values: dict[str, Any], pdf: bytes) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Zelfmelders 3Noord <zelfmelders@koers.example>"
    message["To"] = "zelfmelders@gm0080.example"
    message["Subject"] = f"[{values['ref']}] Zelfmelder: verzoek om contact voor detentie"
    message["Message-ID"] = f"<bare-{values['ref']}@bench.example>"
    message.set_content(NOTIFICATION.format(**values))
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"brief-{values['ref']}.pdf")
    return message


def conninfo(database_url: str) -> str:
    """psycopg's form of a SQLAlchemy URL (``postgresql+psycopg://…``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def prepare_tables(database_url: str) -> None:
    """The bare pipeline's two tables, empty (the benchmark's database; Koers' tables are untouched)."""
    with psycopg.connect(conninfo(database_url), autocommit=True) as conn:
        for statement in TABLES:
            conn.execute(statement)


def _broker() -> RabbitmqBroker:
    middleware = [m() for m in default_middleware if m.__name__ != "Prometheus"]
    return RabbitmqBroker(url=os.environ["KOERS_BROKER_URL"], confirm_delivery=True, middleware=middleware)


def worker(threads: int, smtp_port: int) -> None:
    """Consume the bare messages with ``threads`` threads until SIGTERM."""
    broker = _broker()
    local = threading.local()
    database = conninfo(os.environ["KOERS_DATABASE_URL"])

    def bare_case(i: int) -> None:
        if not hasattr(local, "db"):  # one connection of each kind per worker thread, as Koers keeps
            local.db = psycopg.connect(database)
            local.smtp = smtplib.SMTP("127.0.0.1", smtp_port)
        values = case_values(i)
        with local.db.cursor() as cursor:
            case_id = cursor.execute(INSERT_CASE, (values["ref"], values["report"])).fetchone()[0]
            cursor.execute(INSERT_AUDIT, (case_id,))
        local.db.commit()
        local.smtp.send_message(notification(values, letter_pdf(values)))

    dramatiq.actor(bare_case, actor_name=ACTOR, queue_name=QUEUE, broker=broker, max_retries=0)
    consumer = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads)
    consumer.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("bare worker ready", flush=True)
    stop.wait()
    consumer.stop(timeout=10_000)
    broker.close()


def publish(n: int) -> None:
    """Publish ``n`` bare messages one by one with publisher confirms; one JSON line with the times."""
    broker = _broker()
    broker.declare_queue(QUEUE)
    started = time.time()
    for i in range(n):
        broker.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=ACTOR, args=(i,), kwargs={}, options={}))
    finished = time.time()
    broker.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"started": started, "finished": finished, "rate": n / (finished - started),
                      "cpu_s": usage.ru_utime + usage.ru_stime}), flush=True)  # fmt: skip


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "worker":
        worker(int(args[0]), int(args[1]))
    elif mode == "publish":
        publish(int(args[0]))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
