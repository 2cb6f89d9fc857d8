"""A counting SMTP sink for benchmarks that logs when it accepted each message.

``messaging.smtp_sink.SmtpSink`` counts Message-IDs but keeps no times; the end-to-end benchmark
needs the moment of acceptance per message to compute latencies. This sink accepts everything and,
for each message, writes ``<epoch seconds> <Message-ID>`` to ``--log`` (a new file) (line-buffered, so a
reader sees progress while it runs). It keeps nothing in memory, so its RSS stays flat.

Usage: ``python bench/timestamp_sink.py --port 2526 --log /tmp/accepted.log``
(prints ``listening on host:port`` once it is ready; stops on SIGTERM/SIGINT).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import time
from typing import IO, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def message_id(data: bytes) -> str:
    """The Message-ID from the header block of ``data`` (``-`` when there is none)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
    match = _MESSAGE_ID.search(data, 0, end if end >= 0 else len(data))
    return match.group(1).decode("ascii", "replace") if match else "-"


class TimestampHandler:
    """aiosmtpd hooks: accept every message, log its acceptance time and Message-ID."""

    def __init__(self, log: IO[str]) -> None:
        self._log = log
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # aiosmtpd's name
        data = envelope.original_content or envelope.content or b""
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
        self.count += 1
        self._log.write(f"{time.time():.6f} {message_id(raw)}\n")
        return f"250 2.0.0 Ok: queued as TS{self.count}"


async def serve(host: str, port: int, log_path: str) -> None:
    with open(log_path, "w", buffering=1, encoding="ascii") as log:
        handler = TimestampHandler(log)
        loop = asyncio.get_running_loop()
        kwargs: dict[str, Any] = {"hostname": "koers-bench-sink", "decode_data": False}
        server = await loop.create_server(lambda: SMTP(handler, **kwargs), host=host, port=port)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"listening on {host}:{server.sockets[0].getsockname()[1]}", flush=True)
        await stop.wait()
        server.close()
        print(f"accepted {handler.count}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--log", required=True, help="file to write '<epoch> <Message-ID>' lines to (truncated)")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.log))


if __name__ == "__main__":
    main()
