"""A real IMAP server for mailbox-mode tests: Debian's Dovecot with a private config in a temporary folder.

Dovecot (``dovecot-imapd``, installed by ``.ci/run``) offers IDLE, MOVE and UIDPLUS as Exchange
Online and every mainstream server do, and starts in well under a second. The server listens on
a free port of 127.0.0.1 with implicit TLS only (Koers' default), with a certificate made for the
run by ``trustme`` (``ca_file`` trusts it). Any user name logs in with ``PASSWORD`` and gets an empty mailbox of
its own, so tests share one server and never see each other's mail. Run as root (CI), Dovecot
drops to its own users and keeps the mail as ``nobody``; run as anyone else, it runs as that user.
"""

from __future__ import annotations

import getpass
import os
import shutil
import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import trustme
from imapclient import IMAPClient

from testkit.processes import Proc, free_port, spawn

PASSWORD = "imap-test-wachtwoord"  # noqa: S105  (a test server's password)
DOVECOT = "/usr/sbin/dovecot"


def dovecot_installed() -> bool:
    return Path(DOVECOT).exists()


@dataclass
class ImapServer:
    """A running Dovecot; ``stop()`` ends it and removes its folder."""

    proc: Proc
    port: int
    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    def client(self, user: str) -> IMAPClient:
        """A logged-in client as a test (or the mail provider delivering mail) uses it."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = IMAPClient("127.0.0.1", port=self.port, ssl=True, ssl_context=context, timeout=30)
        client.login(user, PASSWORD)
        return client

    def deliver(self, user: str, *raws: bytes, folder: str = "INBOX") -> None:
        """Put messages in a mailbox as the provider's delivery would (IMAP APPEND), oldest first."""
        with self.client(user) as client:
            for raw in raws:
                client.append(folder, raw)

    def uids(self, user: str, folder: str) -> list[int]:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(int(u) for u in client.search(["NOT", "DELETED"]))

    def log(self) -> str:
        """Dovecot's own log: logins, and per session the bytes it sent (``out=``)."""
        path = self.folder / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def damage_only_message(self, user: str) -> None:
        """Cut the mailbox's one message file in half on disk, as a damaged mail store would have it."""
        maildir = self.folder / "home" / user / "Maildir"
        (only,) = [*maildir.glob("new/*"), *maildir.glob("cur/*")]
        data = only.read_bytes()
        only.write_bytes(data[: len(data) // 2])

    def stop(self) -> None:
        self.proc.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_imap_server() -> ImapServer:
    folder = Path(tempfile.mkdtemp(prefix="koers-imap-"))
    folder.chmod(0o755)  # Dovecot's own users must reach the config, the certificate and the mail
    for sub in ("run", "state", "home"):
        (folder / sub).mkdir()
    _certificate(folder)
    port = free_port()
    (folder / "dovecot.conf").write_text(_config(folder, port), encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(folder / "home", "nobody", "nogroup")
    proc = spawn("dovecot", [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")], dict(os.environ),
                 folder / "dovecot.out", tied=True)  # fmt: skip
    server = ImapServer(proc, port, folder)
    _wait_until_listening(server)
    return server


def _certificate(folder: Path) -> None:
    """A CA of the test's own (``ca.pem``, what ``ca_file`` trusts) and the server's certificate from it."""
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    issued.private_key_pem.write_to_path(str(folder / "key.pem"))
    for pem in issued.cert_chain_pems:
        pem.write_to_path(str(folder / "cert.pem"), append=True)
    (folder / "key.pem").chmod(0o644)  # read by Dovecot's login processes; a throwaway key


def _config(folder: Path, port: int) -> str:
    root = os.geteuid() == 0
    internal, login = ("dovecot", "dovenull") if root else (getpass.getuser(), getpass.getuser())
    mail_user = "uid=nobody gid=nogroup" if root else f"uid={os.getuid()} gid={os.getgid()}"
    rootless = "" if root else "service anvil {\n  chroot =\n}\n"
    return f"""instance_name = koers-test-{port}
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
auth_mechanisms = plain
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = {mail_user} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
# IDLE learns of new mail by inotify; when the machine's inotify instances run out (128 per user), Dovecot
# looks every mailbox_idle_check_interval instead (30 s by default): 1 s keeps the tests independent of that.
mailbox_idle_check_interval = 1 secs
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  {"" if root else "chroot ="}
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
{rootless}"""


def _wait_until_listening(server: ImapServer, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.client("probe").logout()
            return
        except OSError as exc:
            if not server.proc.is_alive() or time.monotonic() > deadline:
                log = server.folder / "dovecot.log"
                text = log.read_text(errors="replace") if log.exists() else ""
                server.stop()
                raise RuntimeError(f"Dovecot did not start: {exc}\n{server.proc.output()}\n{text}") from exc
            time.sleep(0.05)
