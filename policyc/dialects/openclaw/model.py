"""The OpenClaw toolkit's agent policy and call, as frozen dataclasses.

An :class:`AgentPolicy` is one policy file as the engine holds it: the
``agent`` value it is keyed by, the three rule lists the engine reads
(``permissions.escalate``, ``permissions.deny``, ``permissions.allow``,
each a :class:`RuleList` of :class:`RuleEntry` in the order the engine
iterates them) and the sections the engine never reads (``metadata``,
``audit``, ``rate_limits``, ``trust``) kept as :class:`Section` facts.

Values are JavaScript values as js-yaml returns them (see
:mod:`policyc.dialects.openclaw.jsvalue`): a well-formed policy has strings
where patterns are expected, but the model keeps whatever the file holds,
so that the evaluator can decide (or fail) exactly as the engine does.
Spans are excluded from equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policyc.dialects.openclaw.jsvalue import UNDEFINED

if TYPE_CHECKING:  # pragma: no cover - annotations only: the bundle runtime imports this module
    from policyc.ir import Span

__all__ = ["RuleEntry", "RuleList", "SectionField", "Section", "AgentPolicy", "Call",
           "NEVER_READ", "RULE_LISTS"]

RULE_LISTS = ("escalate", "deny", "allow")
"""The ``permissions`` keys the engine reads, in the order it checks them."""

NEVER_READ = ("metadata", "audit", "rate_limits", "trust")
"""Top-level sections the toolkit documents and its policy engine never reads."""


def _span() -> Any:
    return field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class RuleEntry:
    """One item the engine meets while iterating a rule list.

    ``kind`` is how ``checkEscalation`` sorts it: ``pattern`` (a string),
    ``conditional`` (``typeof`` object: a mapping, list, timestamp or
    ``null``) or ``other`` (a number or boolean, which escalation skips).
    For a conditional mapping, ``action`` and ``condition`` are its own
    ``action`` and ``condition`` values (:data:`UNDEFINED` when absent)."""

    index: int
    value: Any
    kind: str
    action: Any = UNDEFINED
    condition: Any = UNDEFINED
    span: Span | None = _span()
    action_span: Span | None = _span()
    condition_span: Span | None = _span()


@dataclass(frozen=True)
class RuleList:
    """``permissions.<name>`` as the engine reads it.

    ``value`` is the raw value (:data:`UNDEFINED` when absent). ``shape``:
    ``absent``; ``none`` (falsy: ``null``, ``false``, ``0``, ``""``: no
    rules); ``list``; ``string`` (``for ... of`` walks its characters, so
    ``entries`` are those characters); ``not-iterable`` (a mapping, number,
    ``true`` or timestamp: the engine throws when it reaches the list)."""

    name: str
    value: Any
    shape: str
    entries: tuple[RuleEntry, ...] = ()
    span: Span | None = _span()
    key_span: Span | None = _span()

    @property
    def patterns(self) -> tuple[RuleEntry, ...]:
        """The string entries."""
        return tuple(e for e in self.entries if e.kind == "pattern")


@dataclass(frozen=True)
class SectionField:
    """One key of a never-read section: ``key`` as js-yaml stores it."""

    key: str
    value: Any
    key_span: Span | None = _span()
    span: Span | None = _span()


@dataclass(frozen=True)
class Section:
    """A top-level section the policy engine never reads (``metadata``,
    ``audit``, ``rate_limits``, ``trust``), kept as facts."""

    name: str
    value: Any
    fields: tuple[SectionField, ...] = ()
    key_span: Span | None = _span()
    span: Span | None = _span()

    def get(self, key: str) -> SectionField | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class AgentPolicy:
    """One loaded policy file.

    ``agent`` is the value the engine keys the policy by (a string in a
    well-formed file; js-yaml may give a number, ``true``, a list, a mapping
    or a Date); ``permissions`` the raw ``permissions`` value; ``document``
    the whole file as js-yaml returns it (a mapping)."""

    path: str
    agent: Any
    permissions: Any
    escalate: RuleList
    deny: RuleList
    allow: RuleList
    sections: tuple[Section, ...] = ()
    document: Any = None
    span: Span | None = _span()
    agent_span: Span | None = _span()
    permissions_span: Span | None = _span()

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def rule_list(self, name: str) -> RuleList:
        return {"escalate": self.escalate, "deny": self.deny, "allow": self.allow}[name]

    @property
    def rule_values(self) -> tuple[Any, Any, Any]:
        """The values of ``permissions.escalate``, ``deny`` and ``allow``
        (:data:`UNDEFINED` when absent), in :data:`RULE_LISTS` order: all
        of the policy that ``checkPermission`` reads."""
        return (self.escalate.value, self.deny.value, self.allow.value)


@dataclass(frozen=True)
class Call:
    """What ``checkPermission(agent, action, context)`` receives:
    JavaScript values (:data:`UNDEFINED` for a field the call omits). As the
    oracle's ``decide.js`` passes ``call.context || {}``, a falsy context
    is read as an empty mapping by the evaluator."""

    agent: Any = UNDEFINED
    action: Any = UNDEFINED
    context: Any = UNDEFINED
