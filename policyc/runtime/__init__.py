"""The bundle runtime: load a compiled bundle and decide tool calls.

Imports only ``re2``, the standard library, :mod:`policyc.canonicalize` and
:mod:`policyc.callfields` (no lark, yaml, jsonschema, click or rich), so an
enforcement hook stays small and fast to start; another dialect's bundle
adds that dialect's ``runtime`` module and its evaluator modules
(:mod:`policyc.dialects.openclaw.runtime`, :mod:`policyc.dialects.toolrampart.runtime`),
imported only when one is loaded.

* :func:`load_bundle(path_or_bytes) <load_bundle>` -> :class:`Bundle`
  (raises :class:`BundleError`);
* :meth:`Bundle.evaluate`, :meth:`Bundle.evaluate_response`,
  :meth:`Bundle.decide` take a call ``{"tool", "params", "input"?, "agent"?,
  "session"?, "agent_depth"?, "workdir"?, "response"?}`` and return a
  :class:`Decision`; they never raise for any call: one that cannot be read
  decides ``deny`` (``invalid tool call (...); failing closed``). Their
  ``now`` is a ``datetime``, a naive one read as UTC (``TypeError`` for
  anything else: the only exception they raise);
* a toolkit bundle (payload dialect ``openclaw-toolkit``) loads as an
  ``OpenClawBundle``: its ``decide(call)`` takes ``{"agent", "action",
  "context"?}`` and returns a ``ToolkitDecision`` (``allow|deny|escalate``);
  a ToolRampart bundle (``toolrampart``) as a ``ToolRampartBundle``,
  deciding ``{"tool", "arguments", "actor"?, "scopes"?, "approved"?}``
  (``allow|ask|deny`` with ToolRampart's status); neither raises;
* :func:`fail_closed(path) <fail_closed>`: a decision function that denies
  whenever the bundle or the call is unusable; it never raises.

Modules: ``model`` (Decision, RuleRef, BundleError), ``matching`` (RE2 sets
and memoized per-string facts), ``bundle`` (the decision procedure),
``load`` (verification and the dispatch on the payload's dialect), ``jsonparse`` (JSON parsing with a nesting limit
checked before the parser recurses). Format: ``docs/bundle-format.md``.
"""

from .bundle import Bundle
from .load import BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, MAX_BUNDLE_DEPTH, fail_closed, load_bundle
from .model import BundleError, Decision, RuleRef

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_VERSION",
    "Bundle",
    "BundleError",
    "MAX_BUNDLE_DEPTH",
    "Decision",
    "RuleRef",
    "fail_closed",
    "load_bundle",
]
