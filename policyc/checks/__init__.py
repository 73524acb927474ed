"""The check registry: every diagnostic policyc can emit has an entry here.

Each :class:`Check` has a stable ``code`` (``PC0xx`` load/syntax/schema,
``PC1xx`` reachability and conflicts, ``PC2xx`` project tier, ``PC3xx``
pattern hygiene, ``PC4xx`` coverage), a kebab-case ``name``, a default
severity and a one-line summary; its docs page is ``docs/checks/<code>.md``
(the title, the severity line and the example output are generated from
this registry and the check's fixtures by :mod:`policyc.checks.docgen`).

A check is declared next to the code that emits it, as ruff and Regal do:
each module of :data:`MODULES` has a module-level ``CHECKS`` list of the
checks it reports (the YAML reader PC001-PC006, the Rampart front end the
other PC0xx and PC201, the suppressions PC024, the loader PC111, each
analysis pass its PC1xx, PC202/PC203 or PC3xx checks). A check reported from two places (PC016
by the front end and the loader, PC021 by the front end and the test runner)
is declared once, where it is reported first.

The registry is assembled here, in one place, but lazily. Every declaring
module imports this package at import time (for :class:`Check` and
:func:`check`), so importing them from here at import time would be a cycle.
Instead :data:`REGISTRY` and :data:`BY_NAME` are read-only mappings that
import :data:`MODULES` on their first lookup (so does :func:`check`), when
each of those modules is fully initialised: this package imports nothing of
policyc but the diagnostic model and the IR, and only code that runs after
the imports (never a module body) looks a check up.

:data:`REGISTRY` lists the checks by range in the order ``PC0xx``,
``PC2xx``, ``PC1xx``, ``PC3xx``, ``PC4xx``, ``PC5xx`` and by code within a
range (:data:`RANGE_ORDER`); that order, the codes, names, severities and
summaries are a public contract (``policyc check --format sarif`` lists them).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property

from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Span


@dataclass(frozen=True)
class Check:
    """One check: its stable ``code``, kebab-case ``name``, default
    ``severity`` and one-line ``summary`` (a sentence)."""

    code: str
    name: str
    severity: Severity
    summary: str

    def at(self, span: Span | None, message: str, *, help: str | None = None,
           label: str | None = None, **extra) -> Diagnostic:
        """A diagnostic of this check at ``span``."""
        return Diagnostic(self.code, self.name, self.severity, message, span,
                          help=help, label=label, extra=extra)


#: The modules that declare checks (each has a ``CHECKS`` list); adding one
#: adds a line. Each registered dialect's ``checks`` module
#: (:data:`policyc.dialects.DIALECTS`) is read too.
MODULES: tuple[str, ...] = (
    "policyc.frontends.yaml_source",
    "policyc.dialects.rampart.frontend",
    "policyc.suppress",
    "policyc.loader",
    "policyc.passes.policy_state",
    "policyc.passes.tool_scope",
    "policyc.passes.pattern_hygiene",
    "policyc.passes.empty_conditions",
    "policyc.passes.reachability",
    "policyc.passes.deny_conflicts",
    "policyc.passes.project_tier",
    "policyc.passes.context",
)

#: Code ranges in registry order.
RANGE_ORDER: tuple[str, ...] = ("PC0", "PC2", "PC1", "PC3", "PC4", "PC5")
#: A dialect's code range not named above (``PC6xx``...) comes after them, by code.


@cache
def _checks() -> tuple[Check, ...]:
    """Every check of :data:`MODULES`, in registry order; ``ValueError`` for
    a code declared twice or not of the form ``PC`` and three digits."""
    from policyc.dialects import DIALECTS

    found: dict[str, Check] = {}
    for module in (*MODULES, *(f"{dialect}.checks" for dialect in DIALECTS)):
        for declared in importlib.import_module(module).CHECKS:
            if declared.code in found:
                raise ValueError(f"{module}: check {declared.code} is declared twice")
            if not (len(declared.code) == 5 and declared.code.startswith("PC") and declared.code[2:].isdigit()):
                raise ValueError(f"{module}: check code {declared.code!r} is not PC and three digits")
            found[declared.code] = declared
    def rank(c: Check) -> tuple[int, str]:
        prefix = c.code[:3]
        return (RANGE_ORDER.index(prefix) if prefix in RANGE_ORDER else len(RANGE_ORDER), c.code)

    return tuple(sorted(found.values(), key=rank))


class _Index(Mapping[str, Check]):
    """The checks by one of their fields (``code`` or ``name``), assembled on
    first lookup; with two checks of one name, the later one."""

    def __init__(self, field: str):
        self._field = field

    @cached_property
    def _by_key(self) -> dict[str, Check]:
        return {getattr(c, self._field): c for c in _checks()}

    def __getitem__(self, key: str) -> Check:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return f"<checks by {self._field}: {', '.join(self._by_key)}>"


REGISTRY: Mapping[str, Check] = _Index("code")
"""Every check by code, in registry order."""
BY_NAME: Mapping[str, Check] = _Index("name")
"""Every check by name."""


def check(code: str) -> Check:
    """The registered check for ``code``; ``KeyError`` if there is none.

    A code of :data:`MODULES` (everything a Rampart ``check`` reports) is
    found in those modules without assembling the whole registry, which
    would import every dialect's checks (jsonschema and all) for a run that
    reads none of their files; any other code goes through :data:`REGISTRY`.
    The registry's consistency (no code declared twice) is tested."""
    found = _own_checks().get(code)
    return found if found is not None else REGISTRY[code]


@cache
def _own_checks() -> dict[str, Check]:
    """The checks of :data:`MODULES` by code (those modules only)."""
    return {c.code: c for module in MODULES for c in importlib.import_module(module).CHECKS}
