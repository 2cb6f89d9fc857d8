"""Koers domain: self-reports, routing, workflow definitions and the pure engine.

Nothing in this package does I/O or reads the clock; time arrives as ``now``.
"""
