"""The OpenClaw toolkit's bundles: agent policies decided as ``checkPermission`` decides.

:func:`~policyc.runtime.load_bundle` builds an :class:`OpenClawBundle` for
a verified bundle whose payload names the ``openclaw-toolkit`` dialect
(``docs/bundle-format.md`` §8). Loading checks the whole payload (its
members, every value of the tagged encoding, each agent once and truthy)
and raises :class:`~.model.BundleError` for anything malformed; deciding
runs the dialect's reference evaluator
(:func:`policyc.dialects.openclaw.evaluate.decide_call`) on the rebuilt
values, so a bundle decides exactly as the policies it was compiled from.

Imports the standard library and the dialect's evaluator modules
(``evaluate``, ``conditions``, ``jsvalue``, ``jsprops``, ``jsdate``,
``model``, ``tagged``: no YAML, JSON Schema or IR), and only when a
toolkit bundle is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policyc.dialects.openclaw import NAME
from policyc.dialects.openclaw.evaluate import CALL_MODEL, COMBINING, Outcome, RuleValues, decide_call
from policyc.dialects.openclaw.jsvalue import map_key, show, truthy
from policyc.dialects.openclaw.model import RULE_LISTS
from policyc.dialects.openclaw.tagged import decode_table, decode_value

from policyc.runtime.model import BundleError, dialect_payload

__all__ = ["BUNDLE", "ToolkitDecision", "OpenClawBundle"]

_MEMBERS = frozenset({"dialect", "call_model", "combining", "values", "agents"})
_AGENT_MEMBERS = frozenset({"agent", *RULE_LISTS})


@dataclass(frozen=True)
class ToolkitDecision:
    """A toolkit call's decision: ``action`` (``allow``, ``deny`` or
    ``escalate``) with the engine's ``message`` (its ``reason``), or, when
    no decision was reached (the engine throws, or the runtime failed),
    ``action`` ``deny`` and ``error`` saying why."""

    action: str
    message: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, outcome: Outcome) -> ToolkitDecision:
        """The decision of a reference :class:`~policyc.dialects.openclaw.evaluate.Outcome`
        (an ``error`` outcome: ``deny`` with ``error`` ``the engine throws: REASON``)."""
        if outcome.decision == "error":
            return cls("deny", error=f"the engine throws: {outcome.reason}")
        return cls(outcome.decision, outcome.reason)

    @property
    def decision(self) -> str:
        """``action``, or ``error`` when no decision was reached."""
        return "error" if self.error is not None else self.action

    def to_json(self) -> dict[str, str]:
        """``{"action", "message", "dialect"}``, or ``{"action": "deny",
        "error", "dialect"}``: what ``policyc eval`` prints (with ``line``)."""
        if self.error is not None:
            return {"action": self.action, "error": self.error, "dialect": NAME}
        return {"action": self.action, "message": self.message or "", "dialect": NAME}


def _agents(entries: Any, objects: list[Any]) -> dict[Any, tuple[Any, RuleValues]]:
    """``map_key(agent) -> (agent, rule values)`` (the agent kept alive, as
    its key may be its identity); ``ValueError`` for a malformed list."""
    if not isinstance(entries, list):
        raise ValueError("agents must be a list")
    agents: dict[Any, tuple[Any, RuleValues]] = {}
    for i, entry in enumerate(entries):
        where = f"agents[{i}]"
        if not isinstance(entry, dict) or set(entry) != _AGENT_MEMBERS:
            raise ValueError(f"{where} must be an object with exactly the members agent, "
                             f"{', '.join(RULE_LISTS)}")
        agent = decode_value(entry["agent"], objects, f"{where} agent")
        if not truthy(agent):
            raise ValueError(f"{where}: agent {show(agent)!r} is falsy, which the engine never loads")
        key = map_key(agent)
        if key in agents:
            raise ValueError(f"{where}: agent {show(agent)!r} appears twice (the engine keeps one policy "
                             "per agent)")
        rules = tuple(decode_value(entry[name], objects, f"{where} {name}") for name in RULE_LISTS)
        agents[key] = (agent, rules)
    return agents


class OpenClawBundle:
    """A loaded, verified toolkit bundle. Build with :func:`policyc.runtime.load_bundle`.

    ``digest`` is the manifest digest, ``manifest`` the manifest dict,
    ``dialect`` ``"openclaw-toolkit"``, ``agents`` how many agent policies
    it holds. Immutable once built, so safe for concurrent :meth:`decide` calls.
    """

    dialect = NAME

    def __init__(self, document: Mapping[str, Any]):
        self.manifest, self.digest, payload = dialect_payload(document, NAME, CALL_MODEL, COMBINING, _MEMBERS)
        try:
            self._agents = _agents(payload["agents"], decode_table(payload["values"]))
        except ValueError as exc:
            raise BundleError(f"bundle payload: {exc}") from None
        self.agents = len(self._agents)

    def _rules_for(self, agent: Any) -> RuleValues | None:
        found = self._agents.get(map_key(agent))
        return None if found is None else found[1]

    def reset(self) -> None:
        """Nothing to forget: a toolkit bundle keeps no state between calls."""

    def decide(self, call: Any) -> ToolkitDecision:
        """Decide ``call`` (a JSON value as ``json.loads`` gives it, normally
        ``{"agent", "action", "context"?}``) exactly as the reference
        evaluator does with the policies compiled (``policyc eval
        --engine reference``). Never raises: where the engine throws, and
        for a value that is not JSON, the decision is ``deny`` with
        ``error``; any other failure (a mapping whose methods raise, say) is
        ``deny`` with ``error`` ``internal error deciding the call (...);
        failing closed``."""
        try:
            return ToolkitDecision.of(decide_call(self._rules_for, call))
        except Exception as exc:  # noqa: BLE001 - an enforcement decision must not crash open
            return ToolkitDecision("deny", error=f"internal error deciding the call ({type(exc).__name__}); "
                                                 "failing closed")


#: The bundle class :func:`policyc.runtime.load_bundle` builds for this dialect.
BUNDLE = OpenClawBundle
