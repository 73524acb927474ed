"""Run policy test cases (spec §6) with the reference evaluator and the
compiled bundle runtime; a case fails when either engine misses the
expectation or the two engines disagree (a compiler bug).

A file is either a policy with inline ``tests:`` (run against the file's own
policies) or a suite with ``policy: RELATIVE_PATH`` and ``tests:`` (run
against that policy, resolved from the suite's directory; ``~/`` expands to
the home directory). A case passes when the decision's action equals
``expect`` and, if given, the message matches the ``expect_message`` glob
(``*`` does not cross ``/``, as the engine's test runner reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policyc.codegen.bundle import compile_policy_set
from policyc.diagnostics.model import Diagnostic
from policyc.evaluate import Decision, ToolCall, decide
from policyc.frontends.rampart import LoadedFile, TestCase, load_file
from policyc.ir import Span, Tier
from policyc.loader import assemble
from policyc.patterns import match_path_glob
from policyc.runtime import load_bundle


@dataclass(frozen=True)
class CaseResult:
    """One case: what was expected and what the evaluator decided."""

    path: str
    case: TestCase
    decision: Decision
    bundle_decision: dict[str, Any] | None = None  # the runtime's Decision.to_json()

    @property
    def engines_agree(self) -> bool:
        return self.bundle_decision is None or self.bundle_decision == self.decision.to_json()

    @property
    def action_ok(self) -> bool:
        return self.decision.action is self.case.expect

    @property
    def message_ok(self) -> bool:
        pattern = self.case.expect_message
        return pattern is None or match_path_glob(pattern, self.decision.message)

    @property
    def passed(self) -> bool:
        return self.action_ok and self.message_ok and self.engines_agree

    def to_json(self) -> dict[str, Any]:
        span: Span | None = self.case.span
        return {
            "name": self.case.name,
            "path": self.path,
            "line": span.line if span else None,
            "call": self.case.call,
            "expected": self.case.expect.value,
            "expected_message": self.case.expect_message,
            "actual": self.decision.action.value,
            "message": self.decision.message,
            "passed": self.passed,
            "engines_agree": self.engines_agree,
            "decision": self.decision.to_json(),
            "bundle_decision": self.bundle_decision,
        }


@dataclass
class FileResult:
    """The cases of one file, or the diagnostics that stopped them."""

    path: str
    policy_path: str
    cases: list[CaseResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def run_file(path: str, *, project: str | None = None) -> FileResult:
    """Load ``path`` (and its suite policy) and decide every case.

    Raises ``OSError`` when a file cannot be read.
    """
    loaded = load_file(path)
    if not loaded.ok:
        return FileResult(path, path, diagnostics=list(loaded.diagnostics))
    policy_file = loaded if loaded.suite_policy is None else load_file(loaded.suite_policy)
    result = FileResult(path, policy_file.path)
    result.diagnostics.extend(loaded.diagnostics)
    if policy_file is not loaded:
        result.diagnostics.extend(policy_file.diagnostics)
    files: list[LoadedFile] = [policy_file]
    if project is not None:
        files.append(load_file(project, tier=Tier.PROJECT))
        result.diagnostics.extend(files[-1].diagnostics)
    if not all(f.ok for f in files):
        return result
    policy_set = assemble(files)
    bundle = None
    if loaded.tests:
        sources = {}
        for f in files:
            with open(f.path, "rb") as fh:
                sources[f.path] = fh.read()
        bundle = load_bundle(compile_policy_set(policy_set, sources))
    for case in loaded.tests:
        call = ToolCall.from_mapping(case.call)
        result.cases.append(CaseResult(path, case, decide(policy_set, call),
                                       bundle.decide(case.call).to_json()))
    return result
