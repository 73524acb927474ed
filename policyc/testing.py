"""Run policy test cases (spec §6) with the reference evaluator and the
compiled bundle runtime; a case fails when either engine misses the
expectation or the two engines disagree (a compiler bug).

A file is either a policy with inline ``tests:`` (run against the file's own
policies) or a suite with ``policy: RELATIVE_PATH`` and ``tests:`` (run
against that policy, resolved from the suite's directory; ``~/`` expands to
the home directory). A case passes when the decision's action equals
``expect`` and, if given, the message matches the ``expect_message`` glob
(``*`` does not cross ``/``, as the engine's test runner reads it).

Suites are untrusted input (a pull request can add one), so with a ``root``
a suite's ``policy:`` is read only when its real path (symlinks resolved)
lies inside that directory; any other is refused with PC021 on the
``policy:`` line, before the file is opened, and the message is the same
whether or not it exists. ``policyc test`` always confines: to ``--root``,
else to :func:`suite_root`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from policyc.checks import check
from policyc.codegen.bundle import compile_policy_set
from policyc.diagnostics.model import Diagnostic
from policyc.evaluate import Decision, ToolCall, decide
from policyc.dialects.rampart.frontend import LoadedFile, TestCase, load_file
from policyc.ir import Span, Tier
from policyc.loader import assemble
from policyc.patterns import match_path_glob
from policyc.runtime import load_bundle
from policyc.suites import DialectCase, run_suite, suite_dialect


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
    def name(self) -> str:
        return self.case.name

    @property
    def line(self) -> int:
        return self.case.span.line if self.case.span else 0

    @property
    def call(self) -> dict[str, Any]:
        return self.case.call

    @property
    def expected(self) -> str:
        return self.case.expect.value

    @property
    def expected_message(self) -> str | None:
        return self.case.expect_message

    @property
    def actual(self) -> str:
        return str(self.decision.action)

    @property
    def message(self) -> str:
        return self.decision.message

    @property
    def why(self) -> str | None:
        """The deciding rule as ``policy `NAME` rules[I]`` (``None``: the default action)."""
        return self.decision.rule.describe() if self.decision.rule else None

    @property
    def action_ok(self) -> bool:
        return self.decision.action == self.case.expect

    @property
    def message_ok(self) -> bool:
        pattern = self.case.expect_message
        return pattern is None or match_path_glob(pattern, self.decision.message)

    @property
    def passed(self) -> bool:
        return self.action_ok and self.message_ok and self.engines_agree

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "line": self.case.span.line if self.case.span else None,
            "call": self.call,
            "expected": self.expected,
            "expected_message": self.expected_message,
            "actual": self.actual,
            "message": self.message,
            "passed": self.passed,
            "engines_agree": self.engines_agree,
            "decision": self.decision.to_json(),
            "bundle_decision": self.bundle_decision,
        }


@dataclass
class FileResult:
    """The cases of one file, or the diagnostics that stopped them.
    ``root`` is the directory its suite policy was confined to (``None``:
    not confined)."""

    path: str
    policy_path: str
    cases: list[CaseResult | DialectCase] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: str | None = None


def suite_root(path: str) -> str:
    """The default root of the suite file ``path``: the top of the
    repository checkout holding it (the nearest ancestor directory with a
    ``.git`` entry, as a clone, worktree or submodule has), else the suite's
    own directory. Absolute; symlinks in it are not resolved."""
    start = os.path.dirname(os.path.abspath(path))
    directory = start
    while True:
        if os.path.lexists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


def inside(path: str, root: str) -> bool:
    """Whether the real path of ``path`` lies in the real path of ``root``."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([real, base]) == base


def run_file(path: str, *, project: str | None = None, root: str | None = None) -> FileResult:
    """Load ``path`` (and its suite policy) and decide every case.

    ``root``: the directory a suite's ``policy:`` must resolve inside (see
    the module docstring); ``None`` reads it wherever it is, for callers
    that trust the suite. A suite whose ``policy:`` names another
    dialect's files runs through :mod:`policyc.suites`. Raises ``OSError``
    when a file cannot be read.
    """
    other = suite_dialect(path, root)
    if other is not None:
        commands, target = other
        if project is not None:
            return FileResult(path, target, diagnostics=[check("PC021").at(
                Span(path, 1, 1), f"--project is a Rampart tier; this suite tests {commands.NAME} policies",
                help="run this suite without --project")], root=root)
        cases, diagnostics = run_suite(path, commands, target)
        return FileResult(path, target, cases, diagnostics, root)
    loaded = load_file(path)
    if loaded.suite_policy is not None and root is not None and not inside(loaded.suite_policy, root):
        return FileResult(path, path, diagnostics=_refuse_suite_policy(loaded, root), root=root)
    if not loaded.ok:
        return FileResult(path, path, diagnostics=list(loaded.diagnostics), root=root)
    policy_file = loaded if loaded.suite_policy is None else load_file(loaded.suite_policy)
    result = FileResult(path, policy_file.path, root=root)
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


def _refuse_suite_policy(loaded: LoadedFile, root: str) -> list[Diagnostic]:
    """The suite's diagnostics with PC021 on its ``policy:`` line for a
    policy outside ``root`` (replacing the front end's "not found", so the
    answer does not tell whether the file exists)."""
    span = loaded.facts.suite_span
    kept = [d for d in loaded.diagnostics if not (d.code == "PC021" and span is not None and d.span == span)]
    refusal = check("PC021").at(
        span, f"suite policy {loaded.facts.suite_text or loaded.suite_policy!r} resolves outside "
              f"{os.path.realpath(root)}; refusing to read it",
        help="a suite may name only a policy inside its repository (or its own directory when it is "
             "in none); pass --root DIR to allow a wider tree", label="outside the root")
    return sorted(kept + [refusal], key=Diagnostic.sort_key)
