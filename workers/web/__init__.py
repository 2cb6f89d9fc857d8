"""The web console (``koers web``): server-rendered pages for operators and municipal staff.

Login is required for every page; a municipal user sees and acts on their own municipality
only (``workers.web.scope``). Also: HTTP intake (``/api/intake``), ``/healthz`` and ``/metrics``.
"""

from __future__ import annotations

from workers.web.app import create_app

__all__ = ["create_app"]
