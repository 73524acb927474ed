"""Decide probe calls with the compiled bundle runtime.

Each probe becomes a :class:`~policyc.coverage.model.Verdict`: ``ok`` when
the decision is one of the probe's expected actions, with evidence naming the
deciding rule and its source position (``path:line:col``), or saying that
the default action decided. A request probe is decided as ``policyc eval``
decides a call (:meth:`Bundle.decide`); a probe with a ``response`` is decided
on the response side only (:meth:`Bundle.evaluate_response`), since it
evidences the output scan, not the request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from policyc.callfields import ToolCall
from policyc.runtime import Bundle, Decision

from .catalog import Probe
from .model import Verdict


@dataclass(frozen=True)
class ProbeRun:
    """A probe's verdict and how long the decision took (seconds)."""

    probe: Probe
    verdict: Verdict
    seconds: float


def _decide(bundle: Bundle, probe: Probe) -> Decision:
    """The probe's decision; ValueError/TypeError for a malformed call (the
    runtime would deny it silently, which must not count as evidence)."""
    ToolCall.from_mapping({k: v for k, v in probe.call.items() if k != "response"})
    if probe.response_side:
        call = {k: v for k, v in probe.call.items() if k != "response"}
        return bundle.evaluate_response(call, probe.call["response"])
    return bundle.decide(probe.call)


def rule_location(decision: Decision) -> dict[str, Any] | None:
    """The deciding rule as JSON (policy, 1-based rule number, tier, path,
    line, column), or None when no rule decided (default action, fail-closed)."""
    ref = decision.rule
    if ref is None:
        return None
    out: dict[str, Any] = {"policy": ref.policy, "rule": ref.index + 1, "tier": ref.tier}
    if ref.path is not None:
        out.update(path=ref.path, line=ref.line, column=ref.column)
    return out


def run_probe(bundle: Bundle, probe: Probe) -> ProbeRun:
    """Decide one probe. A call the runtime refuses as malformed is a failed
    verdict whose evidence carries the error (never an exception)."""
    start = time.perf_counter()
    try:
        decision = _decide(bundle, probe)
    except (ValueError, TypeError) as exc:
        seconds = time.perf_counter() - start
        evidence = _evidence(probe, None, f"the call is malformed: {exc}", None)
        return ProbeRun(probe, Verdict(False, evidence, f"probe `{probe.id}`: malformed call ({exc})"), seconds)
    seconds = time.perf_counter() - start
    ok = decision.action in probe.expect
    evidence = _evidence(probe, decision.action, decision.message, rule_location(decision))
    evidence["ok"] = ok
    missing = "" if ok else (f"probe `{probe.id}` ({probe.title}): expected {'|'.join(probe.expect)}, "
                             f"got {decision.action} ({describe_rule(evidence['rule'])})")
    return ProbeRun(probe, Verdict(ok, evidence, missing), seconds)


def _evidence(probe: Probe, action: str | None, message: str, rule: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "kind": "probe", "probe": probe.id, "title": probe.title, "call": probe.call,
        "side": "response" if probe.response_side else "request",
        "expect": list(probe.expect), "decision": action, "message": message, "rule": rule,
        "ok": False, "source": f"{probe.path}:{probe.line}",
    }


def describe_rule(rule: dict[str, Any] | None) -> str:
    """Human text for a deciding rule record (as :func:`rule_location` gives)."""
    if rule is None:
        return "no rule fired"
    where = f" at {rule['path']}:{rule['line']}:{rule['column']}" if "path" in rule else ""
    return f"policy `{rule['policy']}` rule {rule['rule']}{where}"
