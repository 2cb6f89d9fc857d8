"""The mail-side fault scenarios: the gateway killed while receiving, fuzzed intake and hostile mail, privacy canaries.

Same shape as ``tests.faults.scenarios``: one function each, sizes as parameters, a result row
from the one check. Replies go through the real gateway over SMTP (``tests.faults.mail``) and, for
the hostile corpus, also through ``koers replies import``; fuzzed feeds through ``koers intake``.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from random import Random
from typing import Any

from sqlalchemy import select

from schema import outbox
from schema.models import CaseRow, IntakeBatch, IntakeRecord
from schema.runtime_models import InboundMessage
from testkit.flow import relayed
from tests.faults.fuzz import FuzzFile, write_fuzz
from tests.faults.harness import Harness
from tests.faults.invariants import INBOUND_FINAL, Row
from tests.faults.mail import OUTCOME, Delivery, deliver, notified_cases, reply, staff_address
from tests.faults.privacy import QueuePeeker, alive, leaks, scan_rabbit_logs
from tests.faults.scenarios import KILL_WINDOWS, email_count, feed, settle, wait_for
from tests.faults.services import PrivateServices
from workers import queues
from workers.demo.synthetic import FeedMix

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
CLEAN = FeedMix(0, 0, 0, 0)


def _notifications_done(h: Harness, minimum: int) -> bool:
    return email_count(h, "queued", "sending", kind="notification") == 0 and email_count(
        h, "sent", "needs_review", "failed", kind="notification") >= minimum  # fmt: skip


def _send_all(port: int, deliveries: list[Delivery], threads: int = 6) -> list[Delivery]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda d: deliver(port, d), deliveries))


def gateway_kill(services: PrivateServices, cases: int = 120, kills: int = 2, seed: int = 606) -> Row:
    """``koers mail-gateway`` killed -9 while replies stream in; senders retry as MTAs do; no reply is lost."""
    rng = Random(seed)
    with Harness(services, f"gateway_kill_{cases}", windows=KILL_WINDOWS) as h:
        h.start(workers=2, gateway=True)
        gateway = h.live("gateway")[0]
        h.intake(feed(h, cases, seed, mix=CLEAN))
        wait_for(lambda: _notifications_done(h, cases), 120, 0.3)
        h.mark("notified")
        deliveries = [reply(case_id, cbs, mid, OUTCOME) for case_id, cbs, mid in notified_cases(h)]
        with ThreadPoolExecutor(1) as background:
            sent = background.submit(_send_all, h.gateway_port, deliveries, 4)
            for _ in range(kills):
                time.sleep(rng.uniform(0.2, 1.0))
                gateway.kill9()
                gateway = h.gateway(wait=False)
            gateway.wait_for_line("mail-gateway listening", 60)
            last_fault = time.monotonic()
            sent.result(300)
            h.mark("replies accepted")
        row = settle(h, last_fault, timeout=180, expect_records=cases, expect_inbound=len(deliveries))
        refused = [d for d in deliveries if d.code != 250]
        row.figures.update(gateway_kills=kills, replies=len(deliveries), resent=sum(d.attempts - 1 for d in deliveries))
        if refused:
            row.lose(len(refused), f"replies never accepted by the gateway (e.g. {refused[0].code} {refused[0].reply})")
        return row


def gateway_redelivery(services: PrivateServices, cases: int = 30, seed: int = 616) -> Row:
    """Every reply delivered twice, as an MTA resends when the gateway died after storing but before its 250."""
    with Harness(services, f"gateway_redelivery_{cases}", windows=KILL_WINDOWS) as h:
        h.start(workers=1, gateway=True)
        h.intake(feed(h, cases, seed, mix=CLEAN))
        wait_for(lambda: _notifications_done(h, cases), 120, 0.3)
        targets = notified_cases(h)
        body = OUTCOME + "Toelichting: eenmalig gesprek\n"
        first = _send_all(h.gateway_port, [reply(c, cbs, mid, body) for c, cbs, mid in targets])
        again = _send_all(h.gateway_port, [reply(c, cbs, mid, body) for c, cbs, mid in targets])
        row = settle(h, time.monotonic(), timeout=120, expect_records=cases, expect_inbound=len(targets))
        with h.sessions() as session:
            notes = list(session.scalars(select(CaseRow.outcome_note)))
        row.figures.update(replies=len(first), stored_twice=sum(1 for d in again if d.stored_id),
                           notes_doubled=sum(1 for n in notes if n and n.count("eenmalig gesprek") > 1))  # fmt: skip
        return row


# --- fuzzed intake and hostile mail ---------------------------------------------------------------


def fuzz_and_hostile(services: PrivateServices, records: int = 1000, hostile_via_gateway: bool = True,
                     skip: tuple[str, ...] = (), settle_s: float = 60, seed: int = 707) -> Row:  # fmt: skip
    """Fuzzed intake records through ``koers intake`` and the hostile corpus through the gateway and import."""
    with Harness(services, f"fuzz_and_hostile_{records}", windows=KILL_WINDOWS) as h:
        h.start(workers=2, gateway=True)
        gateway = h.live("gateway")[0]
        clean = h.intake(feed(h, 40, seed, mix=CLEAN))["accepted"]
        files = write_fuzz(h.dir / "fuzz", records, seed)
        intake_problems, figures = _fuzz_intake(h, files)
        wait_for(lambda: _notifications_done(h, clean), 120, 0.3)
        manifest = {name: entry for name, entry in load_manifest().items() if name not in skip}
        stored = _hostile_import(h, manifest)
        if hostile_via_gateway:
            stored += _hostile_gateway(h, manifest, notified_cases(h))
        last_fault = time.monotonic()
        row = settle(h, last_fault, timeout=settle_s)
        for label in _judge_stored(h, stored):
            row.lose(1, f"hostile mail without a clear state and reason: {label}")
        for problem in intake_problems:
            row.lose(1, problem)
        if not gateway.is_alive():
            row.lose(1, "the mail gateway crashed")
        row.figures.update(figures, hostile=len(manifest), hostile_stored=len(stored),
                           refused_at_smtp=sum(1 for s in stored if s[1] is None))  # fmt: skip
        return row


def load_manifest() -> dict[str, Any]:
    return tomllib.loads((HOSTILE / "MANIFEST.toml").read_text(encoding="utf-8"))["files"]  # type: ignore[no-any-return]


def _fuzz_intake(h: Harness, files: list[FuzzFile]) -> tuple[list[str], dict[str, Any]]:
    out = h.koers("intake", "--json", *[str(f.path) for f in files])
    problems = []
    try:
        data = _last_json(out.stdout)
    except ValueError:
        return [f"koers intake crashed on fuzzed input ({out.returncode}): {out.stderr[-300:]}"], {}
    keys = ("accepted", "duplicates", "ineligible", "rejected", "needs_routing")
    if data["received"] != sum(data[k] for k in keys):
        problems.append("koers intake counts do not add up")
    problems += [f"line {r['line']}: {r['result']} without a reason" for r in data["results"]
                 if r["result"] not in ("accepted", "needs_routing") and not r["reasons"]]  # fmt: skip
    with h.sessions() as session:
        query = select(IntakeBatch.source).join(IntakeRecord, IntakeRecord.batch_id == IntakeBatch.id)
        per_file = Counter(session.scalars(query))
    probes = {}
    for f in files:
        got = per_file.get(str(f.path), 0)
        if f.probe:
            probes[f.path.stem] = f"{got} of {f.records}"
        elif f.records is not None and got != f.records:
            problems.append(f"{f.path.name}: {got} results for {f.records} records")
        elif f.records is None and got == 0 and _has_data_line(f.path) and \
                not any(f.path.name in e for e in data.get("file_errors", [])):  # fmt: skip
            problems.append(f"{f.path.name}: no result and no file error")
    figures = {"fuzzed": data["received"], "fuzz_results": {k: data[k] for k in keys},
               "file_errors": len(data.get("file_errors", [])), "probes": probes}  # fmt: skip
    return problems, figures


def _has_data_line(path: Path) -> bool:
    """Byte damage may cut the line break after a CSV header: then the file holds no record at all."""
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    return len(lines) >= (2 if path.suffix == ".csv" else 1)


def _last_json(stdout: str) -> Any:
    import json

    text = stdout.strip()
    if not text:
        raise ValueError("no output")
    return json.loads(text)


def _hostile_import(h: Harness, manifest: dict[str, Any]) -> list[tuple[str, int | None, tuple[str, ...]]]:
    """Every corpus file through ``koers replies import``; plus one over the 10 MB limit (built here)."""
    names = sorted(manifest)
    big = h.dir / "oversize.eml"
    big.write_bytes(b"From: a@gm0080.example\r\nTo: x@antwoord.koers.example\r\nSubject: groot\r\n\r\n"
                    + b"x" * (10 * 1024 * 1024 + 10))  # fmt: skip
    stored: list[tuple[str, int | None, tuple[str, ...]]] = []
    pending = names
    while pending:
        batch, first_id = pending[:60], _max_inbound_id(h) + 1
        out = h.koers("replies", "import", "--json", *[str(HOSTILE / n) for n in batch])
        if out.returncode == 0:
            for result in _last_json(out.stdout):
                name = Path(result["file"]).name
                stored.append((f"import:{name}", result.get("inbound_id"), _allowed(manifest[name], filled=False)))
            pending = pending[60:]
            continue
        # It crashed: the files before the crash were stored and read (one commit each); go on after it.
        ids = _inbound_ids_from(h, first_id) or [-1]
        for n, (name, inbound_id) in enumerate(zip(batch, ids, strict=False)):
            label = "import-crashed" if n == len(ids) - 1 else "import"
            stored.append((f"{label}:{name}", inbound_id, _allowed(manifest[name], filled=False)))
        pending = pending[len(ids) :]
    out = h.koers("replies", "import", "--json", str(big))
    result = _last_json(out.stdout)[0]
    stored.append(("import:oversize", result.get("inbound_id"), ("rejected",)))
    if result.get("inbound_id") is None and result["state"] != "rejected":
        stored.append(("import:oversize-unclear", -1, ()))
    return stored


def _allowed(entry: dict[str, Any], filled: bool) -> tuple[str, ...]:
    """The manifest's final states; a ``trusted`` file left unfilled is just untrusted mail."""
    if entry.get("trusted") and not filled:
        return ("rejected", "quarantined", "ignored", "bounce")
    return tuple(entry["allowed"])


def _max_inbound_id(h: Harness) -> int:
    from sqlalchemy import func

    with h.sessions() as session:
        return session.scalar(select(func.max(InboundMessage.id))) or 0


def _inbound_ids_from(h: Harness, first_id: int) -> list[int]:
    with h.sessions() as session:
        return list(session.scalars(select(InboundMessage.id).where(InboundMessage.id >= first_id)
                                    .order_by(InboundMessage.id)))  # fmt: skip


def _hostile_gateway(h: Harness, manifest: dict[str, Any], cases: list[tuple[int, str, str]]
                     ) -> list[tuple[str, int | None, tuple[str, ...]]]:  # fmt: skip
    """Every corpus file through the gateway over SMTP; ``trusted_*`` files with a real case's token and sender."""
    from tests.faults.mail import reply as make_reply

    deliveries, labels = [], []
    trusted = iter(cases)
    for n, name in enumerate(sorted(manifest)):
        data = (HOSTILE / name).read_bytes()
        rcpt, sender = "zelfmelders@koers.example", "mailer@elders.example"  # Koers' own address takes any mail
        if b"{{reply_to}}" in data and (target := next(trusted, None)) is not None:
            case_id, cbs, mid = target
            rcpt = make_reply(case_id, cbs, mid, "").rcpt
            sender = staff_address(cbs)
            data = data.replace(b"{{reply_to}}", rcpt.encode()).replace(b"{{staff}}", sender.encode())
            data = relayed(data, sender.rpartition("@")[2])  # the relay vouches for the municipality's sender
            data = re.sub(rb"Message-ID: <hostile-", b"Message-ID: <hostile-%d-" % n, data, count=1)
        deliveries.append(Delivery(data, rcpt, sender))
        labels.append((f"gateway:{name}", _allowed(manifest[name], filled=b"{{reply_to}}" not in data)))
    big = Delivery(b"From: a@gm0080.example\r\nSubject: groot\r\n\r\n" + b"x" * (11 * 1024 * 1024),
                   "zelfmelders@koers.example", "a@gm0080.example")  # fmt: skip
    deliveries.append(big)
    labels.append(("gateway:oversize", ()))
    done = _send_all(h.gateway_port, deliveries, threads=4)
    stored: list[tuple[str, int | None, tuple[str, ...]]] = []
    for (label, allowed), d in zip(labels, done, strict=True):
        if d.code == 250:
            stored.append((label, d.stored_id, allowed))
        elif not 500 <= d.code < 600:
            stored.append((label, -1, ()))  # neither stored nor clearly refused
        else:
            stored.append((label, None, allowed))  # refused with a permanent SMTP reply: a clear state
    return stored


def _judge_stored(h: Harness, stored: list[tuple[str, int | None, tuple[str, ...]]]) -> list[str]:
    ids = [i for _, i, _ in stored if i]
    with h.sessions() as session:
        query = select(InboundMessage.id, InboundMessage.state, InboundMessage.reason).where(InboundMessage.id.in_(ids))
        rows = {r.id: (r.state, r.reason) for r in session.execute(query)}
    unclear = []
    for label, inbound_id, allowed in stored:
        if inbound_id is None:
            continue
        state, reason = rows.get(inbound_id, (None, None))
        if inbound_id == -1 or state not in INBOUND_FINAL or not reason or (allowed and state not in allowed):
            unclear.append(f"{label}={state}")
    return unclear


# --- privacy canaries -------------------------------------------------------------------------------

NAME, GIVEN, NOTE = "Kanariezqxw", "Vogeltjevrkm", "Notitiepwzqj"
MISPLACED = (
    "report_date",
    "sentence_days",
    "birth_date",
    "postcode",
    "house_number",
    "institution",
    "gemeente",
    "phone",
)


def _canary(i: int, record: dict[str, str], misplaced: bool = True) -> dict[str, str]:
    record = record | {"surname": f"{record['surname']} {NAME}", "given_names": f"{GIVEN} {record['given_names']}",
                       "street": f"{NAME}straat"}  # fmt: skip
    if record["email"]:
        record["email"] = f"{NAME.lower()}{i}@example.nl"
    if misplaced and i < len(MISPLACED):  # a shifted column: a name where a date or number belongs
        record[MISPLACED[i]] = f"{NAME} {GIVEN}"
    return record


def privacy_canaries(services: PrivateServices, cases: int = 120, verbose: bool = False, misplaced: bool = True,
                     seed: int = 808) -> Row:  # fmt: skip
    """Markers in names, addresses and reply notes must not reach logs, queue payloads or dead letters."""
    markers = [NAME, GIVEN, NOTE]
    with Harness(services, f"privacy_{'verbose_' if verbose else ''}{cases}", windows=KILL_WINDOWS,
                 verbose=verbose) as h:  # fmt: skip
        h.start(workers=0, gateway=True)
        peeker = QueuePeeker(h).start()
        # Phase 1: no worker runs, so every start_workflow message waits in its queue to be looked at.
        accepted = h.intake(feed(h, cases, seed, edit=lambda i, r: _canary(i, r, misplaced)))["accepted"]
        time.sleep(2.0)
        h.mark("start_workflow messages peeked")
        workers = [h.worker(4, wait=False), h.worker(4, wait=False)]
        wait_for(lambda: _notifications_done(h, accepted), 120, 0.3)
        h.mark("notified")
        for w in workers:
            w.stop()
        # Phase 2: replies with the note marker arrive, and three messages that can only fail; all wait in queues.
        targets = notified_cases(h)
        readable, unreadable = f"Toelichting: {NOTE} besproken\n", f"Contact: misschien\nToelichting: {NOTE} ?\n"
        bodies = [OUTCOME + readable if i % 5 else unreadable for i in range(len(targets))]
        _send_all(h.gateway_port, [reply(c, cbs, mid, body) for (c, cbs, mid), body in zip(targets, bodies)])
        _enqueue_failures(h)
        time.sleep(2.0)
        h.mark("replies and failures peeked")
        for proc in [h.worker(4, wait=False), h.worker(4, wait=False)]:
            proc.wait_for_line("worker: ", 60)
        wait_for(lambda: _dead_letters(h) >= 3, 60)
        row = settle(h, time.monotonic(), timeout=180, expect_records=cases, expect_inbound=len(targets))
        time.sleep(1.0)
        peeker.stop()
        found = leaks(h, markers, peeker.payloads) | scan_rabbit_logs(h, markers)
        flowed = alive(h, NAME, NOTE)
        row.figures.update(flowed, markers_found=sum(found.values()), peeked=dict(peeker.seen))
        for place, n in sorted(found.items()):
            row.problems.append(f"marker in {place} ({n}x)")
        if not all(flowed.values()):
            row.problems.append(f"the canaries did not flow: {flowed}")
        if not any(q.endswith(".XQ") for q in peeker.seen):
            row.problems.append("no dead-letter queue message was seen")
        return row


def _dead_letters(h: Harness) -> int:
    from sqlalchemy import func

    from schema.runtime_models import DeadLetter

    with h.sessions() as session:
        return session.scalar(select(func.count()).select_from(DeadLetter)) or 0


def _enqueue_failures(h: Harness) -> None:
    """Messages for rows that do not exist: each fails permanently and lands in the dead letters."""
    from datetime import UTC, datetime

    with h.sessions.begin() as session:
        now = datetime.now(UTC)
        outbox.enqueue(session, queues.SEND_EMAIL, queues.OUTGOING_MAIL, [(999_999_999,)], now)
        outbox.enqueue(session, queues.START_WORKFLOW, queues.WORKFLOW, [(999_999_998,)], now)
        outbox.enqueue(session, queues.PROCESS_INBOUND_MAIL, queues.INBOUND_REPLIES, [(999_999_997,)], now)
