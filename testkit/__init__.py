"""Support for Koers' tests and benchmarks: SMTP sinks, child processes, databases, flow settings.

Not part of the product: pip does not install it (``pyproject.toml`` lists only the product
packages) and no product module imports it (``tests/unit/test_packaging.py`` checks). ``tests/``
and ``bench/`` import it from the repository root, where they run:

- ``smtp_sink``: ``SmtpSink``, an SMTP server in the test's own process that can misbehave on request;
- ``sink_process``: a counting SMTP sink in a process of its own (fault suite, end-to-end benchmark);
- ``processes``: ``Proc`` and ``spawn`` for the Koers processes a test or benchmark starts, ``free_port``;
- ``databases``: create, recreate and migrate a PostgreSQL database of one's own;
- ``flow``: settings and a ``KOERS_CONFIG`` with an address for every municipality, ``wait_until``;
- ``crashing_worker``: a worker that dies between SMTP acceptance and its commit;
- ``imap_server``: Debian's Dovecot with a private config on a free port (TLS, IDLE, MOVE), for mailbox mode.
"""
