"""What the bundle runtime returns and raises: :class:`Decision`,
:class:`RuleRef`, :class:`BundleError` (and :func:`refuse_other_kinds`),
and the effect ranking (spec §3.4).

Actions are plain strings (``allow|watch|ask|webhook|deny``) so the runtime
needs nothing from :mod:`policyc.ir`; ``to_json()`` gives exactly the JSON of
``policyc.evaluate.Decision.to_json()``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Protocol

#: Deny-overrides precedence (spec §3.4): a higher rank is more restrictive.
RANK = {"allow": 0, "watch": 1, "ask": 2, "webhook": 3, "deny": 4}
#: What this runtime decides: a bundle naming another dialect, call model or
#: combining algorithm is refused (fail closed), never decided as Rampart.
DIALECT = "rampart"
CALL_MODEL = "rampart-tool-call"
COMBINING = {"name": "rampart", "order": list(RANK), "policy_combining": "deny-overrides",
             "rule_combining": "first-applicable"}
#: Prefix of a project-tier deny message (spec §3.5).
PROJECT_PREFIX = "[Project Policy] "


class BundleError(Exception):
    """The bundle cannot be used; the message says why."""


def refuse_other_kinds(payload: Any, dialect: str, call_model: str, combining: Any) -> None:
    """Raise :class:`BundleError` unless ``payload`` (a bundle payload)
    names exactly this ``dialect``, ``call_model`` and ``combining``
    algorithm: a runtime decides only what it implements, never a bundle of
    another kind as its own (docs/bundle-format.md §2)."""
    for key, known in (("dialect", dialect), ("call_model", call_model), ("combining", combining)):
        if payload.get(key) != known:
            raise BundleError(f"bundle {key} {payload.get(key)!r} is not one this runtime decides "
                              f"({known!r}); refusing it")


class CallHistory(Protocol):
    """Past calls, for ``call_count``: as ``policyc.evaluate.CallHistory``."""

    def count(self, tool: str, window_seconds: float, now: _dt.datetime) -> int: ...


@dataclass(frozen=True)
class RuleRef:
    """The deciding rule: policy name, 0-based rule index, tier and source
    position (``path``/``line``/``column``, None when unknown)."""

    policy: str
    index: int
    tier: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policy, "rule": self.index, "tier": self.tier}
        if self.path is not None:
            out.update(path=self.path, line=self.line, column=self.column)
        return out


@dataclass(frozen=True)
class Decision:
    """A decision: ``action`` (``allow|watch|ask|webhook|deny``), ``message``,
    the policies whose rules fired (priority order), the deciding rule and
    whether it belongs to the project tier."""

    action: str
    message: str
    matched_policies: tuple[str, ...] = ()
    rule: RuleRef | None = None
    project: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "message": self.message,
            "matched_policies": list(self.matched_policies),
            "rule": self.rule.to_json() if self.rule else None,
            "project": self.project,
        }
