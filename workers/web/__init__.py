"""The web console (``koers web``): server-rendered pages for operators and municipal staff.

Login is required for every page; a municipal user sees and acts on their own municipality
only (``workers.web.scope``). Also: HTTP intake (``/api/intake``), ``/healthz`` and ``/metrics``.
"""

from __future__ import annotations

# First: registers the ``{name:id}`` path convertor that the route modules use.
from workers.web import params as params  # noqa: I001
from workers.web.app import create_app

__all__ = ["create_app"]
