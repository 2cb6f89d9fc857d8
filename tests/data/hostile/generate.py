"""Writes the hostile-mail corpus: ≥ 200 ``.eml`` files built to hurt a mail reader, plus ``MANIFEST.toml``.

Deterministic (fixed seed, no clock): running it again rewrites the same bytes. Families: huge
headers, deep nesting, broken MIME boundaries, bad encodings, header injection, NUL bytes,
delivery reports for ids Koers never sent, forged reply tokens, automatic replies and loops, and
assorted garbage. Nothing here is personal data; every name is invented and every domain is
reserved (``.example``).

Two placeholders make a file usable on a trusted path: ``{{reply_to}}`` (the signed Reply-To
address of a real case) and ``{{staff}}`` (a sender address of that case's municipality). The
fault suite substitutes them for the ``trusted_*`` files; left as they are (as in ``koers replies
import`` of the plain files), they are simply no valid token and no trusted sender.

The one message over the gateway's 10 MB limit is not stored here (it would only bloat the
repository); the fault suite builds it at run time.

Usage: ``python tests/data/hostile/generate.py`` (writes next to itself).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPLY_DOMAIN = "antwoord.koers.example"
SENDER = "zelfmelders@koers.example"
FIELDS = (b"Contact: ja\r\nVorm van contact: reactie op brief\r\nActies uitgezet: ja\r\nLeefgebieden: huisvesting\r\n"
          b"Al bekend bij hulpverlening: nee\r\nToelichting: gesprek gehad\r\n")  # fmt: skip
# Final states a stored message may end in; untrusted mail can never record an outcome.
UNTRUSTED = ("rejected", "quarantined", "ignored", "bounce")
ANY = ("processed", "needs_review", "rejected", "quarantined", "ignored", "bounce")

Mail = tuple[str, bytes, tuple[str, ...], str]  # name, bytes, allowed final states, what it tries


def head(subject: bytes = b"RE: [ZM-000001] Zelfmelder", sender: bytes = b"Medewerker <medewerker@gm0080.example>",
         to: bytes = b"zm1-gm0080-aaaaaaaaaaaaaaaaaaaaaaaaaa@" + REPLY_DOMAIN.encode(), extra: bytes = b"",
         message_id: bytes | None = None) -> bytes:  # fmt: skip
    mid = message_id if message_id is not None else b"<hostile-" + subject[-6:].hex().encode() + b"@gm0080.example>"
    return (b"From: " + sender + b"\r\nTo: " + to + b"\r\nSubject: " + subject + b"\r\nMessage-ID: " + mid
            + b"\r\nDate: Mon, 03 Mar 2025 10:00:00 +0100\r\nMIME-Version: 1.0\r\n" + extra)  # fmt: skip


def plain(body: bytes, **kwargs: bytes) -> bytes:
    return head(**kwargs) + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body


def huge_headers(rng: random.Random) -> Iterator[Mail]:
    yield "subject_200k", plain(FIELDS, subject=b"RE: " + b"x" * 200_000), UNTRUSTED, "one 200 kB Subject"
    yield "header_folded_8000", plain(FIELDS, extra=b"X-Big: " + b"a\r\n ".join([b"y" * 20] * 8_000) + b"\r\n"), \
        UNTRUSTED, "one header folded over 8,000 lines"  # fmt: skip
    yield "headers_5000", plain(FIELDS, extra=b"".join(b"X-H%d: v\r\n" % i for i in range(5000))), UNTRUSTED, \
        "5,000 header fields"  # fmt: skip
    yield "received_3000", plain(FIELDS, extra=b"Received: from a by b; Mon, 3 Mar 2025 10:00:00 +0100\r\n" * 3000), \
        UNTRUSTED, "3,000 Received lines (a loop)"  # fmt: skip
    to_list = b", ".join(b"x%d@%s" % (i, REPLY_DOMAIN.encode()) for i in range(5_000))
    yield "to_5000", plain(FIELDS, to=to_list), UNTRUSTED, "5,000 recipients in To"
    yield "line_no_crlf_300k", head() + b"Content-Type: text/plain\r\n\r\n" + b"z" * 300_000, UNTRUSTED, \
        "a 300 kB body line"  # fmt: skip
    yield "header_name_long", plain(FIELDS, extra=b"X-" + b"N" * 20_000 + b": v\r\n"), UNTRUSTED, "a 20 kB header name"
    yield "from_10k_addresses", plain(FIELDS, sender=b", ".join(b"a%d@gm0080.example" % i for i in range(3_000))), \
        UNTRUSTED, "3,000 addresses in From"  # fmt: skip
    yield "message_id_100k", plain(FIELDS, message_id=b"<" + b"m" * 50_000 + b"@x>"), UNTRUSTED, "a 50 kB Message-ID"
    yield "refs_20000", plain(FIELDS, extra=b"References: " + b" ".join(b"<r%d@x>" % i for i in range(20_000))
                              + b"\r\n"), UNTRUSTED, "20,000 References"  # fmt: skip
    for n in range(4):
        blob = bytes(rng.randrange(33, 127) for _ in range(20_000)).replace(b":", b";")
        yield f"header_random_{n}", plain(FIELDS, extra=b"X-Noise: " + blob + b"\r\n"), UNTRUSTED, "random header"


def nesting(rng: random.Random) -> Iterator[Mail]:
    for depth in (20, 60, 150, 600, 3000):
        parts = [head() + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"]
        parts += [b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i) for i in range(1, depth)]
        parts.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\n" % (depth - 1) + FIELDS)
        yield f"multipart_depth_{depth}", b"".join(parts), UNTRUSTED, f"multipart nested {depth} deep"
    for depth in (10, 100, 400):
        inner = plain(FIELDS)
        for _ in range(depth):
            inner = head(subject=b"Fwd: doorgestuurd") + b"Content-Type: message/rfc822\r\n\r\n" + inner
        yield f"rfc822_depth_{depth}", inner, UNTRUSTED, f"message/rfc822 nested {depth} deep"
    for count in (1000, 20_000):
        body = b"".join(b"--x\r\n\r\n%d\r\n" % i for i in range(count)) + b"--x--\r\n"
        yield f"parts_{count}", head() + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + body, UNTRUSTED, \
            f"{count} sibling parts"  # fmt: skip
    yield "alternative_loop", head() + b"Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: " \
        b"multipart/alternative; boundary=a\r\n\r\n--a\r\n--a\r\n--a--\r\n--a--\r\n", UNTRUSTED, "a part reusing its parent's boundary"  # fmt: skip
    yield "html_tag_bomb", head() + b"Content-Type: text/html\r\n\r\n" + b"<div>" * 40_000 + FIELDS, UNTRUSTED, \
        "40,000 nested HTML tags"  # fmt: skip


def boundaries(rng: random.Random) -> Iterator[Mail]:
    bodies = {
        "never_closed": b"--abc\r\nContent-Type: text/plain\r\n\r\n" + FIELDS,
        "never_used": FIELDS,
        "text_after_end": b"--abc\r\n\r\n--abc--\r\n" + FIELDS,
        "truncated_header": b"--abc\r\nContent-Type: text/pl",
        "lf_only": (b"--abc\nContent-Type: text/plain\n\n" + FIELDS.replace(b"\r\n", b"\n") + b"--abc--\n"),
        "cr_only": (b"--abc\rContent-Type: text/plain\r\r" + FIELDS.replace(b"\r\n", b"\r") + b"--abc--\r"),
        "boundary_in_body": b"--abc\r\nContent-Type: text/plain\r\n\r\nContact: ja --abc-- nee\r\n--abc--\r\n",
        "empty_parts": b"--abc\r\n--abc\r\n--abc\r\n--abc--\r\n",
        "only_close": b"--abc--\r\n",
        "garbage_preamble": bytes(rng.randrange(256) for _ in range(4000)) + b"\r\n--abc\r\n\r\n" + FIELDS,
    }
    for name, body in bodies.items():
        yield f"boundary_{name}", head() + b'Content-Type: multipart/mixed; boundary="abc"\r\n\r\n' + body, UNTRUSTED, \
            f"broken boundary: {name}"  # fmt: skip
    for name, param in (("missing", b""), ("empty", b'; boundary=""'), ("long", b"; boundary=" + b"q" * 5000),
                        ("spaces", b'; boundary="  a b  "'), ("nul", b'; boundary="a\x00b"'),
                        ("twice", b"; boundary=a; boundary=b"), ("unicode", "; boundary=\"\u00e9\u00e9\"".encode()),
                        ("semicolons", b"; boundary=;;;;"), ("quote_open", b'; boundary="abc'),
                        ("star", b"; boundary*=utf-8''%FF%FE")):  # fmt: skip
        yield f"boundary_param_{name}", head() + b"Content-Type: multipart/mixed" + param + b"\r\n\r\n--a\r\n\r\n" \
            + FIELDS + b"--a--\r\n", UNTRUSTED, f"boundary parameter {name}"  # fmt: skip


def encodings(rng: random.Random) -> Iterator[Mail]:
    cte = {
        "base64_garbage": (b"base64", b"!!!!****" * 200),
        "base64_truncated": (b"base64", base64.b64encode(FIELDS)[:-3]),
        "base64_with_nul": (b"base64", base64.b64encode(FIELDS)[:20] + b"\x00" + base64.b64encode(FIELDS)[20:]),
        "base64_huge_line": (b"base64", base64.b64encode(FIELDS * 1000)),
        "qp_invalid": (b"quoted-printable", b"Contact: ja=ZZ=\r\n=0=1=\r\n" + FIELDS),
        "qp_soft_break_eof": (b"quoted-printable", FIELDS + b"="),
        "uuencode": (b"x-uuencode", b"begin 644 a\r\n#86)C\r\n`\r\nend\r\n"),
        "bogus_cte": (b"x-bogus-encoding", FIELDS),
        "binary_cte": (b"binary", bytes(rng.randrange(256) for _ in range(3000))),
        "seven_bit_with_8bit": (b"7bit", FIELDS + "Toelichting: \u00e9\u00e9n gesprek\r\n".encode()),
    }
    for name, (encoding, body) in cte.items():
        yield f"cte_{name}", head() + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " \
            + encoding + b"\r\n\r\n" + body, UNTRUSTED, f"transfer encoding: {name}"  # fmt: skip
    charsets = {
        "unknown": (b"x-unknown-charset", FIELDS),
        "utf7": (b"utf-7", b"Contact: +AGoAYQ-\r\n"),
        "utf16_no_bom": (b"utf-16", FIELDS.decode().encode("utf-16-le")),
        "utf32": (b"utf-32", FIELDS.decode().encode("utf-32")),
        "declared_cp1252_utf8_bytes": (b"windows-1252", "Toelichting: caf\u00e9 \u20ac5\r\n".encode() + FIELDS),
        "declared_utf8_latin1_bytes": (b"utf-8", "Toelichting: caf\u00e9\r\n".encode("latin-1") + FIELDS),
        "invalid_utf8": (b"utf-8", b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\r\n" + FIELDS),
        "overlong_utf8": (b"utf-8", b"\xc0\xaf\xe0\x80\xaf" + FIELDS),
        "charset_nul": (b"utf\x00-8", FIELDS),
        "charset_huge": (b"x" * 10_000, FIELDS),
        "ebcdic": (b"cp500", FIELDS.decode().encode("cp500")),
        "shift_jis_garbage": (b"shift_jis", bytes(rng.randrange(128, 256) for _ in range(2000))),
    }
    for name, (charset, body) in charsets.items():
        yield f"charset_{name}", head() + b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\n" + body, \
            UNTRUSTED, f"charset: {name}"  # fmt: skip
    words = {
        "b_broken": b"=?utf-8?B?!!!?=", "q_broken": b"=?utf-8?Q?=ZZ=?=", "unknown_charset": b"=?x-foo?Q?abc?=",
        "nested": b"=?utf-8?B?PT91dGYtOD9CP1BUOTE/PQ==?=", "huge": b"=?utf-8?B?" + base64.b64encode(b"a" * 100_000) + b"?=",
        "unterminated": b"=?utf-8?Q?abc", "8bit_raw": "RE: caf\u00e9 \u2603".encode(),
        "latin1_raw": "RE: caf\u00e9".encode("latin-1"),
    }  # fmt: skip
    for name, subject in words.items():
        yield f"encoded_word_{name}", plain(FIELDS, subject=subject), UNTRUSTED, f"encoded word in Subject: {name}"


def injection(rng: random.Random) -> Iterator[Mail]:
    cases = {
        "subject_crlf_bcc": {"subject": b"RE: hallo\r\nBcc: victim@elders.example"},
        "encoded_crlf_subject": {"subject": b"=?utf-8?Q?RE=3A_a=0D=0ABcc=3A_x=40evil.example?="},
        "encoded_crlf_from": {"sender": b"=?utf-8?Q?Jan=0D=0ATo=3A_x=40evil.example?= <jan@gm0080.example>"},
        "bare_cr_header": {"extra": b"X-A: a\rBcc: x@evil.example\r\n"},
        "bare_lf_header": {"extra": b"X-A: a\nBcc: x@evil.example\r\n"},
        "u2028_subject": {"subject": "RE: a\u2028Bcc: x@evil.example".encode()},
        "nel_subject": {"subject": "RE: a\u0085Bcc: x@evil.example".encode()},
        "display_name_token": {
            "sender": b'"zm1-gm0080-aaaaaaaaaaaaaaaaaaaaaaaaaa@antwoord.koers.example" <x@evil.example>'
        },
        "from_two_addresses": {"sender": b"a@gm0080.example, b@evil.example"},
        "from_encoded_at": {"sender": b"=?utf-8?Q?medewerker=40gm0080=2Eexample?= <x@evil.example>"},
        "from_group": {"sender": b"undisclosed:;"},
        "from_route": {"sender": b"<@evil.example:medewerker@gm0080.example>"},
        "from_comment": {"sender": b"medewerker(@gm0080.example)@evil.example"},
        "from_quoted_at": {"sender": b'"medewerker@gm0080.example"@evil.example'},
        "from_empty": {"sender": b""},
        "from_angle_only": {"sender": b"<>"},
        "to_injection": {"to": b"x@antwoord.koers.example\r\nCc: y@evil.example"},
        "header_name_space": {"extra": b"Reply To: x@evil.example\r\nX Test : y\r\n"},
        "header_no_colon": {"extra": b"this line has no colon at all\r\n"},
        "folded_first_line": {"extra": b" continuation without a header\r\n"},
    }
    for name, kwargs in cases.items():
        yield f"inject_{name}", plain(FIELDS, **kwargs), UNTRUSTED, f"header injection: {name}"
    dup = head() + b"From: other@evil.example\r\nTo: z@antwoord.koers.example\r\nMessage-ID: <second@x>\r\n" \
        b"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n" + FIELDS  # fmt: skip
    yield "inject_duplicate_headers", dup, UNTRUSTED, "duplicate From, To, Message-ID and Content-Type"
    body = FIELDS + b"\r\n\r\nBcc: x@evil.example\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n"
    yield "inject_headers_in_body", plain(body), UNTRUSTED, "header-like lines in the body"


def nul_bytes(rng: random.Random) -> Iterator[Mail]:
    yield "nul_in_subject", plain(FIELDS, subject=b"RE: a\x00b"), UNTRUSTED, "NUL in Subject"
    yield "nul_in_from", plain(FIELDS, sender=b"medewerker\x00@gm0080.example"), UNTRUSTED, "NUL in From"
    yield "nul_in_to", plain(FIELDS, to=b"zm1-gm0080-aaaa\x00@antwoord.koers.example"), UNTRUSTED, "NUL in To"
    yield "nul_in_message_id", plain(FIELDS, message_id=b"<a\x00b@x>"), UNTRUSTED, "NUL in Message-ID"
    yield "nul_in_header_name", plain(FIELDS, extra=b"X-\x00Evil: v\r\n"), UNTRUSTED, "NUL in a header name"
    yield "nul_in_body", plain(FIELDS.replace(b"ja", b"j\x00a")), UNTRUSTED, "NUL inside the answer fields"
    yield "nul_body_only", plain(b"\x00" * 5000), UNTRUSTED, "a body of NULs"
    yield "nul_everywhere", b"\x00".join(plain(FIELDS).split(b"\r\n")), UNTRUSTED, "NUL instead of line ends"
    yield "nul_only", b"\x00" * 2048, UNTRUSTED, "only NUL bytes"
    yield "nul_in_html", head() + b"Content-Type: text/html\r\n\r\n<p>Contact:\x00 ja</p>\x00<p>Acties: ja</p>", \
        UNTRUSTED, "NUL in HTML"  # fmt: skip
    yield "nul_in_base64", head() + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" \
        + base64.b64encode(b"Contact: ja\x00\x00\r\nToelichting: \x00\r\n"), UNTRUSTED, "NUL in decoded base64"  # fmt: skip
    yield "nul_in_filename", head() + b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: " \
        b"text/plain\r\n\r\n" + FIELDS + b"--z\r\nContent-Disposition: attachment; filename=\"a\x00.pdf\"\r\n\r\n" \
        b"%PDF\r\n--z--\r\n", UNTRUSTED, "NUL in an attachment's file name"  # fmt: skip
    for n in range(3):
        blob = bytearray(plain(FIELDS))
        for _ in range(40):
            blob[rng.randrange(len(blob))] = 0
        yield f"nul_random_{n}", bytes(blob), UNTRUSTED, "40 random bytes set to NUL"


def dsn(message_id: bytes, status: bytes = b"5.1.1", action: bytes = b"failed", to: bytes = SENDER.encode(),
        original: bytes | None = None) -> bytes:  # fmt: skip
    original = original if original is not None else b"Message-ID: " + message_id + b"\r\nSubject: Zelfmelder\r\n"
    return (b"From: Mail Delivery System <MAILER-DAEMON@mx.elders.example>\r\nTo: " + to + b"\r\nSubject: "
            b"Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-" + message_id.strip(b"<>")[:40].replace(b"@", b".")
            + b"@mx.elders.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; "
            b"report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.elders.example\r\n\r\n"
            b"Final-Recipient: rfc822; zelfmelders@gm0080.example\r\nAction: " + action + b"\r\nStatus: " + status
            + b"\r\n\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\n" + original + b"\r\n--r--\r\n")  # fmt: skip


def reports(rng: random.Random) -> Iterator[Mail]:
    ids = [b"<zm-999999.notification.1@koers.example>", b"<zm-000000.notification.1@koers.example>",
           b"<zm-123456789012.reminder.9@koers.example>", b"<zm-000001.escalation.1@elders.example>",
           b"<unknown@nowhere.example>", b"<>", b"<" + b"z" * 5000 + b"@koers.example>",
           b"<zm-000001.notification.1@koers.example> <zm-000002.notification.1@koers.example>",
           b"<zm-000001.notificati\x00on.1@koers.example>", b"zm-000003.notification.1@koers.example"]  # fmt: skip
    for n, mid in enumerate(ids):
        yield f"dsn_unknown_id_{n}", dsn(mid), ("ignored", "rejected", "quarantined"), "a DSN for an id Koers never sent"
    yield "dsn_delayed_only", dsn(ids[0], b"4.4.7", b"delayed"), ("ignored", "rejected"), \
        "a delay notice, not a failure"  # fmt: skip
    yield "dsn_delivered", dsn(ids[0], b"2.0.0", b"delivered"), ("ignored", "bounce", "rejected", "quarantined"), \
        "a delivery receipt"  # fmt: skip
    yield "dsn_no_status_part", (b"From: MAILER-DAEMON@mx.elders.example\r\nTo: " + SENDER.encode() + b"\r\nSubject: "
                                 b"Undeliverable: Zelfmelder\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; "
                                 b"report-type=delivery-status; boundary=r\r\n\r\n--r\r\n\r\nkapot\r\n--r--\r\n"), \
        ("rejected", "quarantined", "ignored"), "a DSN without its status part"  # fmt: skip
    yield "dsn_1000_recipients", dsn(ids[0]).replace(b"Final-Recipient: rfc822; zelfmelders@gm0080.example\r\n",
        b"".join(b"Final-Recipient: rfc822; r%d@x.example\r\nAction: failed\r\nStatus: 5.0.0\r\n\r\n" % i
                 for i in range(1000))), ("ignored", "rejected", "quarantined"), "a DSN for 1,000 recipients"  # fmt: skip
    yield "dsn_text_bounce", (b"From: postmaster@mx.elders.example\r\nTo: " + SENDER.encode() + b"\r\nSubject: "
                              b"Delivery Status Notification (Failure)\r\nMessage-ID: <tb@mx>\r\n\r\nYour message to "
                              b"zelfmelders@gm0080.example could not be delivered.\r\nMessage-ID: <zm-999998.notification.1"
                              b"@koers.example>\r\n"), ("ignored", "rejected", "quarantined"), "a plain-text bounce"  # fmt: skip
    yield "dsn_exchange_ndr", dsn(ids[0]).replace(b"multipart/report", b"multipart/mixed"), \
        ("rejected", "quarantined", "ignored"), "an NDR without the report type"  # fmt: skip
    yield "dsn_dmarc_fail", b"Authentication-Results: mx; dmarc=fail\r\n" + dsn(ids[0]), ("ignored", "rejected"), \
        "a forged DSN, not at a signed VERP address (its own DMARC header decides nothing)"  # fmt: skip
    for n in range(5):
        mid = b"<zm-%06d.%s.%d@koers.example>" % (
            rng.randrange(10**6),
            rng.choice([b"notification", b"reminder"]),
            n + 1,
        )
        yield f"dsn_random_{n}", dsn(mid, status=b"5.%d.%d" % (rng.randrange(8), rng.randrange(8))), \
            ("ignored", "rejected", "quarantined"), "a DSN for a random zm id"  # fmt: skip


def tokens(rng: random.Random) -> Iterator[Mail]:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"

    def mac(length: int = 26) -> str:
        return "".join(rng.choice(alphabet) for _ in range(length))

    forged = [f"zm1-gm0080-{mac()}", f"zm2-gm0014-{mac()}", f"ZM3-GM0080-{mac().upper()}", f"zm4-gm9999-{mac()}",
              f"zm5-gm0080-{mac(27)}", f"zm6-gm0080-{mac(25)}", f"zm0-gm0080-{mac()}", f"zm-1-gm0080-{mac()}",
              f"zm007-gm0080-{mac()}", f"zm{10**18}-gm0080-{mac()}", f"zm8-gm80-{mac()}", f"zm9-gm0080-{mac()}1",
              f"zelfmelders+zm10-gm0080-{mac()}", f"zm11-gm0080-{mac().replace('a', '0')}", "zm12-gm0080-",
              f"zm\u0661\u0662-gm0080-{mac()}", f"zm13-gm0080-{mac()}+zm14-gm0080-{mac()}", f"zm15\u200b-gm0080-{mac()}",
              f"zm16-gm0080-{mac()}.", f"\"zm17-gm0080-{mac()}\""]  # fmt: skip
    for n, local in enumerate(forged):
        to = f"{local}@{REPLY_DOMAIN}".encode()
        yield f"token_forged_{n:02d}", plain(FIELDS, to=to, subject=b"RE: [ZM-%06d] Zelfmelder" % (n + 1)), UNTRUSTED, \
            "a forged or garbled reply token"  # fmt: skip
    yield "token_other_domain", plain(FIELDS, to=f"zm1-gm0080-{mac()}@elders.example".encode()), UNTRUSTED, \
        "a token at another domain"  # fmt: skip
    yield "token_only_in_reply_to_header", plain(FIELDS, to=b"x@antwoord.koers.example",
                                                 extra=f"Reply-To: zm1-gm0080-{mac()}@{REPLY_DOMAIN}\r\n".encode()), \
        UNTRUSTED, "a token only in Reply-To"  # fmt: skip
    yield "token_in_subject", plain(FIELDS, to=b"x@antwoord.koers.example",
                                    subject=f"RE: zm1-gm0080-{mac()}@{REPLY_DOMAIN}".encode()), UNTRUSTED, "a token in the Subject"  # fmt: skip
    yield "token_two_in_to_cc", plain(FIELDS, to=f"zm1-gm0080-{mac()}@{REPLY_DOMAIN}".encode(),
                                      extra=f"Cc: zm2-gm0080-{mac()}@{REPLY_DOMAIN}\r\n".encode()), UNTRUSTED, "two tokens"  # fmt: skip
    yield "references_only", plain(FIELDS, to=b"x@antwoord.koers.example",
                                   extra=b"In-Reply-To: <zm-000001.notification.1@koers.example>\r\n"), UNTRUSTED, \
        "correlated by In-Reply-To only, no token"  # fmt: skip
    yield "subject_reference_only", plain(FIELDS, to=b"x@antwoord.koers.example"), UNTRUSTED, \
        "correlated by the subject's case reference only"  # fmt: skip


def automatic(rng: random.Random) -> Iterator[Mail]:
    extras = {"auto_replied": b"Auto-Submitted: auto-replied\r\n", "auto_generated": b"Auto-Submitted: auto-generated\r\n",
              "precedence_bulk": b"Precedence: bulk\r\n", "x_autoreply": b"X-Autoreply: yes\r\n",
              "x_auto_response_suppress": b"X-Auto-Response-Suppress: All\r\nAuto-Submitted: auto-replied\r\n",
              "list_id": b"List-Id: <zelfmelders.lists.example>\r\n", "resent_from": b"Resent-From: a@b.example\r\n"}  # fmt: skip
    for name, extra in extras.items():
        yield f"auto_{name}", plain(FIELDS, extra=extra), UNTRUSTED, f"automatic: {name}"
    yield "auto_ooo_subject", plain(FIELDS, subject=b"Automatisch antwoord: Zelfmelder"), UNTRUSTED, "out of office"
    yield "loop_own_notification", plain(FIELDS, sender=f"Zelfmelders 3Noord <{SENDER}>".encode(),
                                         extra=b"Auto-Submitted: auto-generated\r\n",
                                         message_id=b"<zm-000001.notification.1@koers.example>"), UNTRUSTED, \
        "our own notification coming back (a mail loop)"  # fmt: skip
    yield "read_receipt", plain(b"Uw bericht is gelezen.\r\n", subject=b"Gelezen: Zelfmelder",
                                extra=b"Content-Type: multipart/report; report-type=disposition-notification\r\n"), \
        UNTRUSTED, "a read receipt"  # fmt: skip


def garbage(rng: random.Random) -> Iterator[Mail]:
    yield "empty", b"", UNTRUSTED, "zero bytes"
    yield "only_headers", head(), UNTRUSTED, "headers, no body"
    yield "only_body", FIELDS, UNTRUSTED, "a body without headers"
    yield "blank_lines_100k", plain(b"\r\n" * 50_000 + FIELDS), UNTRUSTED, "50,000 blank lines first"
    yield "fields_repeated", plain(FIELDS * 1500), UNTRUSTED, "the answer block 1,500 times"
    yield "contradicting_blocks", plain(FIELDS + FIELDS.replace(b"ja", b"nee")), UNTRUSTED, "two contradicting answers"
    yield (
        "rtl_override",
        plain("Contact: \u202eaj\u202c\r\nActies uitgezet: \u202eeen\r\n".encode()),
        UNTRUSTED,
        "RTL override",
    )
    yield (
        "homoglyph_fields",
        plain("C\u043entact: ja\r\nAct\u0456es uitgezet: ja\r\n".encode()),
        UNTRUSTED,
        "Cyrillic look-alikes",
    )
    yield "emoji_only", plain("\U0001f44d\U0001f3fd\u2705\r\n".encode()), UNTRUSTED, "emoji only"
    yield "html_script", head() + b"Content-Type: text/html\r\n\r\n<script>document.write('Contact: ja')</script>" \
        b"<style>p{}</style><p>Contact: ja</p><img src=x onerror=alert(1)>", UNTRUSTED, "HTML with script"  # fmt: skip
    yield "html_entities_bomb", head() + b"Content-Type: text/html\r\n\r\n" + b"&amp;" * 50_000, UNTRUSTED, "entities"
    yield "attachment_traversal", head() + b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/" \
        b"plain\r\n\r\n" + FIELDS + b"--z\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; " \
        b"filename=\"../../../etc/passwd\"\r\n\r\nroot:x:0:0\r\n--z--\r\n", UNTRUSTED, "attachment with a path"  # fmt: skip
    yield "tnef_winmail", head() + b"Content-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: " \
        b"base64\r\n\r\n" + base64.b64encode(bytes(rng.randrange(256) for _ in range(3000))), UNTRUSTED, "winmail.dat only"  # fmt: skip
    yield "smime_opaque", head() + b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-" \
        b"Encoding: base64\r\n\r\n" + base64.b64encode(bytes(rng.randrange(256) for _ in range(2000))), UNTRUSTED, "S/MIME"  # fmt: skip
    yield "calendar_invite", head() + b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:" \
        b"VCALENDAR\r\n", UNTRUSTED, "a calendar invitation"  # fmt: skip
    yield "forward_attached_reply", head(subject=b"FW: Zelfmelder") + b"Content-Type: multipart/mixed; boundary=z\r\n\r\n" \
        b"--z\r\nContent-Type: text/plain\r\n\r\nZie bijlage\r\n--z\r\nContent-Type: message/rfc822\r\n\r\n" + plain(FIELDS) \
        + b"\r\n--z--\r\n", UNTRUSTED, "a reply forwarded as an attachment"  # fmt: skip
    yield "date_garbage", plain(FIELDS).replace(b"Mon, 03 Mar 2025 10:00:00 +0100", b"32 Foo 99999 99:99 +9999"), \
        UNTRUSTED, "an impossible Date"  # fmt: skip
    yield "mime_version_9", plain(FIELDS).replace(b"MIME-Version: 1.0", b"MIME-Version: 9.9 (x)"), UNTRUSTED, "MIME 9.9"
    yield "content_type_garbage", head() + b'Content-Type: ;;;===""\r\n\r\n' + FIELDS, UNTRUSTED, "Content-Type garbage"
    for n in range(8):
        yield f"random_bytes_{n}", bytes(rng.randrange(256) for _ in range(rng.randrange(100, 20_000))), UNTRUSTED, \
            "random bytes"  # fmt: skip
    for n in range(8):
        blob = bytearray(plain(FIELDS))
        for _ in range(rng.randrange(5, 60)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        yield f"bitflip_{n}", bytes(blob), UNTRUSTED, "a valid-looking reply with random bytes changed"


def trusted(rng: random.Random) -> Iterator[Mail]:
    """Hostile bodies on the trusted path: the fault suite fills in a real case's token and sender."""
    base = {"to": b"{{reply_to}}", "sender": b"Medewerker <{{staff}}>"}
    bodies = {
        "fields_ok": FIELDS,
        "nul_in_note": FIELDS.replace(b"gesprek gehad", b"gesprek\x00gehad"),
        "note_100k": FIELDS.replace(b"gesprek gehad", b"x" * 50_000),
        "note_crlf_injection": FIELDS.replace(b"gesprek gehad", b"a\rBcc: x@evil.example"),
        "fields_contradict": FIELDS + b"Contact: nee\r\n",
        "fields_unreadable": b"Contact: misschien\r\nActies uitgezet: weet niet\r\n",
        "empty_body": b"",
        "script_in_note": FIELDS.replace(b"gesprek gehad", b"<script>alert(1)</script>"),
        "sql_in_note": FIELDS.replace(b"gesprek gehad", b"'); DROP TABLE cases; --"),
        "template_in_note": FIELDS.replace(b"gesprek gehad", b"{{ config }} {% for x in y %}${7*7}"),
        "invalid_utf8_note": FIELDS.replace(b"gesprek gehad", b"\xff\xfe\xc3\x28"),
        "u2028_in_fields": FIELDS.replace(b"Contact: ja", "Contact:\u2028ja".encode()),
    }
    for name, body in bodies.items():
        yield f"trusted_{name}", plain(body, **base), ANY, f"trusted sender and token, hostile body: {name}"
    yield "trusted_auto_submitted", plain(FIELDS, extra=b"Auto-Submitted: auto-replied\r\n", **base), ("ignored",), \
        "a trusted auto-reply must not record anything"  # fmt: skip
    yield "trusted_dmarc_fail", b"Authentication-Results: mx; dmarc=fail\r\n" + plain(FIELDS, **base), ANY, \
        "a header the sender wrote (dmarc=fail, another authserv-id) decides nothing; the relay's header does"  # fmt: skip
    yield "trusted_foreign_sender", plain(FIELDS, to=b"{{reply_to}}", sender=b"x@evil.example"), ("quarantined",), \
        "a valid token from a sender outside the municipality"  # fmt: skip


FAMILIES = (huge_headers, nesting, boundaries, encodings, injection, nul_bytes, reports, tokens, automatic, garbage,
            trusted)  # fmt: skip


def build() -> list[Mail]:
    rng = random.Random(20250303)
    mails = [mail for family in FAMILIES for mail in family(rng)]
    names = [name for name, *_ in mails]
    assert len(names) == len(set(names)), "duplicate file names"
    return mails


def main() -> None:
    mails = build()
    for old in HERE.glob("*.eml"):
        old.unlink()
    manifest = ["# Generated by generate.py: one entry per file. `allowed` lists the final states the message may",
                "# end in (Koers' inbound states); `tries` says what the file does to a reader. `trusted` files hold",
                "# {{reply_to}} and {{staff}}: `allowed` is for the filled-in copy; as they are, they are untrusted.", ""]  # fmt: skip
    for number, (name, data, allowed, tries) in enumerate(mails, start=1):
        filename = f"{number:03d}_{name}.eml"
        (HERE / filename).write_bytes(data)
        manifest += [f'[files."{filename}"]', "allowed = [" + ", ".join(f'"{s}"' for s in allowed) + "]",
                     'tries = "' + tries.replace('"', "'") + '"']  # fmt: skip
        manifest += ["trusted = true", ""] if b"{{reply_to}}" in data else [""]
    (HERE / "MANIFEST.toml").write_text("\n".join(manifest), encoding="utf-8")
    print(f"{len(mails)} files, {sum(len(d) for _, d, *_ in mails) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
