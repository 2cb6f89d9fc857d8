"""The fault suite: real runs (RabbitMQ, PostgreSQL, an SMTP sink, the mail gateway) under kills and outages.

``pytest tests/faults`` runs the reduced version of every scenario (part of ``./run test``);
``python -m tests.faults`` runs the full one and prints the table (see ``tests.faults.__main__``).
"""
