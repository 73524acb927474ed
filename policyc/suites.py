"""Test suites for the dialects other than Rampart (``policyc test``).

A Rampart policy carries its own ``tests:``; an OpenClaw toolkit agent
policy or a ToolRampart tool module has no place for tests, so their cases
live in a *suite*: a YAML file with ``policy:`` naming the policies (a file
or a directory, resolved from the suite's directory as a Rampart suite's
is; ``~/`` is the home directory) and ``tests:``, each case a mapping::

    policy: ../policies
    tests:
      - name: reads are allowed
        call: {agent: support-bot, action: "read:tickets"}
        expect: allow
        expect_message: "*allow*"     # optional, a glob as for Rampart

``call`` is the call in the shape ``policyc eval`` takes for the dialect
that reads ``policy:`` (docs/dialects.md), ``expect`` one of that
dialect's outcomes (its ``commands.EXPECT``: ``allow``/``deny``/``escalate``/
``error`` for the toolkit, a ToolRampart status such as ``success`` or
``requires_approval``). Every case is decided by the dialect's reference
evaluator and by its bundle compiled in memory, each case from a fresh
start (a runtime's state, ToolRampart's rate-limit counters, begins at
zero; a call's ``history`` reaches a limit); a case fails when either
misses the expectation or the two disagree.

The suite is untrusted input, as a Rampart suite is: ``policy:`` is read
(even to tell its dialect) only when its real path lies inside the root;
any other is left to the Rampart test runner, which refuses it with PC021
without opening it. Problems with the suite itself (not YAML, no ``tests:``, a
case without ``call`` or with an unknown ``expect``) are PC021 on the
place; problems with the policies are their dialect's load diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from policyc.checks import check
from policyc.diagnostics.model import Diagnostic, DiagnosticError
from policyc.dialects.registry import commands_of, dialect_of_tree
from policyc.frontends import yaml_source
from policyc.dialects.rampart.frontend import resolve_suite_policy
from policyc.frontends.yaml_source import YMap, YSeq
from policyc.ir import Span
from policyc.patterns import match_path_glob

__all__ = ["DialectCase", "suite_dialect", "run_suite"]

_CASE_KEYS = ("name", "call", "expect", "expect_message")


@dataclass(frozen=True)
class DialectCase:
    """One case of a dialect suite and how both engines decided it:
    ``decision`` the reference evaluator's decision JSON, ``bundle_decision``
    the bundle runtime's (the same shape); ``actual`` the reference's
    outcome as ``expect`` names it."""

    path: str
    name: str
    span: Span
    call: Any
    expected: str
    expected_message: str | None
    decision: dict[str, Any]
    bundle_decision: dict[str, Any]
    actual: str

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def message(self) -> str:
        return str(self.decision.get("message") or self.decision.get("error") or "")

    @property
    def engines_agree(self) -> bool:
        return self.decision == self.bundle_decision

    @property
    def message_ok(self) -> bool:
        return self.expected_message is None or match_path_glob(self.expected_message, self.message)

    @property
    def passed(self) -> bool:
        return self.actual == self.expected and self.message_ok and self.engines_agree

    @property
    def why(self) -> str | None:
        """The engine's message, which names what decided (for a failure's detail)."""
        return self.message or None

    def to_json(self) -> dict[str, Any]:
        """The same members as a Rampart case's ``to_json`` (``policyc test --format json``)."""
        return {"name": self.name, "path": self.path, "line": self.line, "call": self.call,
                "expected": self.expected, "expected_message": self.expected_message, "actual": self.actual,
                "message": self.message, "passed": self.passed, "engines_agree": self.engines_agree,
                "decision": self.decision, "bundle_decision": self.bundle_decision}


def suite_dialect(path: str, root: str | None) -> tuple[ModuleType, str] | None:
    """``(the dialect's commands module, the resolved policy path)`` when
    ``path`` is a suite whose ``policy:`` names files a registered dialect
    reads; ``None`` for anything else: a Rampart suite or policy, a file
    that cannot be read, and a ``policy:`` outside ``root`` (``None``:
    anywhere), which is never looked at (the Rampart path refuses it with
    PC021). Reads the suite's top-level keys
    (:func:`policyc.recognise.top_level_keys`) and the top-level keys of
    the policy files (:func:`~policyc.dialects.registry.dialect_of_tree`).
    Never raises."""
    from policyc.recognise import top_level_keys
    from policyc.testing import inside

    keys = top_level_keys(path)
    if not keys or "tests" not in keys or not isinstance(keys.get("policy"), str):
        return None
    target = resolve_suite_policy(path, keys["policy"])
    if root is not None and not inside(target, root):
        return None
    dialect = dialect_of_tree(target)
    return None if dialect is None else (commands_of(dialect), target)


def run_suite(path: str, commands: ModuleType, target: str) -> tuple[list[DialectCase], list[Diagnostic]]:
    """Decide every case of the suite at ``path`` against ``target`` (its
    resolved ``policy:``, confined by :func:`suite_dialect`) with the
    dialect ``commands``. Returns the cases and the diagnostics (the
    suite's PC021, the policies' load diagnostics; no case runs when the
    policies do not load). Raises ``OSError`` when a file cannot be read."""
    try:
        root_node = yaml_source.load(path)
    except DiagnosticError as exc:
        return [], [exc.diagnostic]
    if not isinstance(root_node, YMap):
        return [], []  # suite_dialect saw a mapping: the file changed under us; nothing to run
    cases, problems = _cases(path, root_node.get("tests"), commands.EXPECT)
    result = commands.load([target])
    diagnostics = problems + list(result.diagnostics)
    if not result.ok:
        return [], sorted(diagnostics, key=Diagnostic.sort_key)
    from policyc.runtime import load_bundle

    bundle = load_bundle(commands.compile_bundle(result))
    decided = []
    for name, span, call, expect, message in cases:  # each case starts afresh, both engines alike
        decision = commands.reference(result)(call)
        bundle.reset()
        decided.append(DialectCase(path, name, span, call, expect, message, decision,
                                   bundle.decide(call).to_json(), commands.outcome(decision)))
    return decided, sorted(diagnostics, key=Diagnostic.sort_key)


def _cases(path: str, node: Any, expect: tuple[str, ...]) -> tuple[list[tuple], list[Diagnostic]]:
    """``[(name, span, call, expect, expect_message)]`` and PC021 for each
    case that cannot run."""
    bad = check("PC021")
    if not isinstance(node, YSeq):
        where = node.span if node is not None else Span(path, 1, 1)
        return [], [bad.at(where, "`tests:` must be a list of cases", help="each case has name, call and expect")]
    out, problems = [], []
    for index, item in enumerate(node.items):
        if not isinstance(item, YMap):
            problems.append(bad.at(item.span, f"test case #{index + 1} is not a mapping",
                                   help="each case has name, call and expect"))
            continue
        plain = yaml_source.to_plain(item)
        name = str(plain.get("name") or f"test #{index + 1}")
        wanted = plain.get("expect")
        unknown = [key for key, _ in item.items if key.value not in _CASE_KEYS]
        if unknown:
            problems.append(bad.at(unknown[0].span, f"test case `{name}` has unknown key {unknown[0].text!r}",
                                   help="a case has name, call, expect and optionally expect_message"))
        elif "call" not in plain:
            problems.append(bad.at(item.span, f"test case `{name}` has no `call`",
                                   help="`call:` is the call as `policyc eval` reads it for this dialect"))
        elif wanted not in expect:
            where = item.get("expect").span if item.get("expect") is not None else item.span
            problems.append(bad.at(where, f"test case `{name}` expects {wanted!r}, not one of this dialect's "
                                          f"outcomes", help="expect one of " + ", ".join(expect)))
        elif plain.get("expect_message") is not None and not isinstance(plain["expect_message"], str):
            problems.append(bad.at(item.get("expect_message").span,
                                   f"test case `{name}`: expect_message must be a string (a glob)"))
        else:
            out.append((name, item.span, plain["call"], wanted, plain.get("expect_message")))
    return out, problems

