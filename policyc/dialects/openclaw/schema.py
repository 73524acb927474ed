"""Validate a policy file against the dialect's JSON Schema (``schema.json``).

The schema (draft 2020-12) describes the policy format the toolkit
documents. Its errors become diagnostics at the offending node:

* PC503 ``unknown-agent-key`` for every key a mapping does not define, with the
  closest known key as a suggestion (``difflib``): the engine ignores it;
* PC504 ``agent-schema-violation`` for a wrong type or range, saying what the
  engine does with it.

Errors about ``agent``, about the document not being a mapping and about
the contents of ``permissions.allow``/``deny``/``escalate`` are left to the
dedicated checks (PC501, PC504 agent types, PC505, PC506, PC509), which say
precisely what the engine does there; unknown keys inside escalate mappings
are still reported here.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.openclaw.codes import SCHEMA, UNKNOWN_KEY
from policyc.dialects.openclaw.jsvalue import JSObject, describe
from policyc.dialects.openclaw.yamlread import YamlDocument
from policyc.frontends.yaml_source import YMap

__all__ = ["schema", "schema_diagnostics", "plain"]

_OWNED = ("allow", "deny", "escalate")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The dialect's JSON Schema."""
    text = resources.files("policyc.dialects.openclaw").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def plain(value: Any) -> Any:
    """A JavaScript value as a JSON-like Python value for ``jsonschema``
    (dates stay :class:`JSDate`, which matches no JSON type)."""
    if isinstance(value, JSObject):
        return {k: plain(v) for k, v in value.items}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def schema_diagnostics(doc: YamlDocument) -> list[Diagnostic]:
    """PC503/PC504 for a document whose value is a mapping (else none)."""
    if not isinstance(doc.value, JSObject):
        return []
    found: list[Diagnostic] = []
    for err in _validator().iter_errors(plain(doc.value)):
        found.extend(_diagnostics(doc, err))
    found.sort(key=Diagnostic.sort_key)
    return found


def _owned(path: list[Any], validator: str) -> bool:
    if not path:
        return validator in ("required", "type")  # no agent / not a mapping: PC501
    if path[0] == "agent":
        return True
    inside = len(path) >= 2 and path[0] == "permissions" and path[1] in _OWNED
    return inside and validator != "additionalProperties"


def _diagnostics(doc: YamlDocument, err: jsonschema.ValidationError) -> list[Diagnostic]:
    path = list(err.absolute_path)
    if err.validator in ("oneOf", "anyOf"):
        # An escalate entry is a string or a mapping: the branches' type errors
        # are the checks' business, a mapping's unknown keys are ours.
        return [d for sub in err.context if sub.validator == "additionalProperties"
                for d in _diagnostics(doc, sub)]
    if _owned(path, err.validator):
        return []
    node = doc.node_at(path)
    if err.validator == "additionalProperties" and isinstance(node, YMap):
        known = sorted(err.schema.get("properties", {}))
        return [_unknown(key, name, known, path) for name, key, _ in doc.entries(node)
                if name not in known]
    value = _value_at(doc.value, path)
    where = _where(path)
    if err.validator == "type":
        expected = _expected(err.validator_value)
        message = f"{where} is {describe(value)}, expected {expected}: {_consequence(path)}"
    else:
        message = f"{where}: {err.message}: {_consequence(path)}"
    span = node.span if node is not None else None
    return [SCHEMA.at(span, message, label="wrong type" if err.validator == "type" else "invalid")]


def _unknown(key: Any, name: str, known: list[str], path: list[Any]) -> Diagnostic:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys here: {', '.join(known)}"
    where = _where(path)
    effect = "the engine never reads it"
    if path == ["permissions"]:
        effect = "the engine reads only `escalate`, `deny` and `allow`: these rules are never applied"
    elif len(path) >= 2 and path[:2] == ["permissions", "escalate"]:
        effect = "the engine reads only `action` and `condition` of an escalate mapping"
    elif not path:
        effect = "no toolkit code reads it (the engine reads `agent` and `permissions`)"
    where = "at the top level" if not path else f"in {where}"
    return UNKNOWN_KEY.at(key.span, f"unknown key `{name}` {where}: {effect}", help=hint,
                          label="unknown key", suggestion=close[0] if close else None)


def _value_at(value: Any, path: list[Any]) -> Any:
    for step in path:
        if isinstance(value, JSObject) and isinstance(step, str):
            value = value.own(step)
        elif isinstance(value, tuple) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _where(path: list[Any]) -> str:
    if not path:
        return "the policy file"
    text = str(path[0])
    for step in path[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return f"`{text}`"


def _expected(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    names = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "a boolean"}
    return " or ".join(names.get(k, k) for k in kinds)


def _consequence(path: list[Any]) -> str:
    if path == ["permissions"]:
        return ("the engine finds no `escalate`, `deny` or `allow` in it, so every action of this "
                "agent is denied by default")
    return "the policy engine never reads it, but the toolkit documents it so"
