"""The workflow definitions Koers ships, one per module.

Each module has ``NAME``, ``VERSION``, ``TRIGGER`` and ``build(timers) -> WorkflowDefinition``.
A changed flow becomes a new version (a new module or a new ``build``) registered beside the old
one, because instances keep the version they started with.
"""

from __future__ import annotations

from collections.abc import Mapping

from workflows.definition import WorkflowDefinition
from workflows.definitions import self_reporter_3noord, short_sentenced_detainee
from workflows.durations import Duration

__all__ = ["build_all", "self_reporter_3noord", "short_sentenced_detainee"]


def build_all(timers: Mapping[str, Duration]) -> tuple[WorkflowDefinition, ...]:
    """Every shipped definition, built from the configured timers and validated."""
    return (self_reporter_3noord.build(timers), short_sentenced_detainee.build(timers))
