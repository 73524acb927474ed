"""Build the :mod:`.model` of one policy file from its js-yaml value and nodes."""

from __future__ import annotations

from typing import Any

from policyc.dialects.openclaw.jsprops import get_property
from policyc.dialects.openclaw.jsvalue import UNDEFINED, JSObject, truthy, typeof
from policyc.dialects.openclaw.model import (
    NEVER_READ, RULE_LISTS, AgentPolicy, RuleEntry, RuleList, Section, SectionField,
)
from policyc.dialects.openclaw.yamlread import YamlDocument
from policyc.frontends.yaml_source import YMap, YNode, YSeq

__all__ = ["build_policy", "entry_kind"]


def entry_kind(value: Any) -> str:
    """How ``checkEscalation`` sorts an entry: ``pattern``, ``conditional``
    (``typeof`` is ``object``) or ``other``."""
    if isinstance(value, str):
        return "pattern"
    return "conditional" if typeof(value) == "object" else "other"


def build_policy(doc: YamlDocument) -> AgentPolicy | None:
    """The :class:`AgentPolicy` of a document whose value is a mapping
    (whatever its ``agent``), else ``None``."""
    value, root = doc.value, doc.root
    if not isinstance(value, JSObject) or not isinstance(root, YMap):
        return None
    agent_entry = doc.entry(root, "agent")
    perm_entry = doc.entry(root, "permissions")
    permissions = value.own("permissions")
    perm_node = perm_entry[1] if perm_entry else None
    lists = {name: _rule_list(doc, name, permissions, perm_node) for name in RULE_LISTS}
    sections = tuple(_section(doc, name, value.own(name), doc.entry(root, name))
                     for name in NEVER_READ if value.has(name))
    return AgentPolicy(
        path=doc.path, agent=value.own("agent"), permissions=permissions,
        escalate=lists["escalate"], deny=lists["deny"], allow=lists["allow"],
        sections=sections, document=value, span=root.span,
        agent_span=agent_entry[1].span if agent_entry else None,
        permissions_span=perm_node.span if perm_node is not None else None)


def _rule_list(doc: YamlDocument, name: str, permissions: Any, perm_node: YNode | None) -> RuleList:
    # `policy.permissions?.<name>`: a string, list or number has no such property.
    raw = UNDEFINED if permissions is None or permissions is UNDEFINED else get_property(permissions, name)
    entry = doc.entry(perm_node, name)
    key_span = entry[0].span if entry else None
    node = entry[1] if entry else None
    span = node.span if node is not None else None
    if raw is UNDEFINED:
        return RuleList(name, raw, "absent", span=span, key_span=key_span)
    if not truthy(raw):
        return RuleList(name, raw, "none", span=span, key_span=key_span)
    if isinstance(raw, str):
        chars = tuple(RuleEntry(i, ch, "pattern", span=span) for i, ch in enumerate(raw))
        return RuleList(name, raw, "string", chars, span=span, key_span=key_span)
    if not isinstance(raw, tuple):
        return RuleList(name, raw, "not-iterable", span=span, key_span=key_span)
    items = node.items if isinstance(node, YSeq) else ()
    entries = []
    for i, item in enumerate(raw):
        item_node = items[i] if i < len(items) else node
        entries.append(_entry(doc, i, item, item_node))
    return RuleList(name, raw, "list", tuple(entries), span=span, key_span=key_span)


def _entry(doc: YamlDocument, index: int, value: Any, node: YNode | None) -> RuleEntry:
    kind = entry_kind(value)
    span = node.span if node is not None else None
    if not isinstance(value, JSObject):
        return RuleEntry(index, value, kind, span=span)
    action, condition = doc.entry(node, "action"), doc.entry(node, "condition")
    return RuleEntry(index, value, kind, value.own("action"), value.own("condition"), span=span,
                     action_span=action[1].span if action else None,
                     condition_span=condition[1].span if condition else None)


def _section(doc: YamlDocument, name: str, value: Any, entry: tuple | None) -> Section:
    key_span = entry[0].span if entry else None
    node = entry[1] if entry else None
    fields: tuple[SectionField, ...] = ()
    if isinstance(node, YMap) and isinstance(value, JSObject):
        fields = tuple(SectionField(k, value.own(k), key.span, val.span)
                       for k, key, val in doc.entries(node))
    return Section(name, value, fields, key_span=key_span,
                   span=node.span if node is not None else None)
