"""Helpers for ``bench_e2e.py``: its database and vhost, the sink's log, memory, CPU and percentiles.

Nothing here asserts anything. The benchmark recreates its own database and deletes the queues of
its own RabbitMQ vhost: ``KOERS_BENCH_DATABASE_URL`` (default ``koers_bench_e2e`` on the local
server) and ``KOERS_BENCH_BROKER_URL``, else ``KOERS_TEST_BROKER_URL`` (an engineer's own vhost),
else the vhost ``koers_bench``; it refuses the default vhost ``/``, where others' queues live.
Processes are started and stopped by pid (``testkit.processes``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[1]
KOERS = str(Path(sys.executable).parent / "koers")
SECRET = "PJXjW7AMOb6IJBc1KYh-s-0VTgopvMfdPZ9T5b8dFcs"
PG_URL = os.environ.get("KOERS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_bench_e2e")
AMQP_URL = (os.environ.get("KOERS_BENCH_BROKER_URL") or os.environ.get("KOERS_TEST_BROKER_URL")
            or "amqp://guest:guest@127.0.0.1:5672/koers_bench")  # fmt: skip
VHOST = unquote(urlsplit(AMQP_URL).path.lstrip("/")) or "/"
KOERS_QUEUES = ("workflow", "outgoing-mail", "inbound-replies")


# --- services ---------------------------------------------------------------------------------


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


def ensure_vhost() -> None:
    """Create the benchmark's vhost if it is missing; refuse ``/`` (the benchmark deletes queues in it)."""
    if VHOST == "/":
        raise SystemExit("bench: the broker URL names the vhost '/'; give the benchmark a vhost of its own "
                         "(KOERS_BENCH_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/koers_bench)")  # fmt: skip
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


def koers_env(home: Path, config: Path, smtp_port: int | None) -> dict[str, str]:
    env = {**os.environ, "KOERS_DATABASE_URL": PG_URL, "KOERS_BROKER_URL": AMQP_URL, "KOERS_CONFIG": str(config),
           "KOERS_SECRET_KEY": SECRET, "KOERS_HOME": str(home), "PYTHONUNBUFFERED": "1"}  # fmt: skip
    if smtp_port is not None:
        env["KOERS_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    return env


# --- processes ----------------------------------------------------------------------------------


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
    """Reads ``<epoch> <Message-ID> <recipients>`` lines as the sink (``testkit.sink_process``) appends them."""

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
        for line in lines:  # <epoch> <Message-ID> <recipients>
            stamp, mid = line.decode("ascii", "replace").split(" ")[:2]
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


def cpu_groups(cpu: dict[str, float]) -> dict[str, float]:
    """CPU seconds per group, the worker processes added up, largest first."""
    groups: dict[str, float] = {}
    for name, seconds in cpu.items():
        key = "workers" if name.startswith("worker") else name
        groups[key] = groups.get(key, 0.0) + seconds
    return dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def cpu_report(cpu: dict[str, float], busy: float, wall: float, cases: int) -> str:
    """One line: CPU milliseconds per case of each process group, and the load the run did not cause."""
    groups = cpu_groups(cpu)
    total = sum(groups.values())
    other = max(0.0, busy * (os.cpu_count() or 1) - total / wall)
    return (f"CPU over {wall:.0f} s (machine busy {busy:.0%} of {os.cpu_count()} cores), ms per case: "
            + ", ".join(f"{k} {v * 1000 / cases:.1f}" for k, v in groups.items() if v > 0)
            + f"; total {total * 1000 / cases:.1f}; other load on the machine {other:.2f} cores")  # fmt: skip


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
