"""Koers uses only the public API of its dependencies (and of the standard library).

A private attribute or function of ReportLab, aiosmtplib, dramatiq or ``email`` can change or
vanish in any release, and then sending letters breaks on an upgrade. This test reads the product
packages with ``ast`` (no import, so nothing runs) and refuses:

(a) ``x._name`` where ``x`` is not ``self`` or ``cls`` (strict on purpose: even ``sys._getframe``);
(b) ``getattr``/``setattr``/``hasattr``/``delattr`` with a constant name starting with ``_`` that
    is not a plain dunder;
(c) ``.__wrapped__`` (bypassing a cache or decorator of someone else's);
(d) importing an underscore name, or from an underscore module, of anything but Koers itself;
(e) ``self._name`` in a class derived from a dependency's class, unless that class (or a Koers
    base class in the same module) defines ``_name`` itself: otherwise it is the parent's private.

The namedtuple API (``_replace``, ``_make``, ``_fields``, ``_asdict``, ``_field_defaults``) is
public despite its underscore and is allowed by name.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("workflows", "schema", "messaging", "workers")
EXCLUDED = (REPO / "schema" / "migrations",)
OWN = frozenset(PACKAGES)
NAMEDTUPLE_API = frozenset({"_replace", "_make", "_fields", "_asdict", "_field_defaults"})
ACCESSORS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def is_private(name: str) -> bool:
    is_dunder = name.startswith("__") and name.endswith("__") and len(name) > 4
    is_sunder = name.endswith("_") and not is_dunder  # Enum's documented _missing_, _value_, _generate_next_value_
    return name.startswith("_") and not is_dunder and not is_sunder and name not in NAMEDTUPLE_API


def is_own_module(module: str | None, level: int) -> bool:
    return level > 0 or (module or "").split(".")[0] in OWN


def product_files() -> list[Path]:
    files = [p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))]
    return [p for p in files if not any(p.is_relative_to(excluded) for excluded in EXCLUDED)]


def attribute_findings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr == "__wrapped__":
                yield node.lineno, f"{ast.unparse(node)}: bypasses a decorator or cache"
            elif is_private(node.attr) and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                yield node.lineno, f"{ast.unparse(node)}: private attribute of another object"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ACCESSORS:
            name = node.args[1] if len(node.args) > 1 else None
            is_text = isinstance(name, ast.Constant) and isinstance(name.value, str)
            if is_text and (is_private(name.value) or name.value == "__wrapped__"):  # type: ignore[union-attr]
                yield node.lineno, f"{ast.unparse(node)}: private attribute by name"


def import_findings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not is_own_module(node.module, node.level):
            module = node.module or ""
            if node.module != "__future__" and any(part.startswith("_") for part in module.split(".")):
                yield node.lineno, f"from {module} import ...: private module"
            for alias in node.names:
                if is_private(alias.name):
                    yield node.lineno, f"from {module} import {alias.name}: private name"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not is_own_module(alias.name, 0) and any(p.startswith("_") for p in alias.name.split(".")):
                    yield node.lineno, f"import {alias.name}: private module"


def inherited_private_findings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """``self._x`` in a subclass of a dependency's class where no Koers class of the module defines ``_x``."""
    imported = dependency_names(tree)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    defined = {name for cls in classes for name in names_defined_in(cls)}
    for cls in classes:
        bases = {ast.unparse(base).split(".")[0] for base in cls.bases}
        if not bases & imported:
            continue
        for node in ast.walk(cls):
            if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"):
                continue
            if is_private(node.attr) and node.attr not in defined:
                yield node.lineno, f"self.{node.attr} in {cls.name}: a private of its dependency base class"


def dependency_names(tree: ast.Module) -> set[str]:
    """The names a module binds by importing something that is not Koers."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if not is_own_module(a.name, 0)}
        elif isinstance(node, ast.ImportFrom) and not is_own_module(node.module, node.level):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def names_defined_in(cls: ast.ClassDef) -> Iterator[str]:
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr


def findings(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [*attribute_findings(tree), *import_findings(tree), *inherited_private_findings(tree)]
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_product_uses_no_private_api_of_a_dependency() -> None:
    files = product_files()
    assert len(files) > 50  # the scan really reads the packages
    problems = [f"{path.relative_to(REPO)} {finding}" for path in files for finding in findings(path.read_text())]
    assert not problems, "\n".join(problems)


def test_no_koers_class_overrides_or_reads_a_private_of_a_dependency_class() -> None:
    # (e) by import: a private method overridden (aiosmtpd's ``_create_server``) is found here too.
    problems = []
    for path in product_files():
        tree = ast.parse(path.read_text())
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.bases]
        if not classes:
            continue
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        for node in classes:
            names = {name for name in private_names_in(node)}
            for base in getattr(module, node.name).__mro__[1:]:
                if base.__module__.split(".")[0] not in OWN:
                    problems += [f"{path.relative_to(REPO)} {node.name}.{name}: private of {base.__qualname__}"
                                 for name in sorted(names & set(vars(base)))]  # fmt: skip
    assert not problems, "\n".join(problems)


def private_names_in(cls: ast.ClassDef) -> Iterator[str]:
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_private(node.name):
            yield node.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and is_private(node.id):
            yield node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            yield from [node.attr] if is_private(node.attr) else []


@pytest.mark.parametrize(
    "source",
    [
        "self._doc = canvas._doc",
        "text._formatText(line)",
        "import sys\nsys._getframe(1)",
        "conn.protocol._quit_sent = True",
        "getattr(part, '_payload', None)",
        "setattr(message, '_exception', None)",
        "wrap = _wrap.__wrapped__",
        "from reportlab.lib.rl_accel import _instanceStringWidthU",
        "from email._header_value_parser import get_address_list",
        "import email._policybase",
        "import aiosmtplib\nclass C(aiosmtplib.SMTP):\n    def f(self):\n        return self._response_waiter",
    ],
)
def test_the_guard_recognises_each_kind_of_private_access(source: str) -> None:
    assert findings(source)


@pytest.mark.parametrize(
    "source",
    [
        "class C:\n    def __init__(self):\n        self._x = 1\n    def f(self):\n        return self._x",
        "point._replace(x=1)._asdict()",
        "type(x).__name__",
        "from __future__ import annotations",
        "from messaging.letter import _check_room",
        "from .inbound_headers import _unfold",
        "import dramatiq\nclass M(dramatiq.Middleware):\n    def __init__(self):\n        self._clock = 1\n"
        "    def f(self):\n        return self._clock",
        "getattr(self._local, 'state', None)",
        "class Kind(StrEnum):\n    @classmethod\n    def _missing_(cls, value):\n        return cls._value2member_map_",
    ],
)
def test_the_guard_allows_own_privates_and_public_names(source: str) -> None:
    assert findings(source) == []
