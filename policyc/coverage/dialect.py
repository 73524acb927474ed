"""Coverage reports for the dialects besides Rampart (the OpenClaw toolkit, ToolRampart).

Rampart's report (:mod:`.report`) verifies catalog items with probe calls on
the compiled bundle, policy-set properties and deployment checks. Another
dialect verifies the same shipped catalogs (item ids, texts, sections) from
its own files, as two things describe:

* a **mapping** file (YAML, validated against :data:`MAPPING_SCHEMA`) that
  says how the dialect verifies every item of the OWASP catalog and of each
  checklist it reports::

      dialect: openclaw-toolkit
      owasp:
        ASI02: {verify: [deny-dangerous], ceiling: partial, limits: what stays invisible}
        ASI07: {status: not-applicable, reason: why}
      checklists:
        openclaw-toolkit:
          audit-retention: {verify: [audit-retention], needs: the audit store's retention setting}
          runbook: {}                  # needs-evidence, with the catalog's `needs`

  ``verify`` names the dialect's verifiers; ``needs`` (default: the
  catalog's) is what would settle the item when they cannot;
  ``status: not-applicable`` needs a ``reason``; ``ceiling: partial`` (with
  ``limits``) caps a risk the dialect only partly sees. The catalog's own
  means (probes, Rampart properties and deployment checks, and its fixed
  statuses, ceilings and limits, written for a Rampart policy set) are
  replaced, and every item must be listed so that none keeps them.
* **verifiers**: ``name -> () -> list[Verdict]``, each run once per report.
  A verifier gives one verdict per thing it judges (an agent's policy, a
  tool, a config) and at least one, so an item is partial when some hold.

Statuses, evidence and missing lines follow Rampart's rules
(:func:`~.model.status_of`, :meth:`~.report.ItemVerifier.result`). A dialect's
evidence is a ``source`` record made by :func:`source_verdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from policyc import __version__
from policyc.diagnostics.model import Diagnostic
from policyc.ir import Span

from .catalog import (
    NAME_SCHEMA, TEXT_SCHEMA, DataError, read_validated, shipped_checklists, shipped_owasp, where,
)
from .model import Catalog, Item, ItemResult, Report, Status, Verdict
from .report import ItemVerifier

Verifier = Callable[[], list[Verdict]]
"""A dialect's verifier: the verdicts of one property over everything it judges."""

_ENTRY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "verify": {"type": "array", "minItems": 1, "items": NAME_SCHEMA},
        "needs": TEXT_SCHEMA,
        "status": {"enum": [Status.NOT_APPLICABLE.value]},
        "reason": TEXT_SCHEMA,
        "ceiling": {"enum": [Status.PARTIAL.value]},
        "limits": TEXT_SCHEMA,
    },
    "dependentRequired": {"status": ["reason"], "ceiling": ["limits"]},
    "not": {"required": ["status", "verify"]},
}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["dialect", "owasp", "checklists"],
    "additionalProperties": False,
    "properties": {
        "dialect": TEXT_SCHEMA,
        "owasp": {"type": "object", "additionalProperties": _ENTRY},
        "checklists": {"type": "object", "minProperties": 1,
                       "additionalProperties": {"type": "object", "additionalProperties": _ENTRY}},
    },
}


def source_verdict(check: str, ok: bool | None, detail: str, span: Span | None = None, *,
                   runtime: str = "") -> Verdict:
    """A verdict read from a dialect's own files. Its evidence record is
    ``{"kind": "source", "check", "ok" (true, false; null: the files cannot
    settle it), "detail", "path"?, "line"?, "column"? (where the fact is
    written), "runtime"? (what the dialect's runtime really enforces)}``,
    rendered ``[ok|FAIL|absent] check: detail (path:line:col); runtime: ...``;
    unless it holds, its missing line is ``check (path:line:col): detail``."""
    evidence: dict[str, Any] = {"kind": "source", "check": check, "ok": ok, "detail": detail}
    at = ""
    if span is not None:
        evidence.update(path=span.path, line=span.line, column=span.column)
        at = f" ({span.path}:{span.line}:{span.column})"
    if runtime:
        evidence["runtime"] = runtime
    return Verdict(ok, evidence, "" if ok else f"{check}{at}: {detail}")


def finding_verdict(check: str, finding: Diagnostic, *, runtime: str = "") -> Verdict:
    """A failed verdict from one of the dialect's check findings (its message
    says what the runtime does; its span is the location)."""
    return source_verdict(check, False, finding.message, finding.span, runtime=runtime)


def load_mapping(path: str, verifiers: Collection[str]) -> tuple[Catalog, list[Catalog]]:
    """The OWASP catalog and the checklists a mapping file names, their
    items' means of verification replaced by the mapping's (see the module
    docstring). Raises :class:`DataError` (``path:line:col: message``) for
    a file that does not validate, an unknown checklist, item or verifier,
    an item left out, or an item nothing verifies and no ``needs`` describes."""
    root, data = read_validated(path, MAPPING_SCHEMA)
    shipped = {c.id: c for c in shipped_checklists()}
    for name in data["checklists"]:
        if name not in shipped:
            raise DataError(f"{where(root, ['checklists', name])}: unknown checklist {name!r}")
    owasp = _mapped(shipped_owasp(), data["owasp"], root, ["owasp"], verifiers)
    checklists = [_mapped(shipped[name], entries, root, ["checklists", name], verifiers)
                  for name, entries in data["checklists"].items()]
    return owasp, checklists


def _mapped(catalog: Catalog, entries: dict[str, Any], root: Any, at: list[str],
            verifiers: Collection[str]) -> Catalog:
    ids = [i.id for i in catalog.items]
    for key in entries:
        if key not in ids:
            raise DataError(f"{where(root, [*at, key])}: {catalog.id} has no item {key!r}")
    left_out = [i for i in ids if i not in entries]
    if left_out:
        raise DataError(f"{where(root, at)}: every item of {catalog.id} must be listed; "
                        f"missing: {', '.join(left_out)}")
    items = []
    for item in catalog.items:
        entry = entries[item.id]
        for j, name in enumerate(entry.get("verify", ())):
            if name not in verifiers:
                raise DataError(f"{where(root, [*at, item.id, 'verify', j])}: unknown verifier {name!r}")
        needs = entry.get("needs", item.needs)
        if "verify" not in entry and "status" not in entry and not needs:
            raise DataError(f"{where(root, [*at, item.id])}: nothing verifies {item.key} and no `needs` "
                            "says what would")
        items.append(replace(
            item, properties=tuple(entry.get("verify", ())), deployment=(), needs=needs,
            fixed=Status(entry["status"]) if "status" in entry else None, reason=entry.get("reason", ""),
            ceiling=Status(entry["ceiling"]) if "ceiling" in entry else None, limits=entry.get("limits", "")))
    return replace(catalog, items=tuple(items))


class _DialectVerifier(ItemVerifier):
    """Rampart's verdicts-to-result rules over a dialect's verifiers: an
    item's ``properties`` name them. Several absent verdicts of one item
    give one ``needs`` line."""

    def __init__(self, verifiers: Mapping[str, Verifier]):
        super().__init__(runs=[], facts=None, artifacts=None)
        self.verifiers = verifiers
        self._lists: dict[str, list[Verdict]] = {}

    def verdicts(self, item: Item) -> list[Verdict]:
        out: list[Verdict] = []
        for name in item.properties:
            if name not in self._lists:
                self._lists[name] = list(self.verifiers[name]())
            out += self._lists[name]
        return out

    def result(self, item: Item) -> ItemResult:
        found = super().result(item)
        return replace(found, missing=tuple(dict.fromkeys(found.missing)))


def build_dialect_report(dialect: str, mapping: str, verifiers: Mapping[str, Verifier], *,
                         checklists: list[str] | None, context: dict[str, Any]) -> Report:
    """The coverage report of one dialect's files.

    ``mapping`` is the dialect's mapping file; ``verifiers`` its verifiers
    by name; ``checklists`` selects among the checklists the mapping lists
    (default: all of them); ``context`` describes what was read (``sources``,
    ``deployment``...) and is preceded by ``policyc`` and ``dialect``.

    Each row is covered (every verdict holds), partial (some do, or a
    ``ceiling`` caps it), uncovered (none does), needs-evidence (no verdict
    settles it: absent ones, or none at all, with ``needs`` as the missing
    line) or not-applicable (the mapping's ``status``), as
    :func:`~.model.status_of` decides.

    Raises :class:`DataError` for a bad mapping or a checklist the dialect
    does not report."""
    owasp, mapped = load_mapping(mapping, verifiers)
    chosen = mapped
    if checklists:
        by_id = {c.id: c for c in mapped}
        other = next((n for n in checklists if n not in by_id), None)
        if other is not None:
            raise DataError(f"checklist {other!r} is not reported for {dialect} files; "
                            f"choose from {', '.join(sorted(by_id))}")
        chosen = [by_id[n] for n in dict.fromkeys(checklists)]
    verifier = _DialectVerifier(verifiers)
    return Report([verifier.result(i) for i in owasp.items],
                  [(c, [verifier.result(i) for i in c.items]) for c in chosen],
                  {"policyc": __version__, "dialect": dialect, **context})
