"""What the bundle runtime returns and raises: :class:`Decision` and
:class:`RuleRef` (the reference evaluator's own, from the stdlib-only
:mod:`policyc.decision`), :class:`BundleError` (and
:func:`refuse_other_kinds`), and the effect ranking (spec §3.4).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol

from policyc.decision import Decision, RuleRef

__all__ = ["Decision", "RuleRef", "BundleError", "refuse_other_kinds", "dialect_payload", "DialectBundle", "CallHistory", "RANK", "DIALECT",
           "CALL_MODEL", "COMBINING", "PROJECT_PREFIX"]

#: Deny-overrides precedence (spec §3.4): a higher rank is more restrictive.
RANK = {"allow": 0, "watch": 1, "ask": 2, "webhook": 3, "deny": 4}
#: What this runtime decides: a bundle naming another dialect, call model or
#: combining algorithm is refused (fail closed), never decided as Rampart.
DIALECT = "rampart"
CALL_MODEL = "rampart-tool-call"
COMBINING = {"name": "rampart", "order": list(RANK), "policy_combining": "deny-overrides",
             "rule_combining": "first-applicable"}


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


def dialect_payload(document: Any, dialect: str, call_model: str, combining: Any,
                    members: frozenset[str]) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """``(manifest, digest, payload)`` of a verified bundle ``document`` for
    a dialect's runtime: raises :class:`BundleError` unless the payload
    names this ``dialect``, ``call_model`` and ``combining``
    (:func:`refuse_other_kinds`) and has exactly ``members``."""
    manifest = dict(document["manifest"])
    payload = document["payload"]
    refuse_other_kinds(payload, dialect, call_model, combining)
    if set(payload) != members:
        raise BundleError(f"bundle payload must have exactly the members {', '.join(sorted(members))}, "
                          f"not {', '.join(sorted(payload))}")
    return manifest, manifest["digest"], payload


class DialectBundle(Protocol):
    """A loaded bundle of a dialect besides Rampart (its ``runtime.BUNDLE``,
    see :mod:`policyc.dialects.registry`): the manifest ``digest`` and
    ``manifest``, the ``dialect`` name, ``decide(call)`` for a decoded
    JSON call, returning a decision with ``action`` and ``to_json()`` and
    never raising, and ``reset()``, which forgets whatever state decisions
    keep (ToolRampart's rate-limit counters), as a restarted runtime would."""

    dialect: str
    digest: str
    manifest: dict[str, Any]

    def decide(self, call: Any) -> Any: ...

    def reset(self) -> None: ...


class CallHistory(Protocol):
    """Past calls, for ``call_count``: as ``policyc.evaluate.CallHistory``."""

    def count(self, tool: str, window_seconds: float, now: _dt.datetime) -> int: ...
