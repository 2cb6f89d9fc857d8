"""``koers scheduler`` with shorter reconciler windows, for the fault scenarios.

``koers scheduler`` always uses ``ReconcileWindows()``: a stale ``sending`` email is put to review
after 10 minutes, a queued email re-nudged after 10, an unstarted case after 2. The config has no
key for these windows, so a scenario that must see a killed send end in review within a test run
starts this module instead. It is the same code path as the real command
(``workers.runner.start(app, scheduler=True, windows=...)``, the same logging set-up and signal
handling); only the windows differ. ``KOERS_FAULTS_WINDOWS`` is JSON seconds, e.g.
``{"start": 5, "timer": 5, "email": 10, "stale_sending": 10}``.

Usage: ``python -m tests.faults.fault_scheduler`` with the usual ``KOERS_*`` environment.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta

from workers.bootstrap import bootstrap
from workers.cli.processes import configure_logging
from workers.periodic import ReconcileWindows
from workers.runner import start, wait_for_signal


def windows_from_env() -> ReconcileWindows:
    seconds = json.loads(os.environ.get("KOERS_FAULTS_WINDOWS", "{}"))
    return ReconcileWindows(**{key: timedelta(seconds=float(value)) for key, value in seconds.items()})


def main() -> None:
    configure_logging(os.environ.get("KOERS_FAULTS_VERBOSE") == "1")
    app = bootstrap()
    running = start(app, scheduler=True, windows=windows_from_env())
    logging.getLogger("koers").info("scheduler started (leader: %s)", running.scheduler and running.scheduler.is_leader)
    wait_for_signal()
    running.stop()
    app.dispose()


if __name__ == "__main__":
    main()
