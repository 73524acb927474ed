"""The coverage report's data model: catalog items, verdicts, results.

A catalog (an OWASP risk list or a production checklist, shipped as YAML in
``policyc/coverage/data``) holds :class:`Item` s. Every means of verifying an
item (a probe call, a policy-set property, a deployment-artifact check) gives
a :class:`Verdict`: ``ok`` True or False, or None when the evidence is absent.
:func:`status_of` turns an item's verdicts into its :class:`Status`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.Enum):
    """An item's coverage status, best first."""

    COVERED = "covered"
    PARTIAL = "partial"
    UNCOVERED = "uncovered"
    NEEDS_EVIDENCE = "needs-evidence"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Item:
    """One OWASP risk or checklist item.

    ``key`` is how probes name it (``ASI02`` for an OWASP risk,
    ``CHECKLIST/ITEM`` for a checklist item). ``properties`` and
    ``deployment`` name verifiers; ``needs`` is the evidence that would settle
    the item when nothing given can; ``fixed`` is a status set by the catalog
    (``not-applicable``) with its ``reason``; ``ceiling`` caps the status of a
    risk a tool-call policy only partly sees, ``limits`` says what it cannot.
    """

    key: str
    id: str
    text: str
    title: str = ""
    section: str = ""
    source: str = ""
    properties: tuple[str, ...] = ()
    deployment: tuple[str, ...] = ()
    needs: str = ""
    fixed: Status | None = None
    reason: str = ""
    ceiling: Status | None = None
    limits: str = ""


@dataclass(frozen=True)
class Catalog:
    """An ordered list of items: ``id`` (``owasp-asi-2026``, ``rampart``...)."""

    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Verdict:
    """One piece of evidence: ``ok`` True/False, or None (evidence absent).
    ``evidence`` is the JSON-ready record shown in reports; ``missing`` says
    what failed or what would settle the item."""

    ok: bool | None
    evidence: dict[str, Any]
    missing: str = ""


@dataclass(frozen=True)
class ItemResult:
    """An item with its status, the evidence behind it and what is missing."""

    item: Item
    status: Status
    evidence: tuple[dict[str, Any], ...] = ()
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.item.id}
        if self.item.title:
            out["title"] = self.item.title
        out["text"] = self.item.text
        if self.item.section:
            out["section"] = self.item.section
        out.update(status=self.status.value, evidence=list(self.evidence), missing=list(self.missing))
        if self.item.limits:
            out["limits"] = self.item.limits
        return out


@dataclass
class Report:
    """A whole coverage report. ``owasp`` and ``checklists`` hold results in
    catalog order; ``context`` describes what was verified (sources, default
    action, bundle digest, deployment artifacts, probe files)."""

    owasp: list[ItemResult]
    checklists: list[tuple[Catalog, list[ItemResult]]]
    context: dict[str, Any] = field(default_factory=dict)

    def all_results(self) -> list[ItemResult]:
        return self.owasp + [r for _, results in self.checklists for r in results]

    def summary(self) -> dict[str, Any]:
        """Counts per status (``owasp``, each checklist, ``total``) and the
        ``score``: covered items over items a policy or artifact could verify
        (covered + partial + uncovered), a float in [0, 1] (1.0 when none)."""

        def counts(results: list[ItemResult]) -> dict[str, int]:
            return {s.value: sum(r.status is s for r in results) for s in Status}

        total = counts(self.all_results())
        return {
            "owasp": counts(self.owasp),
            "checklists": {c.id: counts(results) for c, results in self.checklists},
            "total": total,
            "score": score(total),
        }

    def to_json(self) -> dict[str, Any]:
        """The report's JSON document (see docs/coverage.md)."""
        return {
            "owasp": [r.to_json() for r in self.owasp],
            "checklists": [{"id": c.id, "title": c.title, "items": [r.to_json() for r in results]}
                           for c, results in self.checklists],
            "summary": self.summary(),
            "context": self.context,
        }


def score(counts: dict[str, int]) -> float:
    """Covered share of the verifiable items in ``counts`` (status -> count)."""
    verifiable = sum(counts[s.value] for s in (Status.COVERED, Status.PARTIAL, Status.UNCOVERED))
    return round(counts[Status.COVERED.value] / verifiable, 4) if verifiable else 1.0


def status_of(item: Item, verdicts: list[Verdict]) -> Status:
    """The status rule: a catalog-fixed status stands; with no verdict or only
    absent evidence the item needs evidence; otherwise covered when every
    verdict holds, uncovered when none does, partial in between. When some
    evidence is absent and all the rest holds, the item still needs evidence
    (never covered on a guess). ``ceiling`` caps covered to partial."""
    if item.fixed is not None and not verdicts:
        return item.fixed
    known = [v.ok for v in verdicts if v.ok is not None]
    if not known:
        return Status.NEEDS_EVIDENCE
    held = sum(known)
    if held == 0:
        return Status.UNCOVERED
    if held < len(known):
        return Status.PARTIAL
    if len(known) < len(verdicts):
        return Status.NEEDS_EVIDENCE
    if item.ceiling is Status.PARTIAL:
        return Status.PARTIAL
    return Status.COVERED
