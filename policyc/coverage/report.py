"""Build a coverage report: OWASP risks and production checklists, each item
verified by probe calls, policy-set properties and deployment artifacts.

:func:`build_report` is the whole pipeline; ``docs/coverage.md`` describes the
statuses and the JSON document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policyc import __version__
from policyc.codegen.bundle import compile_policy_set
from policyc.loader import LoadedSet
from policyc.runtime import load_bundle

from .catalog import DataError, Probe, load_probes, shipped_checklists, shipped_owasp, shipped_probes_path
from .deployment import CHECKS, read_artifacts
from .model import Catalog, Item, ItemResult, Report, Status, Verdict, status_of
from .probes import ProbeRun, run_probe
from .properties import PROPERTIES, PolicyFacts


def checklist_names() -> list[str]:
    """The ids of the shipped checklists (``--checklist`` choices)."""
    return [c.id for c in shipped_checklists()]


def _probes(paths: list[str], known: set[str]) -> list[Probe]:
    probes: list[Probe] = []
    seen: dict[str, Probe] = {}
    for path in [shipped_probes_path(), *paths]:
        for probe in load_probes(path, known):
            if probe.id in seen:
                first = seen[probe.id]
                raise DataError(f"{probe.path}:{probe.line}:1: duplicate probe id {probe.id!r} "
                                f"(first at {first.path}:{first.line})")
            seen[probe.id] = probe
            probes.append(probe)
    return probes


class ItemVerifier:
    """Verdicts per item, computing each property and deployment check once."""

    def __init__(self, runs: list[ProbeRun], facts: PolicyFacts, artifacts: Any):
        self.runs, self.facts, self.artifacts = runs, facts, artifacts
        self._memo: dict[str, Verdict] = {}

    def _once(self, key: str, compute: Any) -> Verdict:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def verdicts(self, item: Item) -> list[Verdict]:
        out = [run.verdict for run in self.runs if item.key in run.probe.evidences]
        out += [self._once("p:" + n, lambda n=n: PROPERTIES[n](self.facts)) for n in item.properties]
        out += [self._once("d:" + n, lambda n=n: CHECKS[n](self.artifacts)) for n in item.deployment]
        return out

    def result(self, item: Item) -> ItemResult:
        verdicts = self.verdicts(item)
        status = status_of(item, verdicts)
        evidence = [v.evidence for v in verdicts]
        missing = [f"needs {item.needs}" if v.ok is None and item.needs else v.missing
                   for v in verdicts if v.ok is not True and v.missing]
        if status is Status.NOT_APPLICABLE:
            evidence.append({"kind": "not-applicable", "reason": item.reason})
        elif not verdicts:
            needs = item.needs or "probe calls that evidence this item (add them with --probes)"
            evidence.append({"kind": "needs-evidence", "needs": needs})
            missing.append(f"needs {needs}")
        elif status is Status.PARTIAL and not missing and item.limits:
            missing.append(f"beyond a tool-call policy: {item.limits}")
        return ItemResult(item, status, tuple(evidence), tuple(missing))


def build_report(loaded: LoadedSet, sources: Mapping[str, bytes], *, checklists: list[str] | None = None,
                 deployments: list[str] = (), probe_files: list[str] = ()) -> Report:
    """The coverage report of a loaded (error-free) policy set.

    ``sources`` maps each policy file path to its bytes (for the bundle
    manifest); ``checklists`` selects shipped checklists by id (default all);
    ``deployments`` are artifact paths; ``probe_files`` add probes to the
    shipped ones. Probes are decided by the compiled bundle runtime.

    Raises :class:`~policyc.coverage.catalog.DataError` for a bad probe file
    or an unknown checklist name, ``ArtifactError``/``OSError`` for an
    unreadable artifact, ``CompileError`` when the set cannot be compiled.
    """
    owasp = shipped_owasp()
    every = shipped_checklists()
    chosen = _choose(every, checklists)
    known = {i.key for c in [owasp, *every] for i in c.items}
    probes = _probes(list(probe_files), known)
    bundle = load_bundle(compile_policy_set(loaded.policy_set, sources))
    runs = [run_probe(bundle, p) for p in probes]
    artifacts = read_artifacts(list(deployments))
    verifier = ItemVerifier(runs, PolicyFacts(loaded, runs), artifacts)
    context = {
        "policyc": __version__,
        "sources": list(loaded.policy_set.sources),
        "default_action": loaded.policy_set.default.value,
        "bundle_digest": bundle.digest,
        "probes": len(probes),
        "probe_files": [shipped_probes_path(), *probe_files],
        "deployment": dict(artifacts.kinds),
    }
    return Report([verifier.result(i) for i in owasp.items],
                  [(c, [verifier.result(i) for i in c.items]) for c in chosen], context)


def _choose(every: list[Catalog], names: list[str] | None) -> list[Catalog]:
    if not names:
        return every
    by_id = {c.id: c for c in every}
    unknown = [n for n in names if n not in by_id]
    if unknown:
        raise DataError(f"unknown checklist {unknown[0]!r}; choose from {', '.join(sorted(by_id))}")
    return [by_id[n] for n in dict.fromkeys(names)]
