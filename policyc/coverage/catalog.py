"""Read the coverage data: catalogs (OWASP risks, checklists) and probe files.

The shipped data lives in ``policyc/coverage/data`` (``owasp-asi-2026.yaml``,
``checklists/*.yaml``, ``probes.yaml``); teams add probes with
``policyc coverage --probes FILE`` in the same format. Every file is read with
the hardened YAML loader (positions kept) and validated against a JSON Schema
(draft 2020-12) below; a problem raises :class:`DataError` whose message
starts with ``path:line:col:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from policyc.diagnostics.model import DiagnosticError
from policyc.frontends.yaml_source import YNode, load, locate, to_plain
from policyc.ir import RAMPART_COMBINING

from .model import Catalog, Item, Status

OWASP_ID = "owasp-asi-2026"

_ACTIONS = sorted(e.value for e in RAMPART_COMBINING.order)
_EXPECT = "^(" + "|".join(_ACTIONS) + r")(\|(" + "|".join(_ACTIONS) + "))*$"

#: JSON Schema pieces the catalog and the dialects' mapping files (:mod:`.dialect`) share.
NAME_SCHEMA = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}
TEXT_SCHEMA = {"type": "string", "minLength": 1}

CATALOG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "title", "items"],
    "additionalProperties": False,
    "properties": {
        "id": NAME_SCHEMA,
        "title": TEXT_SCHEMA,
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "text"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"},
                "title": TEXT_SCHEMA, "text": TEXT_SCHEMA, "section": TEXT_SCHEMA, "source": TEXT_SCHEMA,
                "properties": {"type": "array", "items": NAME_SCHEMA},
                "deployment": {"type": "array", "items": NAME_SCHEMA},
                "needs": TEXT_SCHEMA,
                "status": {"enum": [Status.NOT_APPLICABLE.value]},
                "reason": TEXT_SCHEMA,
                "ceiling": {"enum": [Status.PARTIAL.value]},
                "limits": TEXT_SCHEMA,
            },
            "dependentRequired": {"status": ["reason"]},
        }},
    },
}

PROBES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["probes"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "probes": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "call", "expect", "evidences"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"},
                "title": TEXT_SCHEMA,
                "call": {"type": "object", "required": ["tool"], "properties": {
                    "tool": {"type": "string", "minLength": 1},
                    "params": {"type": "object"},
                    "response": {"type": "string"},
                }},
                "expect": {"type": "string", "pattern": _EXPECT},
                "evidences": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            },
        }},
    },
}


class DataError(ValueError):
    """A catalog or probe file cannot be used; the message starts with
    ``path:line:col:``."""


@dataclass(frozen=True)
class Probe:
    """A probe call: ``call`` in the ``policyc eval`` shape, the acceptable
    decisions ``expect`` (actions), the item keys it ``evidences``, and where
    it was written (``path``, ``line``)."""

    id: str
    title: str
    call: dict[str, Any]
    expect: tuple[str, ...]
    evidences: tuple[str, ...]
    path: str
    line: int

    @property
    def response_side(self) -> bool:
        """A probe with a ``response`` judges the output scan only."""
        return "response" in self.call


def read_validated(path: str, schema: dict[str, Any]) -> tuple[YNode, Any]:
    """Parse ``path`` with positions and validate it against ``schema``;
    returns the node tree and the plain data. Raises :class:`DataError`."""
    try:
        root = load(path)
    except DiagnosticError as exc:
        span = exc.diagnostic.span
        at = f"{span.path}:{span.line}:{span.column}" if span else path
        raise DataError(f"{at}: {exc.diagnostic.message}") from None
    if root is None:
        raise DataError(f"{path}:1:1: the file is empty")
    data = to_plain(root)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        raise DataError(f"{where(root, list(error.absolute_path))}: {error.message}")
    return root, data


def where(root: YNode, json_path: list[str | int]) -> str:
    """``path:line:col`` of the node at ``json_path``."""
    span = locate(root, json_path)
    return f"{span.path}:{span.line}:{span.column}"


def _data_path(*parts: str) -> str:
    return str(resources.files("policyc.coverage").joinpath("data", *parts))


def load_catalog(path: str, *, owasp: bool = False) -> Catalog:
    """One catalog file. OWASP items are keyed by their id (``ASI02``),
    checklist items by ``CATALOG/ITEM``. Raises :class:`DataError` (and
    ``OSError`` when the file cannot be read)."""
    root, data = read_validated(path, CATALOG_SCHEMA)
    items, seen = [], set()
    for i, raw in enumerate(data["items"]):
        if raw["id"] in seen:
            raise DataError(f"{where(root, ['items', i, 'id'])}: duplicate item id {raw['id']!r}")
        seen.add(raw["id"])
        items.append(Item(
            key=raw["id"] if owasp else f"{data['id']}/{raw['id']}",
            id=raw["id"], text=raw["text"], title=raw.get("title", ""),
            section=raw.get("section", ""), source=raw.get("source", ""),
            properties=tuple(raw.get("properties", ())), deployment=tuple(raw.get("deployment", ())),
            needs=raw.get("needs", ""), fixed=Status(raw["status"]) if "status" in raw else None,
            reason=raw.get("reason", ""), ceiling=Status(raw["ceiling"]) if "ceiling" in raw else None,
            limits=raw.get("limits", ""),
        ))
    return Catalog(data["id"], data["title"], tuple(items))


def shipped_owasp() -> Catalog:
    """The OWASP Top 10 for Agentic Applications (2026) catalog."""
    return load_catalog(_data_path(f"{OWASP_ID}.yaml"), owasp=True)


def shipped_checklists() -> list[Catalog]:
    """Every shipped checklist, sorted by file name."""
    directory = Path(_data_path("checklists"))
    return [load_catalog(str(p)) for p in sorted(directory.glob("*.yaml"))]


def shipped_probes_path() -> str:
    return _data_path("probes.yaml")


def load_probes(path: str, known_items: set[str]) -> list[Probe]:
    """The probes of one file. Every ``evidences`` entry must name a known
    item key. Raises :class:`DataError` (and ``OSError``)."""
    root, data = read_validated(path, PROBES_SCHEMA)
    probes = []
    for i, raw in enumerate(data["probes"]):
        for j, key in enumerate(raw["evidences"]):
            if key not in known_items:
                raise DataError(f"{where(root, ['probes', i, 'evidences', j])}: unknown item {key!r}; "
                                "use an OWASP id such as ASI02 or CHECKLIST/ITEM such as "
                                "rampart/credential-protection")
        line = locate(root, ["probes", i]).line
        probes.append(Probe(raw["id"], raw.get("title", raw["id"]), raw["call"],
                            tuple(raw["expect"].split("|")), tuple(raw["evidences"]), path, line))
    return probes
