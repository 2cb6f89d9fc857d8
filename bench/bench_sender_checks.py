"""What Koers' own sender checks cost the gateway: ``verify`` against ``trusted-relay``, same run, alternating.

Sends DKIM-signed replies (the municipality's key, from a host in its SPF record) through the real
gateway (``koers mail-gateway``'s handler, in this process) into SQLite: once in ``verify`` mode, with
SPF, DKIM and DMARC answered by a local DNS server (``testkit.mail_dns``), once in ``trusted-relay``
mode with the relay's header. Rounds alternate (ABAB...) so the noisy shared machine affects both
alike; prints messages/s per round and the median ratio, and per round the median time of
``check_sender`` alone (wall clock, and the calling thread's CPU: the rest is waiting for the DNS
server, which runs in this process) with the medians over the rounds. Storing is the same in both
modes; the difference is the checks.

Usage: ``.venv/bin/python bench/bench_sender_checks.py [--messages 200] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from messaging.sender_auth import AuthMode  # noqa: E402
from messaging.smtp_checks import check_sender, use_nameservers  # noqa: E402
from messaging.tokens import reply_address  # noqa: E402
from schema import migrate  # noqa: E402
from testkit.flow import TEST_INBOUND, fast_settings, relay_results  # noqa: E402
from testkit.mail_dns import DkimKey, MailDns  # noqa: E402
from testkit.processes import free_port  # noqa: E402
from workers.bootstrap import bootstrap  # noqa: E402
from workers.mail_gateway import gateway_handler, start_gateway  # noqa: E402
from workers.services import secret_key  # noqa: E402

DOMAIN = "gm0080.example"


def message(n: int, to: str, key: DkimKey, relay: bool) -> bytes:
    m = EmailMessage()
    if relay:
        m["Authentication-Results"] = relay_results(DOMAIN)
    m["From"] = f"Medewerker <anne@{DOMAIN}>"
    m["To"] = to
    m["Subject"] = f"RE: [ZM-{n:06d}] Zelfmelder"
    m.set_content("Contact: ja\nVorm van contact: reactie op brief\nActies uitgezet: nee\n" + "tekst\n" * 40)
    return key.sign(m.as_bytes(policy=SMTP))


def run(mode: AuthMode, messages: int, dns: MailDns, key: DkimKey, folder: Path) -> float:
    inbound = replace(TEST_INBOUND, authentication=mode, nameservers=(dns.nameserver,),
                      authserv_id=None if mode is AuthMode.VERIFY else TEST_INBOUND.authserv_id)  # fmt: skip
    app = bootstrap(fast_settings(folder, f"sqlite:///{folder / f'{mode.value}.db'}", inbound=inbound))
    migrate.upgrade(app.engine)
    to = reply_address(secret_key(app.settings), 1, "GM0080", app.settings.reply_domain)
    data = [message(n, to, key, mode is AuthMode.TRUSTED_RELAY) for n in range(messages)]
    port = free_port()
    controller = start_gateway(gateway_handler(app), f"127.0.0.1:{port}")
    try:
        with smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.2", 0), local_hostname="mail." + DOMAIN) as c:
            started = time.perf_counter()
            for raw in data:
                c.sendmail(f"anne@{DOMAIN}", [to], raw)
            elapsed = time.perf_counter() - started
    finally:
        controller.stop()
        app.dispose()
    return messages / elapsed


def check_alone(sample: bytes, dns: MailDns, calls: int = 100) -> tuple[float, float]:
    """Median wall-clock and calling-thread CPU seconds of one ``check_sender`` of a signed reply."""
    use_nameservers([dns.nameserver])
    walls, cpus = [], []
    for _ in range(calls):
        started, cpu = time.perf_counter(), time.thread_time()
        check_sender(sample, ip="127.0.0.2", mail_from=f"anne@{DOMAIN}", helo="mail." + DOMAIN,
                     authserv_id="antwoord.koers.example")  # fmt: skip
        walls.append(time.perf_counter() - started)
        cpus.append(time.thread_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    key = DkimKey(DOMAIN, bits=2048)
    dns = MailDns({DOMAIN: ["v=spf1 ip4:127.0.0.2 -all"], f"_dmarc.{DOMAIN}": ["v=DMARC1; p=reject"],
                   key.dns_name: [key.record]}).start()  # fmt: skip
    try:
        ratios, walls, cpus = [], [], []
        sample = message(0, "x@antwoord.koers.example", key, relay=False)
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(args.rounds):
                folder = Path(tmp) / str(n)
                folder.mkdir()
                relay = run(AuthMode.TRUSTED_RELAY, args.messages, dns, key, folder)
                verify = run(AuthMode.VERIFY, args.messages, dns, key, folder)
                wall, cpu = check_alone(sample, dns)
                ratios.append(verify / relay)
                walls.append(wall)
                cpus.append(cpu)
                print(f"round {n + 1}: trusted-relay {relay:7.1f} msg/s   verify {verify:7.1f} msg/s   "
                      f"ratio {verify / relay:.2f}   check_sender alone {wall * 1000:5.1f} ms "
                      f"({1 / wall:5.0f}/s, CPU {cpu * 1000:4.1f} ms)")  # fmt: skip
        wall = statistics.median(walls)
        print(f"median ratio verify/trusted-relay: {statistics.median(ratios):.2f}; check_sender alone "
              f"(SPF + 2048-bit DKIM + DMARC, local DNS): median {wall * 1000:.1f} ms = {1 / wall:.0f} messages/s, "
              f"CPU of the calling thread {statistics.median(cpus) * 1000:.1f} ms")  # fmt: skip
    finally:
        dns.stop()


if __name__ == "__main__":
    main()
