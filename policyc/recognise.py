"""Tell policy files from other YAML, cheaply, for ``policyc check
--only-policies`` and ``policyc test --only-policies`` (what the shipped
pre-commit hooks run on every YAML file they are given), and for the
dialect registry (:mod:`policyc.dialects.registry`).

:func:`is_policy_file` reads only the top-level keys of the first YAML
document, from the parser's event stream: no node tree is built and no
alias is expanded, so it costs little even on hostile input. It errs on the
side of checking, never of skipping: a file is skipped only when it is
well-formed YAML that is positively something else, so a broken or
truncated policy is still reported, never passed over as "not a policy".
"""

from __future__ import annotations

import yaml

from policyc.diagnostics.model import DiagnosticError
from policyc.dialects.rampart.frontend import schema
from policyc.frontends.yaml_source import read_source

#: The event parser: libyaml's when PyYAML has it (ten times faster).
_EVENTS = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: ``version`` values only a Rampart file has (compose files say "2", "3.8").
_RAMPART_VERSIONS = ("1", 1)


def rampart_keys() -> frozenset[str]:
    """The top-level keys of the Rampart dialect other than ``version``
    (from its JSON Schema): ``default_action``, ``notify``, ``policies``,
    ``tests``, ``policy``."""
    return frozenset(schema()["properties"]) - {"version"}


def top_level_keys(path: str) -> dict[str | None, str | int | None] | None:
    """The top-level keys of the first document of the YAML file at ``path``
    (``{key: scalar value or None}``) when it is a mapping; ``None`` when it
    is not one or the file cannot be read or parsed. Never raises."""
    try:
        _, text = read_source(path)
        found = _top_level(text)
    except (OSError, DiagnosticError, yaml.YAMLError):
        return None
    return found[1] if found is not None and found[0] == "mapping" else None


def is_policy_file(path: str) -> bool:
    """Whether ``path`` should be checked as a policy or suite file.

    True when the first document's top level is a mapping with a Rampart
    key (:func:`rampart_keys`) or ``version: "1"``, or one a registered
    dialect claims (:mod:`policyc.dialects.registry`), and also whenever that
    cannot be told: the file cannot be read, is over 1 MiB, is not UTF-8,
    is not well-formed YAML, is empty or a bare scalar (perhaps a truncated
    write; the checker then reports why). False for a well-formed document
    whose top level is a sequence or a mapping without any of those keys (``.pre-commit-config.yaml``,
    a GitHub workflow, a compose file). Never raises.
    """
    try:
        _, text = read_source(path)
    except (OSError, DiagnosticError):
        return True
    try:
        found = _top_level(text)
    except yaml.YAMLError:
        return True
    if found is None:
        return True
    kind, keys = found
    if kind != "mapping":
        return kind == "scalar"  # a sequence is something else; a scalar may be a truncated policy
    if rampart_keys() & keys.keys() or keys.get("version") in _RAMPART_VERSIONS:
        return True
    from policyc.dialects.registry import dialects  # the registry reads files through this module

    return any(d.claims(keys) for d in dialects())


def _top_level(text: str) -> tuple[str, dict[str | None, str | int | None]] | None:
    """``(kind, {key: scalar value or None})`` of the first document's top
    level (kind ``mapping``, ``sequence`` or ``scalar``; keys only for a
    mapping), or ``None`` for an empty document. Raises ``yaml.YAMLError``
    on malformed YAML met before the answer is known."""
    depth = 0
    kind = None
    expect_key = True
    key = None
    keys: dict[str | None, str | int | None] = {}
    for event in yaml.parse(text, Loader=_EVENTS):
        if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
            continue
        if isinstance(event, (yaml.DocumentEndEvent, yaml.StreamEndEvent)):
            break
        opens = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if depth == 0:
            if isinstance(event, yaml.SequenceStartEvent):
                return "sequence", keys
            if not opens:  # a scalar (or alias) document
                value = getattr(event, "value", None)
                return None if value in (None, "", "~", "null", "Null", "NULL") else ("scalar", keys)
            kind = "mapping"
        elif depth == 1:  # inside the top-level mapping: key, value, key, value...
            if expect_key:
                key = getattr(event, "value", None)
            else:
                keys[key] = _scalar(event)
            expect_key = not expect_key
        if opens:
            depth += 1
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            if depth == 0:
                break
    return None if kind is None else (kind, keys)


def _scalar(event: yaml.Event) -> str | int | None:
    """A plain digit string as an int, any other scalar as its text,
    ``None`` for a collection or an alias."""
    if not isinstance(event, yaml.ScalarEvent):
        return None
    if event.style is None and event.value.isdigit():
        return int(event.value)
    return event.value
