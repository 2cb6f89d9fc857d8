"""Helpers for ``bench_e2e.py``: services, Koers processes, the sink's log, memory and percentiles.

Nothing here asserts anything; it starts and stops processes the benchmark owns (by pid, never by
name), recreates the benchmark's own database and RabbitMQ vhost, and reads figures.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
KOERS = str(Path(sys.executable).parent / "koers")
SECRET = "bench-secret-key-of-at-least-32-bytes-long!"
VHOST = "koers_bench"
PG_URL = os.environ.get("KOERS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_bench_e2e")
AMQP_URL = os.environ.get("KOERS_BENCH_BROKER_URL", f"amqp://guest:guest@127.0.0.1:5672/{VHOST}")
KOERS_QUEUES = ("workflow", "outgoing-mail", "inbound-replies")


# --- services ---------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's own database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def reset_schema(url: str) -> None:
    """An empty, migrated database with the reference data (what ``koers db upgrade`` does)."""
    from sqlalchemy import text

    from schema import migrate
    from schema.db import make_engine, make_session_factory
    from schema.reference_sync import sync_reference_data

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(engine)
    with make_session_factory(engine).begin() as session:
        sync_reference_data(session)
    engine.dispose()


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


def ensure_vhost() -> None:
    """Create the benchmark's vhost if it is missing (other engineers' tests use ``/``)."""
    out = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], check=True, capture_output=True, text=True,
                         timeout=120).stdout.split()  # fmt: skip
    if VHOST not in out:
        rabbitmqctl("add_vhost", VHOST)
        rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")


def delete_queues(names: Sequence[str]) -> None:
    """Delete the named queues (and dramatiq's .DQ/.XQ) in the benchmark vhost only."""
    import pika

    with pika.BlockingConnection(pika.URLParameters(AMQP_URL)) as conn:
        channel = conn.channel()
        for name in names:
            for queue in (name, f"{name}.DQ", f"{name}.XQ"):
                channel.queue_delete(queue)


class QueueDepths:
    """Ready-message counts of the Koers queues in the benchmark vhost (passive declares).

    A fresh connection per reading: a blocking connection left idle between readings would miss
    its heartbeats and be closed by the server.
    """

    def read(self) -> dict[str, int]:
        import pika

        depths = dict.fromkeys(KOERS_QUEUES[:2], -1)
        try:
            with pika.BlockingConnection(pika.URLParameters(AMQP_URL)) as conn:
                for queue in depths:
                    try:
                        depths[queue] = conn.channel().queue_declare(queue, passive=True).method.message_count
                    except pika.exceptions.ChannelClosedByBroker:  # not declared yet
                        depths[queue] = 0
        except pika.exceptions.AMQPError:
            pass  # -1: not known; the benchmark goes on
        return depths

    def close(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, relay: str = "PT0.1S", sweep: str = "PT1S", reconcile: str | None = None) -> Path:
    """A KOERS_CONFIG with a mailbox and reply domain for every municipality; default (working-day) timers."""
    from schema.reference import iter_municipalities

    lines = ["[scheduler]", f'relay_interval = "{relay}"', f'sweep_interval = "{sweep}"']
    if reconcile:
        lines.append(f'reconcile_interval = "{reconcile}"')
    for province, short in (("Groningen", "gro"), ("Fryslân", "fry"), ("Drenthe", "dre")):
        lines += [f'[provinces."{province}"]', f'escalation = "coordinator@zvh-{short}.example"']
    for m in iter_municipalities():
        code = m.cbs_code.lower()
        lines += [f"[municipalities.{m.cbs_code}]", f'mailbox = "zelfmelders@{code}.example"',
                  f'reply_from = ["{code}.example"]', 'team = "Team Zelfmelders"']  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def koers_env(home: Path, config: Path, smtp_port: int | None) -> dict[str, str]:
    env = {**os.environ, "KOERS_DATABASE_URL": PG_URL, "KOERS_BROKER_URL": AMQP_URL, "KOERS_CONFIG": str(config),
           "KOERS_SECRET_KEY": SECRET, "KOERS_HOME": str(home), "PYTHONUNBUFFERED": "1"}  # fmt: skip
    if smtp_port is not None:
        env["KOERS_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    return env


# --- processes ----------------------------------------------------------------------------------


@dataclass
class Proc:
    """A child process this benchmark started, with its output in a file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    _fh: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no '{needle}' within {timeout} s:\n{self.output()[-3000:]}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._fh.close()


def spawn(name: str, argv: list[str], env: dict[str, str], logdir: Path) -> Proc:
    log = logdir / f"{name}.log"
    fh = log.open("wb")
    popen = subprocess.Popen(argv, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    return Proc(name, popen, log, fh)


def status_kb(pid: int, key: str) -> int:
    """``VmRSS`` or ``VmHWM`` of a running process, in kB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the sink's log ----------------------------------------------------------------------------


class SinkLog:
    """Reads ``<epoch> <Message-ID>`` lines as the sink appends them."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = b""
        self.notifications: dict[int, float] = {}  # case id -> acceptance time
        self.kinds: dict[str, int] = {}
        self.times: list[float] = []

    def poll(self) -> int:
        if not self._path.exists():
            return 0
        with self._path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            stamp, _, mid = line.decode("ascii", "replace").partition(" ")
            when = float(stamp)
            self.times.append(when)
            kind = mid.split(".")[1] if mid.startswith("<zm-") and mid.count(".") >= 2 else "other"
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            if kind == "notification":
                self.notifications[int(mid[4:].split(".", 1)[0])] = when
        return len(lines)


# --- figures --------------------------------------------------------------------------------------


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[int, float]:
    if not values:
        return {p: float("nan") for p in points}
    if len(values) == 1:
        return {p: values[0] for p in points}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {p: cuts[p - 1] for p in points}


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_runs(values: Sequence[float], spec: str = ",.0f") -> str:
    return ", ".join(format(v, spec) for v in values)


def child_json(argv: list[str], env: dict[str, str] | None = None, timeout: float = 3600) -> dict[str, Any]:
    """Run a child that prints one JSON line last; return it."""
    import json

    out = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- CPU accounting -------------------------------------------------------------------------------


def _ticks(pid: int | str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class CpuMeter:
    """CPU seconds per process group between ``start()`` and ``stop()``, and how busy the machine was.

    Groups: the benchmark's own processes by name; PostgreSQL backends of the benchmark database
    (their command line names it), the rest of PostgreSQL (other databases and the background
    processes: WAL writer, checkpointer), RabbitMQ (``beam.smp``). Processes that start during the
    run count from zero; ones that end before ``stop()`` are lost (children report their own).
    """

    HZ = os.sysconf("SC_CLK_TCK")

    def __init__(self, own: dict[str, int], database: str) -> None:
        self._own = own  # group name -> pid
        self._database = database
        self._start: dict[str, int] = {}
        self._machine: tuple[int, int] = (0, 0)

    def _groups(self) -> dict[str, int]:
        out: dict[str, int] = {name: _ticks(pid) for name, pid in self._own.items()}
        own_pids = {str(pid) for pid in self._own.values()}
        for pid in (p.name for p in Path("/proc").iterdir() if p.name.isdigit() and p.name not in own_pids):
            cmd = _cmdline(pid)
            if cmd.startswith("postgres:") or "/bin/postgres" in cmd:
                group = "postgres (bench db)" if f" {self._database} " in cmd else "postgres (other)"
            elif "beam.smp" in cmd:
                group = "rabbitmq"
            else:
                continue
            out[f"{group}:{pid}"] = _ticks(pid)
        return out

    @staticmethod
    def _machine_ticks() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def start(self) -> None:
        self._start = self._groups()
        self._machine = self._machine_ticks()

    def stop(self) -> tuple[dict[str, float], float]:
        """CPU seconds per group, and the machine's busy share over the interval."""
        end = self._groups()
        seconds: dict[str, float] = {}
        for key, ticks in end.items():
            group = key.split(":", 1)[0]
            seconds[group] = seconds.get(group, 0.0) + (ticks - self._start.get(key, 0)) / self.HZ
        busy, total = self._machine_ticks()
        share = (busy - self._machine[0]) / max(1, total - self._machine[1])
        return seconds, share
