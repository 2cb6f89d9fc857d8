"""Everything Koers writes is owner-only from the start (0600 files, 0700 folders), whatever the umask.

An attacker with another account on the machine must never be able to open the database, the spool
(letters with names and addresses), the secret key or an intake file, not even for the moment between
creating a file and restricting it. The processes run under umask 022, the usual default that made
all of these 0644 and 0755 before.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text

from messaging.smtp_spool import SpoolMailer
from schema.db import make_engine
from testkit.flow import wait_until, write_config
from testkit.processes import free_port, spawn
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.leader import FileLeaderLock
from workers.services import secret_key
from workers.settings import load_settings

LOOSE = "umask 022 && exec \"$@\""


def modes(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (itself included) with its permission bits."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def loose_modes(root: Path) -> dict[str, str]:
    return {name: mode for name, mode in modes(root).items()
            if mode != (oct(0o700) if (root / name).is_dir() else oct(0o600))}  # fmt: skip


def koers_env(home: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_")}
    return env | {"KOERS_HOME": str(home), "KOERS_CONFIG": str(config)}


def test_koers_run_and_watch_under_umask_022_create_nothing_that_others_can_read(tmp_path: Path) -> None:
    # Given a fresh home (the embedded default: SQLite, spool, generated key) and a drop folder whose
    # feed the supplier wrote readable for all, as suppliers do
    home, inbox = tmp_path / "home" / "koers", tmp_path / "inbox"
    config = write_config(tmp_path / "koers.toml", inbound_listen=f"127.0.0.1:{free_port()}")
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f'[web]\nlisten = "127.0.0.1:{free_port()}"\n')
    inbox.mkdir()
    write_feed(inbox / "aanlevering.csv", generate_records(3, seed=13, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    os.chmod(inbox / "aanlevering.csv", 0o644)
    (inbox / "leeg.csv").touch()  # unreadable: goes to failed/ with its error
    env = koers_env(home, config)

    # When `koers run` starts on it (upgrading the fresh database itself) and `koers watch` takes the feed
    run = spawn("run", ["sh", "-c", LOOSE, "sh", sys.executable, "-m", "workers.cli", "run", "--threads", "2"], env,
                tmp_path / "run.log")  # fmt: skip
    try:
        run.wait_for_line("koers run: console op", 90)
        watch = spawn("watch", ["sh", "-c", LOOSE, "sh", sys.executable, "-m", "workers.cli", "watch", str(inbox),
                                "--once"], env, tmp_path / "watch.log")  # fmt: skip
        assert watch.popen.wait(90) == 0, watch.output()
        watch.fh.close()
        wait_until(lambda: len(list((home / "spool").glob("*.eml"))) >= 3, timeout=60)
    finally:
        run.stop()

    # Then every file is 0600 and every folder 0700, in the home and in the folders watch made
    assert {"koers.db", "secret.key", "spool"} <= set(os.listdir(home)), os.listdir(home)
    assert (inbox / "processed" / "aanlevering.csv.result.json").exists()
    assert (inbox / "failed" / "leeg.csv.result.json").exists()
    assert loose_modes(tmp_path / "home" / "koers") == {}
    assert oct(stat.S_IMODE((tmp_path / "home").stat().st_mode)) == oct(0o700)  # a parent Koers created
    assert loose_modes(inbox / "processed") == {} and loose_modes(inbox / "failed") == {}


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_functions_that_create_files_ask_for_private_modes_themselves(tmp_path: Path) -> None:
    # A library caller (a test, a benchmark, an embedding program) that did not set Koers' umask
    home = tmp_path / "a" / "home"
    with umask(0o022):
        engine = make_engine(f"sqlite:///{home / 'koers.db'}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        message = EmailMessage()
        message["Message-ID"] = "<notification.1.1@koers.example>"
        message.set_content("Brief aan J. Jansen, Hoofdstraat 1")
        SpoolMailer(home / "spool").send(message)
        settings = load_settings({"KOERS_HOME": str(home)})
        assert len(secret_key(settings)) >= 32
        lock = FileLeaderLock(home / "scheduler.lock")
        assert lock.try_acquire()
        (home / "demo").mkdir(mode=0o700)
        write_feed(home / "demo" / "aanlevering.csv", generate_records(2, seed=1, today=date.today(),
                                                                        mix=FeedMix(0, 0, 0, 0)))  # fmt: skip
        created = set(os.listdir(home))
        loose = loose_modes(tmp_path / "a")  # while the database is open: its -wal and -shm files exist
        lock.release()
        engine.dispose()

    assert {"koers.db", "koers.db-wal", "koers.db-shm", "secret.key", "scheduler.lock", "spool"} <= created
    assert loose == {}
