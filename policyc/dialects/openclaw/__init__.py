"""The OpenClaw Production Toolkit dialect: agent policies read as the toolkit's engine reads them.

One YAML file per agent (``agent``, ``permissions.allow``/``deny``/
``escalate``, and the never-read ``metadata``, ``audit``, ``rate_limits``,
``trust``), loaded from a directory by the toolkit's ``PolicyEngine``
(``src/policy-engine.js``, MIT; see ``../shared/spec/other-dialects.md`` §A).
The package re-implements that engine's semantics, never its code:

============  ==============================================================
module        what it does
============  ==============================================================
jsvalue       JavaScript values and the ECMAScript operations the engine uses
jsprops       property lookup and ``for ... of`` (Node 20's prototypes)
jsdate        Dates (js-yaml timestamps)
yamlread      a file as js-yaml 4 loads it (positions from yaml_source)
model         frozen dataclasses: AgentPolicy, RuleList, RuleEntry, Call
build         the model of one file
schema        the JSON Schema (``schema.json``): PC503, PC504
loader        ``loadPolicies``: directory order, missing and duplicate agents
patterns      ``matchesPattern`` as languages (inclusion, witnesses)
conditions    ``evaluateCondition``
evaluate      ``checkPermission``: the reference evaluator
lower         the policies the engine holds as policyc's IR, for the shared
              analysis passes (PC101, PC302), and that IR decided
tagged        values as bundle JSON
codegen       the bundle writer (``docs/bundle-format.md`` §8)
runtime       ``OpenClawBundle`` (``BUNDLE``): a toolkit bundle decided
diff          ``policyc diff`` of two policy directories
commands      what compile, eval, diff, test and coverage ask of the dialect
coverage      seed 003's checklist from the policy files (``coverage.yaml``)
codes         the PC5xx checks (``CHECKS``), re-exported by ``checks``
checks        their analyses
============  ==============================================================

What policyc refuses rather than reproduces (each case is a diagnostic, and
:func:`decide` then answers ``error``, never a guess):

* files the engine would load but policyc does not read: over 1 MiB
  (PC004), invalid UTF-8 (PC006; Node substitutes U+FFFD), merge keys,
  tags other than the core scalar ones, complex keys, anchors defined twice,
  surrogate escapes, integers PyYAML cannot build (over 4300 digits), and
  the rare document PyYAML's parser refuses but js-yaml's accepts (PC001);
  nesting over 64 levels (PC005) and alias bombs (PC003). See
  :mod:`.yamlread`.
* a timestamp used as a mapping key inside an escalate rule is named as
  Node names it with ``TZ=UTC``; the engine's reason text for it depends on
  the machine's time zone.
* calls nested deeper than Python's stack (``error``: ``Maximum call stack
  size exceeded``; Node's limit is deeper).

Everything else, non-mapping contexts included, is decided as the engine
decides it; ``tests/test_openclaw_differential.py`` compares both on more
than 10,000 generated calls per run.

Public API (the functions import lazily, so that ``policyc.checks`` can
import :mod:`.codes` while it is itself being imported), including what
:mod:`policyc.dialects.registry` asks of a dialect (``NAME``, ``claims``,
``check_paths``):

* ``NAME`` -- ``"openclaw-toolkit"``;
* :func:`claims` -- are these top-level keys an OpenClaw agent policy's?
* :func:`recognise` -- is a parsed YAML root an OpenClaw agent policy?
* :func:`load_paths` -- load files and directories (:class:`~.loader.LoadResult`);
* :func:`check_paths` -- load diagnostics, every check and the shared
  passes of :data:`SHARED_PASSES`;
* :func:`decide` -- decide one call (:class:`~.evaluate.Outcome`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from policyc.diagnostics.model import Diagnostic
    from policyc.dialects.openclaw.evaluate import Outcome
    from policyc.dialects.openclaw.loader import LoadResult

__all__ = ["NAME", "SHARED_PASSES", "claims", "recognise", "load_paths", "check_paths", "decide"]

NAME = "openclaw-toolkit"

SHARED_PASSES = ("reachability", "analysis-budget")
"""The stages of :data:`policyc.passes.PASSES` that :func:`check_paths` runs
on the lowered policies (:mod:`.lower`): PC302 duplicate-rule and PC101
unreachable-rule (among them every allow entry a deny or escalate entry
decides first), and PC110 for what the work budget stopped. The others
judge what the toolkit has not: Rampart's fields, tools, tiers and
expiries; and deny-overrides between policies (PC102-PC104), where the
toolkit applies one policy per agent."""

_OWN_KEYS = frozenset({"agent", "permissions"})
#: Top-level keys only a Rampart policy or suite file has.
_RAMPART_KEYS = frozenset({"version", "default_action", "notify", "policies", "tests", "policy"})


def claims(keys: Any) -> bool:
    """Whether a YAML document whose top level is a mapping with these keys
    (any iterable of keys; a mapping's keys are used) is an agent policy: it
    has ``agent`` and/or ``permissions`` and no key only Rampart files have
    (``policies``, ``version``, ``default_action``, ``tests``, ``policy``,
    ``notify``)."""
    found = {k for k in keys if isinstance(k, str)}
    return bool(found & _OWN_KEYS) and not found & _RAMPART_KEYS


def recognise(root_node: Any) -> bool:
    """Whether ``root_node`` (a :mod:`policyc.frontends.yaml_source` node,
    or ``None``) is a top-level mapping :func:`claims` would accept
    (compared with the keys' source text)."""
    from policyc.frontends.yaml_source import YMap

    if not isinstance(root_node, YMap):
        return False
    return claims(key.text for key, _ in root_node.items)


def load_paths(paths: list[str]) -> LoadResult:
    """Load policy files and directories as ``PolicyEngine.loadPolicies``
    does (see :mod:`.loader`). Never raises: problems are diagnostics."""
    from policyc.dialects.openclaw.loader import load_paths as load

    return load(list(paths))


def check_paths(paths: list[str]) -> list[Diagnostic]:
    """Every diagnostic for ``paths``: load problems (PC001-PC006 from the
    YAML reader, PC501-PC504), every check (PC505-PC514; PC512 is retired) and the findings
    of the :data:`SHARED_PASSES` on the policies the engine holds, lowered
    (:func:`.lower.lower`; with the default work budget), sorted by file,
    line and column."""
    from policyc.analysis.budget import Budget
    from policyc.diagnostics.model import Diagnostic
    from policyc.dialects.openclaw.checks import run_checks
    from policyc.dialects.openclaw.lower import lower
    from policyc.passes import PASSES
    from policyc.passes.context import Context

    result = load_paths(paths)
    found = list(result.diagnostics) + run_checks(result)
    ctx = Context(lower(result).policy_set, budget=Budget())
    for stage in PASSES:
        if stage.name in SHARED_PASSES:
            found.extend(stage.run(ctx))
    found.sort(key=Diagnostic.sort_key)
    return found


def decide(result: LoadResult, call: Any) -> Outcome:
    """Decide ``call`` (``{"agent", "action", "context"}`` as JSON values,
    or a :class:`~.model.Call`) exactly as ``checkPermission`` would with
    the policies ``result`` holds. Never raises; see :mod:`.evaluate`."""
    from policyc.dialects.openclaw.evaluate import decide as run

    return run(result, call)
