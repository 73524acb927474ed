"""Load policy files and directories as the engine's ``loadPolicies`` does.

``PolicyEngine.loadPolicies`` lists its directory (``fs.readdirSync``:
not recursive, every entry, in bytewise name order), keeps the names that
end in ``.yaml`` or ``.yml`` (case-sensitive, so ``X.YAML`` is skipped and
a file named ``.yaml`` is read), and for each one in turn reads it as UTF-8,
``yaml.load``s it, and throws when the result has no truthy ``agent``
(``Policy file F missing required 'agent' field``; an empty file throws
``Cannot read properties of undefined``). The first throw fails the whole
load: no agent gets a policy. Otherwise ``policies.set(agent, policy)``:
a second file with the same ``agent`` silently replaces the first one
(keeping its place in the ``Map``'s order).

:func:`load_paths` takes directories (read as above) and files (read
whatever their suffix, in the order given) and, unlike the engine, goes on
past a failing file so that every file's problems are reported. Every
problem is a :class:`~policyc.diagnostics.model.Diagnostic`; nothing raises.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.openclaw import yamlread
from policyc.dialects.openclaw.build import build_policy
from policyc.dialects.openclaw.codes import DUPLICATE_AGENT, UNLOADABLE
from policyc.dialects.openclaw.jsvalue import (
    UNDEFINED, JSObject, describe, map_key, show, truthy,
)
from policyc.dialects.openclaw.model import AgentPolicy
from policyc.dialects.openclaw.schema import schema_diagnostics
from policyc.ir import Span

__all__ = ["FileResult", "LoadResult", "load_paths", "SUFFIXES"]

SUFFIXES = (b".yaml", b".yml")
"""The names ``loadPolicies`` reads from a directory (bytes, case-sensitive)."""


@dataclass
class FileResult:
    """One file: its document, its policy (when the document is a mapping)
    and ``failure``, what the engine throws on it (``None`` when it loads)."""

    path: str
    document: yamlread.YamlDocument | None = None
    policy: AgentPolicy | None = None
    failure: str | None = None


@dataclass
class LoadResult:
    """What :func:`load_paths` read.

    ``policies``: the policies the engine holds, keyed by
    :func:`~policyc.dialects.openclaw.jsvalue.map_key` of their agent
    in the engine's ``Map`` order (a replaced agent keeps its first place);
    ``files``: the files read, in order; ``file_results``: every file with
    its policy (replaced ones included) and failure; ``diagnostics``: every
    load problem; ``load_error``: what ``loadPolicies`` throws first (``None``
    when the engine loads the files)."""

    policies: dict[Any, AgentPolicy] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    file_results: list[FileResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    load_error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the engine would load these files."""
        return self.load_error is None

    def policy_for(self, agent: Any) -> AgentPolicy | None:
        """``policies.get(agent)``: the policy a call's agent gets."""
        if isinstance(agent, (list, dict)):
            return None
        return self.policies.get(map_key(agent))

    def fail(self, message: str) -> None:
        if self.load_error is None:
            self.load_error = message


def load_paths(paths: list[str]) -> LoadResult:
    """Load every file and directory in ``paths`` (see the module docstring)."""
    result = LoadResult()
    seen: set[str] = set()
    for path in paths:
        for full, name in _expand(path, result):
            real = os.path.realpath(full)
            if real in seen:  # the same file named twice is read once
                continue
            seen.add(real)
            _load_file(full, name, result)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _expand(path: str, result: LoadResult) -> list[tuple[str, bytes]]:
    if os.path.isdir(path):
        try:
            names = sorted(os.listdir(os.fsencode(path)))
        except OSError as exc:
            _unreadable(result, path, path, exc)
            return []
        return [(os.path.join(path, os.fsdecode(n)), n) for n in names if n.endswith(SUFFIXES)]
    return [(path, os.fsencode(os.path.basename(path)))]


def _unreadable(result: LoadResult, path: str, shown: str, exc: OSError,
                effect: str = "the engine's loadPolicies throws") -> None:
    why = exc.strerror or str(exc)
    code = {21: "EISDIR", 2: "ENOENT", 13: "EACCES", 20: "ENOTDIR"}.get(exc.errno or 0, "EIO")
    result.fail(f"{code}: {why.lower()}, {shown}")
    result.diagnostics.append(UNLOADABLE.at(
        Span(path, 1, 1, 1, 2), f"cannot read {shown}: {why}; {effect}, so no policy of the "
        "directory is loaded", label="unreadable",
        help="remove the entry or make it a readable policy file"))
    result.file_results.append(FileResult(path, failure=why))


def _load_file(path: str, name: bytes, result: LoadResult) -> None:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        exc = OSError(2, "its name is not UTF-8: Node replaces the bad bytes and then finds no "
                         "such file")
        shown = os.fsencode(path).decode("utf-8", "replace")  # printable, unlike the real name
        _unreadable(result, shown, shown, exc)
        return
    if os.path.isdir(path):
        _unreadable(result, path, path, IsADirectoryError(21, "Is a directory (EISDIR)"))
        return
    if os.path.exists(path) and not os.path.isfile(path):  # a FIFO or device: never opened
        _unreadable(result, path, path, OSError(0, "not a regular file"),
                    "the engine's readFileSync blocks on it or reads a device; policyc does not open it")
        return
    try:
        doc = yamlread.read(path)
    except OSError as exc:
        _unreadable(result, path, path, exc)
        return
    result.files.append(path)
    entry = FileResult(path, doc)
    result.file_results.append(entry)
    if not doc.ok:
        result.diagnostics.extend(doc.diagnostics)
        entry.failure = doc.diagnostics[0].message
        result.fail(f"{path}: {entry.failure}")
        return
    entry.policy = build_policy(doc)
    result.diagnostics.extend(schema_diagnostics(doc))
    missing = _missing_agent(doc, os.fsdecode(name))
    if missing is not None:
        entry.failure = missing.message
        result.diagnostics.append(missing)
        result.fail(missing.extra.get("engine_error", missing.message))
        return
    _register(entry.policy, result)


def _missing_agent(doc: yamlread.YamlDocument, name: str) -> Diagnostic | None:
    """PC501 when the engine finds no truthy ``agent`` in ``doc``."""
    value = doc.value
    engine = f"Policy file {name} missing required 'agent' field"
    consequence = "so no policy of the directory is loaded"
    whole = yamlread.whole_file(doc.path)
    if value is UNDEFINED or value is None:
        what = "empty (no document)" if value is UNDEFINED else "a null document"
        reading = "undefined" if value is UNDEFINED else "null"
        engine = f"Cannot read properties of {reading} (reading 'agent')"
        return UNLOADABLE.at(whole, f"the file is {what}: the engine throws `{engine}`, {consequence}",
                             help="write the agent's policy (`agent:` and `permissions:`) or remove "
                                  "the file", label="empty policy file", engine_error=engine)
    if not isinstance(value, JSObject):
        node = doc.root
        return UNLOADABLE.at(node.span if node is not None else whole,
                             f"the top level is {describe(value)}, not a mapping, so it has no "
                             f"`agent`: the engine throws `{engine}`, {consequence}",
                             help="a policy file is a mapping with `agent:` and `permissions:`",
                             label="not a mapping", engine_error=engine)
    agent = value.own("agent")
    if truthy(agent):
        return None
    found = doc.entry(doc.root, "agent")
    if found is None:
        return UNLOADABLE.at(doc.root.span if doc.root is not None else whole,
                             f"no `agent` key: the engine throws `{engine}`, {consequence}",
                             help="add `agent: <agent id>` naming the agent this policy is for",
                             label="no agent", engine_error=engine)
    return UNLOADABLE.at(found[1].span,
                         f"`agent` is {_falsy(agent)}, which JavaScript treats as false: the engine "
                         f"throws `{engine}`, {consequence}",
                         help="write the agent's id as a non-empty string", label="falsy agent",
                         engine_error=engine)


def _falsy(value: Any) -> str:
    if value is None:
        return "null (empty)"
    if value == "":
        return "an empty string"
    if isinstance(value, bool):
        return "the boolean false"
    return f"the number {show(value)}"


def _register(policy: AgentPolicy | None, result: LoadResult) -> None:
    if policy is None:
        return
    key = map_key(policy.agent)
    earlier = result.policies.get(key)
    if earlier is not None:
        result.diagnostics.append(DUPLICATE_AGENT.at(
            policy.agent_span,
            f"agent `{show(policy.agent)}` is already the agent of {earlier.path}: the engine keeps "
            "one policy per agent, so this file, read later, silently replaces that one, whose rules "
            "are never applied",
            help="merge the two files into one, or give each its own agent id",
            label="replaces an earlier policy", first_path=earlier.path))
    result.policies[key] = policy
