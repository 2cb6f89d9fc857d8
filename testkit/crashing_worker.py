"""A worker process that dies right after the SMTP server accepted a message, before the commit.

Used by the test that proves an email is never sent twice because a worker died: run it with the
usual KOERS_* environment; it exits with code 137, like a ``kill -9``, after the first accepted
message.
"""

from __future__ import annotations

import os
import time
from email.message import EmailMessage

from messaging.smtp import make_mailer
from workers.bootstrap import bootstrap
from workers.runner import start


class CrashAfterAccept:
    def __init__(self, inner: object) -> None:
        self._inner = inner

    def send(self, message: EmailMessage, envelope: object = None) -> str:
        self._inner.send(message, envelope)  # type: ignore[attr-defined]
        os._exit(137)  # the server has it; our commit never happens


def main() -> None:
    app = bootstrap()
    mailer = CrashAfterAccept(make_mailer(app.settings.smtp_url, app.settings.spool_dir))
    start(app, worker_threads=1, mailer=mailer)  # type: ignore[arg-type]
    time.sleep(60)


if __name__ == "__main__":
    main()
