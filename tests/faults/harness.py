"""One scenario's run: its database, vhost, config, SMTP sink and Koers processes, with every log kept.

A ``Harness`` lives inside the private services (``tests.faults.services``): it creates a fresh
database (from a migrated template with the reference data) and a RabbitMQ vhost of its own,
writes a ``KOERS_CONFIG`` (a mailbox and reply domain for every municipality, coordinators per
province, ``[scheduler]`` intervals of a fraction of a second, ``[timers]`` in seconds when a
scenario asks), and starts what the scenario needs as real processes: ``koers worker``,
``koers scheduler`` (or ``tests.faults.fault_scheduler`` when the reconciler windows must be short),
``koers mail-gateway``, ``testkit.crashing_worker`` and the counting sink
``testkit.sink_process``. Each process writes stdout and stderr to its own file under ``logs``;
the privacy check reads them all. ``close()`` stops everything it started, by pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from testkit.databases import migrate_with_reference_data
from testkit.flow import write_config
from testkit.processes import REPO, Proc, free_port, spawn
from tests.faults.services import PrivateServices

KOERS = str(Path(sys.executable).parent / "koers")
SECRET = "fault-suite-secret-key-of-at-least-32-bytes"
TEMPLATE = "koers_faults_template"
SECONDS_TIMERS = {"first_reminder": "PT4S", "second_reminder": "PT8S", "escalate_after": "PT12S",
                  "partial_follow_up": "PT4S"}  # fmt: skip
SCHEDULER = {"relay_interval": "PT0.2S", "sweep_interval": "PT0.5S", "reconcile_interval": "PT1S"}


_READY = {"worker": "worker: ", "scheduler": "scheduler started", "gateway": "mail-gateway listening"}


def prepare_template(services: PrivateServices) -> None:
    """A migrated database with the reference data; each scenario's database is a copy of it."""
    from schema.db import make_engine

    services.postgres.admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
    services.postgres.admin(f'CREATE DATABASE "{TEMPLATE}"')
    engine = make_engine(services.postgres.url(TEMPLATE))
    migrate_with_reference_data(engine)
    engine.dispose()


class SinkClient:
    """The counting sink process: its control port and its log of accepted Message-IDs."""

    def __init__(self, proc: Proc, port: int, control_port: int, ids_log: Path) -> None:
        self.proc, self.port, self.control_port, self.ids_log = proc, port, control_port, ids_log

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def command(self, op: str, **args: Any) -> dict[str, Any]:
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=10) as conn:
            conn.sendall(json.dumps({"op": op, **args}).encode() + b"\n")
            answer = conn.makefile("rb").readline()
        return json.loads(answer)  # type: ignore[no-any-return]

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID was accepted (the sink's log is the record)."""
        counts: Counter[str] = Counter()
        if self.ids_log.exists():
            for line in self.ids_log.read_text(encoding="utf-8", errors="replace").splitlines():
                parts = line.split(" ")
                if len(parts) >= 2:
                    counts[parts[1]] += 1
        return counts


class Harness:
    """Everything one scenario runs against; use as a context manager so that ``close()`` always runs."""

    def __init__(self, services: PrivateServices, name: str, *, timers: dict[str, str] | None = None,
                 windows: Mapping[str, float] | None = None, verbose: bool = False,
                 inbound: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self.services = services
        self.name = name
        self.windows = windows
        self.verbose = verbose
        self.dir = services.root / "runs" / name
        self.logs = self.dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.database = f"koers_{name}"
        self.vhost = f"koers_{name}"
        self.gateway_port = free_port()
        self.config = write_config(self.dir / "koers.toml", scheduler=SCHEDULER, timers=timers,
                                   inbound_listen=f"127.0.0.1:{self.gateway_port}", inbound=inbound)  # fmt: skip
        self.procs: list[Proc] = []
        self.started_at = time.monotonic()
        self.timeline: dict[str, float] = {}
        self._counter: Counter[str] = Counter()
        self.sink: SinkClient | None = None
        services.postgres.admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        services.postgres.admin(f'CREATE DATABASE "{self.database}" TEMPLATE "{TEMPLATE}"')
        services.rabbit.delete_vhost(self.vhost)
        services.rabbit.add_vhost(self.vhost)
        self.engine: Engine = create_engine(self.db_url, pool_pre_ping=True, hide_parameters=True)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db_url(self) -> str:
        return self.services.postgres.url(self.database)

    @property
    def broker_url(self) -> str:
        return self.services.rabbit.url(self.vhost)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
        env.update(KOERS_DATABASE_URL=self.db_url, KOERS_BROKER_URL=self.broker_url, KOERS_CONFIG=str(self.config),
                   KOERS_SECRET_KEY=SECRET, KOERS_HOME=str(self.dir / "home"), PYTHONUNBUFFERED="1",
                   KOERS_RABBITMQ_API=self.services.rabbit.api_url)  # fmt: skip
        if self.sink is not None:
            env["KOERS_SMTP_URL"] = self.sink.url
        if self.windows is not None:
            env["KOERS_FAULTS_WINDOWS"] = json.dumps(dict(self.windows))
        env.update(extra)
        return env

    def mark(self, phase: str) -> None:
        """Note when a phase began (seconds since the harness started), for the scenario's figures."""
        self.timeline[phase] = round(time.monotonic() - self.started_at, 1)

    # --- processes ---------------------------------------------------------------------------------

    def start(self, *, workers: int = 2, threads: int = 4, schedulers: int = 1, gateway: bool = False,
              sink: bool = True) -> None:  # fmt: skip
        """Start the usual set at once and wait until each is ready (starting them one by one costs seconds)."""
        if sink:
            self.start_sink()
        procs = [self.scheduler(wait=False) for _ in range(schedulers)]
        procs += [self.worker(threads, wait=False) for _ in range(workers)]
        procs += [self.gateway(wait=False)] if gateway else []
        for proc in procs:
            proc.wait_for_line(_READY[proc.name.rsplit("-", 1)[0]], 60)
        self.mark("processes ready")

    def spawn(self, kind: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        self._counter[kind] += 1
        name = f"{kind}-{self._counter[kind]}"
        proc = spawn(name, argv, env or self.env(), self.logs / f"{name}.log", tied=True)
        self.procs.append(proc)
        return proc

    def start_sink(self) -> SinkClient:
        port, control = free_port(), free_port()
        ids_log = self.dir / "sink-ids.log"
        proc = self.spawn("sink", [sys.executable, "-m", "testkit.sink_process", "--port", str(port),
                                   "--control-port", str(control), "--log", str(ids_log)])  # fmt: skip
        proc.wait_for_line("listening", 30)
        self.sink = SinkClient(proc, port, control, ids_log)
        return self.sink

    def worker(self, threads: int = 4, wait: bool = True) -> Proc:
        argv = [KOERS, "worker", "--threads", str(threads)] + (["-v"] if self.verbose else [])
        proc = self.spawn("worker", argv)
        if wait:
            proc.wait_for_line("worker: ", 60)
        return proc

    def crashing_worker(self) -> Proc:
        """``testkit.crashing_worker``: exits 137 right after the SMTP server accepted a message."""
        return self.spawn("crashing-worker", [sys.executable, "-m", "testkit.crashing_worker"])

    def scheduler(self, wait: bool = True) -> Proc:
        if self.windows is None:
            argv = [KOERS, "scheduler"] + (["-v"] if self.verbose else [])
        else:
            argv = [sys.executable, "-m", "tests.faults.fault_scheduler"]
        proc = self.spawn("scheduler", argv, self.env(KOERS_FAULTS_VERBOSE="1" if self.verbose else "0"))
        if wait:
            proc.wait_for_line("scheduler started", 60)
        return proc

    def gateway(self, wait: bool = True) -> Proc:
        proc = self.spawn("gateway", [KOERS, "mail-gateway"] + (["-v"] if self.verbose else []))
        if wait:
            proc.wait_for_line("mail-gateway listening", 60)
        return proc

    def koers(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """A one-off ``koers`` command; its output is also kept in the logs (the privacy check reads it)."""
        self._counter["cli"] += 1
        out = subprocess.run([KOERS, *args], cwd=REPO, env=self.env(), capture_output=True, text=True,
                             timeout=timeout)  # fmt: skip
        (self.logs / f"cli-{self._counter['cli']}-{args[0]}.log").write_text(out.stdout + out.stderr, encoding="utf-8")
        return out

    def koers_json(self, *args: str, timeout: float = 600) -> Any:
        out = self.koers(*args, "--json", timeout=timeout)
        if not out.stdout.strip():
            raise RuntimeError(f"koers {' '.join(args)} gave no JSON ({out.returncode}): {out.stderr[-3000:]}")
        return json.loads(out.stdout)

    def intake(self, paths: Iterable[Path]) -> dict[str, Any]:
        data = self.koers_json("intake", *map(str, paths))
        return data  # type: ignore[no-any-return]

    def live(self, kind: str) -> list[Proc]:
        return [p for p in self.procs if p.name.startswith(kind + "-") and p.is_alive()]

    def close(self) -> None:
        """Stop every process it started: SIGTERM to all at once, then wait, then SIGKILL what still runs."""
        for proc in self.procs:
            if proc.is_alive():
                with contextlib.suppress(OSError):
                    proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            with contextlib.suppress(Exception):  # keep stopping the others
                proc.stop(10)
        self.engine.dispose()
