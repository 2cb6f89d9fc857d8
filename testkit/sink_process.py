"""A counting SMTP sink in a process of its own, for the fault suite and the end-to-end benchmark.

Every accepted message is appended to ``--log`` as ``<epoch> <Message-ID> <recipients>`` (line
buffered, so a reader counts Message-IDs and acceptance times while the run goes on and after it
ends). It keeps nothing in memory, so its RSS stays flat through a benchmark. With
``--control-port`` it takes one JSON object per line there and answers one JSON line, so that a
fault scenario can make it misbehave:

- ``{"op": "fail", "code": 451, "stage": "DATA", "seconds": 10}`` (or ``"count": n``): answer
  every transaction with that reply at that stage for a while; nothing is stored;
- ``{"op": "reject", "address": "x@y", "code": 550}``: refuse that recipient at RCPT, until reset;
- ``{"op": "hang", "seconds": 40, "for": 10, "then": "451"}``: stall each DATA reply for
  ``seconds`` during the next ``for`` seconds, then answer 451 (nothing stored) or, with
  ``"then": "accept"``, store the message and answer 250 after the stall (a server that delivers
  although the client gave up waiting);
- ``{"op": "reset"}``, ``{"op": "stats"}``.

Usage: ``python -m testkit.sink_process --port P --log FILE [--control-port C]``; prints
``listening on HOST:PORT`` once its ports are open; stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import time
from dataclasses import dataclass, field
from typing import IO, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def message_id(data: bytes) -> str:
    """The Message-ID from the header block of ``data`` (``-`` when there is none)."""
    end = data.find(b"\r\n\r\n")
    match = _MESSAGE_ID.search(data, 0, end if end >= 0 else len(data))
    return match.group(1).decode("ascii", "replace") if match else "-"


@dataclass
class Faults:
    """What the sink does wrong right now; read on the event loop only."""

    fail: dict[str, Any] | None = None
    hang: dict[str, Any] | None = None
    rejected: dict[str, str] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=lambda: {"received": 0, "refused": 0, "hung": 0, "rejected": 0})

    def failure(self, stage: str) -> str | None:
        rule = self.fail
        if rule is None or rule["stage"] != stage:
            return None
        if rule.get("until") and time.time() > rule["until"]:
            self.fail = None
            return None
        if rule.get("count") is not None:
            if rule["count"] <= 0:
                self.fail = None
                return None
            rule["count"] -= 1
        self.stats["refused"] += 1
        return f"{rule['code']} {rule['text']}"

    def stall(self) -> dict[str, Any] | None:
        rule = self.hang
        if rule is None:
            return None
        if time.time() > rule["until"]:
            self.hang = None
            return None
        self.stats["hung"] += 1
        return rule


class Handler:
    def __init__(self, faults: Faults, log: IO[str]) -> None:
        self.faults = faults
        self.log = log

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:  # noqa: N802  # fmt: skip
        refusal = self.faults.failure("MAIL")
        if refusal:
            return refusal
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:  # noqa: N802  # fmt: skip
        refusal = self.faults.rejected.get(address.lower())
        if refusal:
            self.faults.stats["rejected"] += 1
            return refusal
        refusal = self.faults.failure("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        refusal = self.faults.failure("DATA")
        if refusal:
            return refusal
        data = envelope.original_content or envelope.content or b""
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
        stall = self.faults.stall()
        if stall is not None:
            if stall["then"] == "accept":
                self._record(raw, envelope)  # delivered, but the client will not hear of it in time
            await asyncio.sleep(stall["seconds"])
            return "250 2.0.0 Ok (laat)" if stall["then"] == "accept" else "451 4.4.2 Sink bleef hangen"
        self._record(raw, envelope)
        return f"250 2.0.0 Ok: queued as FS{self.faults.stats['received']}"

    def _record(self, raw: bytes, envelope: Envelope) -> None:
        self.faults.stats["received"] += 1
        self.log.write(f"{time.time():.6f} {message_id(raw)} {','.join(envelope.rcpt_tos)}\n")


def apply(faults: Faults, command: dict[str, Any]) -> dict[str, Any]:
    op = command.get("op")
    if op == "fail":
        seconds, count = command.get("seconds"), command.get("count")
        faults.fail = {"stage": command.get("stage", "DATA"), "code": int(command.get("code", 451)),
                       "text": command.get("text", "4.3.0 Tijdelijk niet beschikbaar"),
                       "until": time.time() + seconds if seconds else None, "count": count}  # fmt: skip
    elif op == "reject":
        faults.rejected[command["address"].lower()] = f"{int(command.get('code', 550))} 5.1.1 Onbekende ontvanger"
    elif op == "hang":
        faults.hang = {"seconds": float(command["seconds"]), "until": time.time() + float(command["for"]),
                       "then": command.get("then", "451")}  # fmt: skip
    elif op == "reset":
        faults.fail, faults.hang = None, None
        faults.rejected.clear()
    elif op != "stats":
        return {"ok": False, "error": f"unknown op {op!r}"}
    return {"ok": True, **faults.stats}


async def serve(host: str, port: int, control_port: int | None, log_path: str) -> None:
    faults = Faults()
    with open(log_path, "a", buffering=1, encoding="utf-8") as log:
        handler = Handler(faults, log)
        loop = asyncio.get_running_loop()
        smtp = await loop.create_server(
            lambda: SMTP(handler, hostname="koers-test-sink", decode_data=False, data_size_limit=64 * 1024 * 1024,
                         timeout=600),
            host=host, port=port)  # fmt: skip

        async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():
                try:
                    answer = apply(faults, json.loads(line))
                except Exception as exc:  # a bad command must not stop the sink
                    answer = {"ok": False, "error": repr(exc)}
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()
            writer.close()

        ctl = await asyncio.start_server(control, host=host, port=control_port) if control_port else None
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        bound = smtp.sockets[0].getsockname()[1]
        print(f"listening on {host}:{bound}" + (f" control {control_port}" if ctl else ""), flush=True)
        await stop.wait()
        smtp.close()
        if ctl is not None:
            ctl.close()
        print(json.dumps(faults.stats), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, help="take fault commands on this port (none: accept all)")
    parser.add_argument("--log", required=True, help="file to append '<epoch> <Message-ID> <recipients>' lines to")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.control_port, args.log))


if __name__ == "__main__":
    main()
