"""The decision on a Rampart tool call: one type for the reference evaluator
(:mod:`policyc.evaluate`) and the bundle runtime (:mod:`policyc.runtime`).

Standard library only, so a runtime can import it without the compiler.
``action`` is a plain string (``allow|watch|ask|webhook|deny``; the
evaluator passes :class:`policyc.ir.Effect` members, which are strings), and
so is a rule's ``tier`` (``global|project``); ``to_json()`` is what
``policyc eval`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RuleRef", "Decision", "NO_POLICY", "NO_RULE", "UNWEAKENED"]

#: The engine's messages on a default decision (engine.go ``Evaluate``): no
#: policy in scope; policies in scope but no rule fired (default allow or
#: webhook); and, when no global-tier rule fired, the defaults that stand
#: whatever the project tier decided (watch only over an allow).
NO_POLICY = "no matching policy; using default action"
NO_RULE = "no matching rule; using default action"
UNWEAKENED = {"deny": "project policy cannot weaken global default deny",
              "ask": "project policy cannot weaken global default ask",
              "watch": "project policy cannot weaken global default watch"}


@dataclass(frozen=True)
class RuleRef:
    """The deciding rule: ``policy`` name, 0-based rule ``index``, ``tier``
    and its source position (``path``/``line``/``column``, ``None`` when
    unknown)."""

    policy: str
    index: int
    tier: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def describe(self, *, located: bool = False) -> str:
        """``policy `NAME` rules[I]`` (I as JSON's ``"rule"``), with ``(path:line)`` when ``located``."""
        where = f"policy `{self.policy}` rules[{self.index}]"
        return f"{where} ({self.path}:{self.line})" if located and self.path is not None else where

    def to_json(self) -> dict[str, Any]:
        """``{"policy", "rule", "tier"}`` plus ``path``/``line``/``column`` when known."""
        out: dict[str, Any] = {"policy": self.policy, "rule": self.index, "tier": str(self.tier)}
        if self.path is not None:
            out.update(path=self.path, line=self.line, column=self.column)
        return out


@dataclass(frozen=True)
class Decision:
    """A decision: ``action``, the reported ``message``, the policies whose
    rules fired (priority order), the deciding rule (``None``: the default
    action or a refusal) and whether it belongs to the project tier (spec §3.5)."""

    action: str
    message: str
    matched_policies: tuple[str, ...] = ()
    rule: RuleRef | None = None
    project: bool = False

    def to_json(self) -> dict[str, Any]:
        """``{"action", "message", "matched_policies", "rule", "project"}``."""
        return {
            "action": str(self.action),
            "message": self.message,
            "matched_policies": list(self.matched_policies),
            "rule": self.rule.to_json() if self.rule else None,
            "project": self.project,
        }
