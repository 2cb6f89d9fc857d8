"""The registry of workflow definitions by name and version.

New instances start on the ``latest`` version of a definition; a running instance is always
handled by ``get(name, version)`` of the version it started with, so registering a new version
never changes cases in flight. The runtime builds one registry at start-up from the config.

Invariants: every registered definition is valid; a ``(name, version)`` pair means one
definition only — registering a different one under the same pair is an error, registering the
same one again is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workflows.definition import DefinitionError, WorkflowDefinition
from workflows.definitions import build_all
from workflows.durations import Duration


class UnknownDefinitionError(LookupError):
    """No definition is registered under the requested name, version or trigger."""


class DefinitionRegistry:
    """Holds several versions of several definitions."""

    def __init__(self, definitions: Iterable[WorkflowDefinition] = ()) -> None:
        self._by_key: dict[tuple[str, int], WorkflowDefinition] = {}
        for definition in definitions:
            self.register(definition)

    def register(self, definition: WorkflowDefinition) -> None:
        """Validate and add ``definition``.

        Raises:
            DefinitionError: it is invalid, or another definition already has its name and version.
        """
        definition.validate()
        existing = self._by_key.get(definition.key)
        if existing is not None and existing != definition:
            raise DefinitionError(f"{definition.label} is al geregistreerd met een andere inhoud; verhoog de versie")
        self._by_key[definition.key] = definition

    def get(self, name: str, version: int) -> WorkflowDefinition:
        """The exact version a running instance started with."""
        try:
            return self._by_key[(name, version)]
        except KeyError:
            raise UnknownDefinitionError(f"definitie {name} v{version} is niet geregistreerd") from None

    def latest(self, name: str) -> WorkflowDefinition:
        """The highest registered version of ``name``: what new instances start on."""
        versions = [version for (n, version) in self._by_key if n == name]
        if not versions:
            raise UnknownDefinitionError(f"definitie {name} is niet geregistreerd")
        return self._by_key[(name, max(versions))]

    def for_trigger(self, trigger: str) -> tuple[WorkflowDefinition, ...]:
        """The latest version of each definition started by ``trigger``, ordered by name."""
        names = sorted({d.name for d in self._by_key.values() if d.trigger.event == trigger})
        return tuple(self.latest(name) for name in names)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({name for name, _ in self._by_key}))

    def versions(self, name: str) -> tuple[int, ...]:
        return tuple(sorted(version for n, version in self._by_key if n == name))


def default_registry(timers: Mapping[str, Duration]) -> DefinitionRegistry:
    """A registry with every shipped definition, built from the configured timers."""
    return DefinitionRegistry(build_all(timers))
