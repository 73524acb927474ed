"""Assemble a :class:`~policyc.ir.PolicySet` from policy files and directories.

Several paths form one policy set, like Rampart's policy directory: a
directory contributes its ``*.yaml``/``*.yml`` files in sorted order. The
project tier (spec §3.5) is a file passed as ``project`` or any file whose
path ends in ``.rampart/policy.yaml``.

Order and defaults follow the engine's policy-directory loader (spec §3.4;
Rampart's ``mergeYAMLFiles``): the global files are taken in sorted base-name
order, wherever they were named (the engine loads a policy directory), and
the FIRST of them that sets ``default_action`` decides the default for the
whole set; a file without one does not count. With none set, the default is
deny. The project file's own ``default_action`` is ignored, as the engine's
``mergeProjectPolicy`` ignores it (the base's default wins).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.dialects.rampart.frontend import LoadedFile, load_file
from policyc.ir import Effect, PolicySet, ProjectFile, Span, Tier

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC111", "source-budget", Severity.ERROR,
          "More policy source named in one `check` run than the source budget allows; nothing was checked."),
]

PROJECT_SUFFIX = (".rampart", "policy.yaml")


@dataclass
class LoadedSet:
    """A policy set with every file's load result (diagnostics included)."""

    policy_set: PolicySet
    files: list[LoadedFile] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def global_set(self) -> PolicySet | None:
        """The global tier alone (its files that loaded and hold policies or a
        default), as the engine decides without the project tier; ``None``
        when there is none. The project-tier pass and the no-weakening proof
        (spec §3.5) compare the merged set with it."""
        files = [f for f in self.files if f.tier is Tier.GLOBAL and f.ok and (f.policies or f.default)]
        return assemble(files) if files else None

    @property
    def project_files(self) -> tuple[ProjectFile, ...]:
        """The project-tier files read whole, as the IR's :class:`~policyc.ir.ProjectFile`:
        without load errors, or with only PC201 (a webhook refuses the file
        in the engine, but its other findings are independent problems)."""
        return tuple(
            ProjectFile(f.path, f.lowered, f.default if f.facts.default_span is not None else None,
                        f.facts.default_span, f.ok)
            for f in self.files
            if f.tier is Tier.PROJECT and all(d.code == "PC201" for d in f.diagnostics if d.severity is Severity.ERROR))


def expand(paths: list[str]) -> list[str]:
    """Files named by ``paths``: directories become their sorted YAML files.

    Raises ``FileNotFoundError`` for a path that does not exist.
    """
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(str(p) for p in sorted(path.iterdir())
                       if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            out.append(raw)
        else:
            raise FileNotFoundError(f"{raw}: no such file or directory")
    return out


def is_project_file(path: str) -> bool:
    return Path(path).parts[-2:] == PROJECT_SUFFIX


def load_policy_set(paths: list[str], *, project: str | None = None,
                    source_bytes: int | None = None) -> LoadedSet:
    """Load the files of ``paths`` (global tier, or project tier by name) and
    the optional ``project`` file into one policy set.

    With ``source_bytes`` (``policyc check``'s ``[budget] source-bytes``),
    files that hold more bytes in all are not read: the set is empty and the
    first file past the limit carries PC111 source-budget, so a pull request
    of megabytes of policy fails at once instead of stalling the run.

    Raises ``OSError`` when a file cannot be read (or, with
    ``source_bytes``, measured); content problems are diagnostics on the
    returned files.
    """
    named = [(path, Tier.PROJECT if is_project_file(path) else Tier.GLOBAL)
             for path in sorted(expand(paths), key=lambda p: Path(p).name)]
    if project is not None:
        named.append((project, Tier.PROJECT))
    refused = over_source_budget([path for path, _ in named], source_bytes)
    if refused is not None:
        files = [LoadedFile(path, [refused] if path == refused.span.path else [], tier=tier)
                 for path, tier in named]
        return LoadedSet(assemble(files), files)
    files = [load_file(path, tier=tier) for path, tier in named]
    _cross_file_duplicates(files)
    return LoadedSet(assemble(files), files)


def over_source_budget(paths: list[str], limit: int | None) -> Diagnostic | None:
    """PC111 at line 1 of the first of ``paths`` whose size (``os.stat``)
    takes the total past ``limit`` bytes, or None (also with no limit)."""
    if limit is None:
        return None
    total, first = 0, None
    for path in paths:
        total += os.stat(path).st_size
        if first is None and total > limit:
            first = path
    if first is None:
        return None
    return check("PC111").at(
        Span(first, 1, 1, 1, 2),
        f"not checked: the {len(paths)} file(s) to check hold {total:,} bytes, over the source budget of "
        f"{limit:,} bytes; nothing was checked",
        help="check fewer files per run (pre-commit passes files in batches), or raise `source-bytes` "
             "in the `[budget]` configuration (docs/configuration.md)",
        label="the budget runs out in this file")


#: The one duplicate the engine's directory loader tolerates: Rampart <= 1.5
#: shipped this policy in both managed profiles; the first file's copy stays.
_LEGACY_DUPLICATE = ("block-self-modification", frozenset({"openclaw.yaml", "standard.yaml"}))


def _cross_file_duplicates(files: list[LoadedFile]) -> None:
    """A policy name defined in two global files refuses the whole set (PC016,
    on the later file; the engine's ``mergeYAMLFiles``), except the legacy
    managed-profile duplicate, whose later copy is dropped."""
    seen: dict[str, LoadedFile] = {}
    for f in files:
        if f.tier is not Tier.GLOBAL:
            continue
        kept = []
        for policy in f.policies:
            first = seen.get(policy.name)
            if first is None:
                seen[policy.name] = f
                kept.append(policy)
            elif (policy.name == _LEGACY_DUPLICATE[0]
                  and {Path(first.path).name, Path(f.path).name} == _LEGACY_DUPLICATE[1]):
                continue
            else:
                f.diagnostics.append(check("PC016").at(
                    policy.span, f"duplicate policy name `{policy.name}`: {first.path} defines it too",
                    help="files loaded together (a policy directory) need unique policy names; "
                         "the engine refuses the whole set"))
                kept.append(policy)
        f.policies = tuple(kept) if f.ok else ()


def assemble(files: list[LoadedFile]) -> PolicySet:
    """One policy set from loaded files (see the module docstring)."""
    policies = []
    default: Effect | None = None
    for f in files:
        policies.extend(f.policies)
        if f.tier is not Tier.PROJECT and default is None and _sets_default(f):
            default = f.default
    return PolicySet(tuple(policies), default or Effect.DENY, tuple(f.path for f in files))


def _sets_default(f: LoadedFile) -> bool:
    return f.facts.default_span is not None
