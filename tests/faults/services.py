"""The fault suite's own PostgreSQL cluster and RabbitMQ node, never the shared ones.

Other engineers' tests use the PostgreSQL on 5432 and the RabbitMQ on 5672 of this machine, and
the fault scenarios stop, kill and restart services. So the suite starts a private cluster
(``initdb`` into a temporary folder as the ``postgres`` OS user, port 55432) and a private
RabbitMQ node (``koersfaults@localhost``, AMQP 55672, distribution 55673, management API 55674)
with its own config, env and plugins files, so ``/etc/rabbitmq`` (which pins the shared node's
name and port) does not apply. Every process is addressed by pid, and a pid is only signalled after
checking that it belongs to our folder: nothing here can touch the shared services.

Ports are overridable (``KOERS_FAULTS_PG_PORT``, ``KOERS_FAULTS_AMQP_PORT``), e.g. to run two
copies of the suite at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
NODENAME = os.environ.get("KOERS_FAULTS_NODENAME", "koersfaults@localhost")
PG_PORT = int(os.environ.get("KOERS_FAULTS_PG_PORT", "55432"))
AMQP_PORT = int(os.environ.get("KOERS_FAULTS_AMQP_PORT", "55672"))
SHARED_PORTS = (5432, 5672, 15672, 25672)


class ServiceError(RuntimeError):
    """A private service could not be started (the message says why)."""


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(check: object, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} not ready within {timeout:.0f} s")
        time.sleep(interval)


def _run(argv: list[str], timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]


def _owned_dir(path: Path, user: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    shutil.chown(path, user, user)
    return path


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster in ``root`` (trust auth, fsync off: nothing outlives the run)."""

    def __init__(self, root: Path, port: int = PG_PORT) -> None:
        self.root = _owned_dir(root, "postgres")
        self.root.chmod(0o700)
        self.data = self.root / "data"
        self.port = port
        self.log = self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _pg(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return _run(["runuser", "-u", "postgres", "--", *args], timeout=timeout)

    def init(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise ServiceError(f"no PostgreSQL 15 binaries in {PG_BIN}")
        out = self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                       "--no-sync", "--no-locale")  # fmt: skip
        if out.returncode:
            raise ServiceError(f"initdb failed: {out.stderr[-2000:]}")

    def start(self) -> None:
        if port_open(self.port):
            raise ServiceError(f"port {self.port} is already in use (a leftover fault-suite cluster?)")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400")  # fmt: skip
        out = self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t",
                       "60", "start")  # fmt: skip
        if out.returncode:
            raise ServiceError(f"pg_ctl start failed: {out.stderr[-2000:]} {self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_up(self) -> bool:
        return port_open(self.port)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()


class PrivateRabbit:
    """A RabbitMQ node of our own: started detached as the ``rabbitmq`` user with every path in ``root``."""

    def __init__(self, root: Path, port: int = AMQP_PORT, nodename: str = NODENAME) -> None:
        self.root = _owned_dir(root, "rabbitmq")
        self.port = port
        self.dist_port = port + 1
        self.api_port = port + 2
        self.nodename = nodename
        self.pid_file = self.root / "rabbit.pid"
        for name in ("mnesia", "log"):
            _owned_dir(self.root / name, "rabbitmq")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{port}\nmanagement.tcp.ip = 127.0.0.1\n"
            f"management.tcp.port = {self.api_port}\n", encoding="ascii")  # fmt: skip
        (self.root / "rabbitmq-env.conf").write_text(
            'ERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n',
            encoding="ascii")  # fmt: skip
        (self.root / "enabled_plugins").write_text("[rabbitmq_management].\n", encoding="ascii")
        for path in self.root.iterdir():
            shutil.chown(path, "rabbitmq", "rabbitmq")

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "RABBITMQ_NODENAME": self.nodename, "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.root / "log"), "RABBITMQ_PID_FILE": str(self.pid_file),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
                "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
                "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf")}  # fmt: skip

    def url(self, vhost: str = "%2F") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    @property
    def api_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.api_port}/api"

    def start(self, timeout: float = 150) -> None:
        if shutil.which("rabbitmq-server") is None:
            raise ServiceError("no rabbitmq-server binary on this machine")
        if self.port in SHARED_PORTS or port_open(self.port):
            raise ServiceError(f"port {self.port} is already in use (a leftover fault-suite node?)")
        # Right after a stop or a kill, a detached start now and then never comes up and logs nothing (seen
        # twice in about ten restarts): when no VM of this node runs 15 s after a start, or one runs but is
        # still not ready after 45 s (a normal start takes 5-10 s), end it and start again.
        deadline = time.monotonic() + timeout
        while True:
            out = _run(["rabbitmq-server", "-detached"], env=self.env, cwd=str(self.root))
            if out.returncode:
                raise ServiceError(f"rabbitmq-server -detached failed: {out.stderr[-2000:]}")
            started = time.monotonic()
            while not self._ready():
                if time.monotonic() > deadline:
                    raise ServiceError(f"RabbitMQ node {self.nodename} not ready within {timeout:.0f} s; "
                                       f"its log ends: {self.log_tail()}")  # fmt: skip
                waited, pid = time.monotonic() - started, self.pid()
                if waited > 15 and pid is None:
                    break  # its VM is gone: start again
                if waited > 45 and pid is not None:
                    os.kill(pid, signal.SIGKILL)  # stuck before it logged anything: start again
                    wait_for(lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(pid), 30, "beam to die")
                    break
                time.sleep(0.2)
            else:
                return

    def _ready(self) -> bool:
        return port_open(self.port) and self._api_ok()

    def log_tail(self) -> str:
        logs = sorted((self.root / "log").glob("*.log"), key=lambda p: p.stat().st_mtime)
        return logs[-1].read_text(errors="replace")[-1500:] if logs else "(no log)"

    def pid(self) -> int | None:
        """The beam's pid, only when it is this node's (checked in its environment)."""
        try:
            pid = int(self.pid_file.read_text().strip())
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        mine = f"RABBITMQ_MNESIA_BASE={self.root / 'mnesia'}".encode()
        return pid if mine in environ else None

    def kill9(self) -> None:
        pid = self.pid()
        if pid is None:
            raise ServiceError("no running beam of our own node to kill")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(pid), 30, "beam to die")
        wait_for(lambda: not port_open(self.port), 30, "AMQP port to close")

    def stop(self) -> None:
        """A graceful stop, as an operator does it; returns when the node's VM has exited.

        The AMQP port closes before the VM has finished stopping (on a busy machine, seconds before): a
        start in that gap finds the node name still taken and its VM exits, so wait for the beam itself.
        """
        pid = self.pid()
        out = _run(["rabbitmqctl", "-n", self.nodename, "stop"], env=self.env)
        if out.returncode:
            raise ServiceError(f"rabbitmqctl stop failed: {out.stderr[-1000:]}")
        wait_for(lambda: not port_open(self.port), 60, "AMQP port to close")
        if pid is not None:
            wait_for(lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(pid), 60, "beam to exit")

    def terminate(self) -> None:
        """Teardown: kill our beam (the folder is removed afterwards, nothing needs a clean stop)."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while Path(f"/proc/{pid}").exists() and not _is_zombie(pid) and time.monotonic() < deadline:
                time.sleep(0.1)

    def is_up(self) -> bool:
        return port_open(self.port)

    # --- management API --------------------------------------------------------------------------

    def _api_ok(self) -> bool:
        try:
            self.api("GET", "/overview")
            return True
        except Exception:
            return False

    def api(self, method: str, path: str, body: object | None = None) -> object:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}/api{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json",
                     "authorization": "Basic " + b64encode(b"guest:guest").decode()},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def add_vhost(self, vhost: str) -> None:
        self.api("PUT", f"/vhosts/{vhost}")
        self.api("PUT", f"/permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})

    def delete_vhost(self, vhost: str) -> None:
        with contextlib.suppress(urllib.error.HTTPError):
            self.api("DELETE", f"/vhosts/{vhost}")

    def queues(self, vhost: str) -> list[dict[str, object]]:
        return self.api("GET", f"/queues/{vhost}") or []  # type: ignore[return-value]

    def peek(self, vhost: str, queue: str, count: int = 5000) -> list[dict[str, object]]:
        """Messages of ``queue`` without consuming them (get, then requeue)."""
        body = {"count": count, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 100_000}
        path = f"/queues/{vhost}/{urllib.parse.quote(queue, safe='')}/get"
        return self.api("POST", path, body) or []  # type: ignore[return-value]


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def cleanup_leftovers() -> list[Path]:
    """Stop and remove the services of earlier fault runs whose harness process is gone (killed -9, say).

    Only folders of this suite (``koers-faults-*`` with an ``owner.pid``) are touched, and only when
    that owner no longer runs, so a second copy of the suite that is still running is left alone.
    """
    removed = []
    for root in Path(tempfile.gettempdir()).glob("koers-faults-*"):
        try:
            owner = int((root / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if Path(f"/proc/{owner}").exists():
            continue
        rabbit = object.__new__(PrivateRabbit)  # only its pid file is needed to find and kill its beam
        rabbit.root, rabbit.pid_file = root / "rabbit", root / "rabbit" / "rabbit.pid"
        rabbit.terminate()
        if (root / "pg" / "data" / "postmaster.pid").exists():
            _run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(root / "pg" / "data"), "-m",
                  "immediate", "-w", "stop"])  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
        removed.append(root)
    return removed


class PrivateServices:
    """Both private services in one temporary folder; ``close()`` removes everything, also after a failure."""

    def __init__(self) -> None:
        cleanup_leftovers()
        self.root = Path(tempfile.mkdtemp(prefix="koers-faults-"))
        self.root.chmod(0o755)
        (self.root / "owner.pid").write_text(str(os.getpid()))
        self.postgres = PrivatePostgres(self.root / "pg")
        self.rabbit = PrivateRabbit(self.root / "rabbit")

    def start(self) -> PrivateServices:
        try:
            self.postgres.init()
            self.postgres.start()
            self.rabbit.start()
        except BaseException:
            self.close()
            raise
        return self

    def ensure_up(self) -> None:
        """Start a service a failed scenario left down, so the next scenario gets a fair start."""
        if not self.postgres.is_up():
            self.postgres.start()
        if not self.rabbit.is_up():
            self.rabbit.terminate()
            self.rabbit.start()

    def close(self, keep: bool = False) -> None:
        try:
            self.rabbit.terminate()
        finally:
            try:
                self.postgres.stop("immediate")
            finally:
                if not keep:
                    shutil.rmtree(self.root, ignore_errors=True)
