"""The OpenClaw toolkit's bundle writer (``docs/bundle-format.md`` §8).

``compile_openclaw(result, sources) -> bytes``: the agent policies a
:class:`~policyc.dialects.openclaw.loader.LoadResult` holds, as a version 3
bundle (the envelope, manifest and digest of :func:`.bundle.bundle_bytes`)
whose payload is::

    {"dialect": "openclaw-toolkit", "call_model": "openclaw-action",
     "combining": {"name": "openclaw-toolkit", "order": ["allow", "deny", "escalate"],
                   "policy_combining": "only-one-applicable",
                   "rule_combining": "first-applicable"},
     "values": [ENTRY, ...],
     "agents": [{"agent": VALUE, "escalate": VALUE, "deny": VALUE, "allow": VALUE}, ...]}

``agents``: every policy the engine holds, in its ``Map`` order, with the
values the evaluator reads (``permissions.escalate``, ``deny``, ``allow``;
``undefined`` when absent); values and the ``values`` table are the tagged
encoding of :mod:`policyc.dialects.openclaw.tagged`. The same sources give
byte-identical bundles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policyc.codegen.bundle import CompileError, bundle_bytes
from policyc.dialects.openclaw import NAME
from policyc.dialects.openclaw.evaluate import CALL_MODEL, COMBINING
from policyc.dialects.openclaw.loader import LoadResult
from policyc.dialects.openclaw.model import RULE_LISTS
from policyc.dialects.openclaw.tagged import Encoder

__all__ = ["compile_payload", "compile_openclaw"]


def compile_payload(result: LoadResult) -> dict[str, Any]:
    """The payload (a JSON-ready dict, shape above) of the policies
    ``result`` holds. Raises :class:`~.bundle.CompileError` when the engine
    would not load them (``result.ok`` is false)."""
    if not result.ok:
        raise CompileError(f"the engine does not load these policies: {result.load_error}")
    encoder = Encoder()
    agents = []
    for policy in result.policies.values():
        entry = {"agent": encoder.encode(policy.agent)}
        entry.update(zip(RULE_LISTS, map(encoder.encode, policy.rule_values)))
        agents.append(entry)
    return {"dialect": NAME, "call_model": CALL_MODEL, "combining": COMBINING,
            "values": encoder.entries, "agents": agents}


def compile_openclaw(result: LoadResult, sources: Mapping[str, bytes]) -> bytes:
    """The canonical bundle bytes of ``result``'s policies; ``sources`` maps
    each source path (as the manifest names it) to the file's bytes. Raises
    :class:`~.bundle.CompileError` as :func:`compile_payload` does."""
    return bundle_bytes(compile_payload(result), sources)
