"""The workflow definitions Koers ships, one per module, and which group each one serves.

Each module has ``NAME``, ``VERSION``, ``TRIGGER``, ``DEADLINE_FIELD`` and
``build(timers) -> WorkflowDefinition``. A changed flow becomes a new version (a new module or a
new ``build``) registered beside the old one, because instances keep the version they started with.
A case of a target group starts the definition of its group's trigger; the group's deadline is the
case's column that definition names (the report date, the release date).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from workflows.definition import WorkflowDefinition
from workflows.definitions import self_reporter_3noord, short_sentenced_detainee
from workflows.durations import Duration
from workflows.model import TargetGroup

__all__ = ["build_all", "deadline_field_of", "self_reporter_3noord", "short_sentenced_detainee", "trigger_of"]

_BY_GROUP: Mapping[TargetGroup, ModuleType] = {
    TargetGroup.SELF_REPORTER: self_reporter_3noord,
    TargetGroup.DETAINEE: short_sentenced_detainee,
}


def build_all(timers: Mapping[str, Duration]) -> tuple[WorkflowDefinition, ...]:
    """Every shipped definition, built from the configured timers and validated."""
    return (self_reporter_3noord.build(timers), short_sentenced_detainee.build(timers))


def trigger_of(group: TargetGroup | str) -> str:
    """The trigger that starts the workflow of a case of ``group``."""
    return str(_BY_GROUP[TargetGroup(group)].TRIGGER)


def deadline_field_of(group: TargetGroup | str) -> str:
    """The case column holding the date on which ``group``'s window closes."""
    return str(_BY_GROUP[TargetGroup(group)].DEADLINE_FIELD)
