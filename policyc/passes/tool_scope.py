"""PC106 field-not-carried and PC107 unknown-tool: a policy's tool list
against the tool vocabulary of :mod:`policyc.analysis.tools`."""

from __future__ import annotations

from policyc.analysis.tools import CARRIES, KNOWN_TOOLS, TOOL_FIELDS
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Field, Policy

from .context import Context, rule_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC106", "field-not-carried", Severity.WARNING,
          "A rule reads a field that none of its policy's tools carries."),
    Check("PC107", "unknown-tool", Severity.WARNING, "A policy names a tool no agent sends (a likely typo)."),
]

_KEYS = {Field.COMMAND: "command_*", Field.ENV_ASSIGNMENT: "command_env_assignments",
         Field.PATH: "path_*", Field.URL: "url_matches", Field.DOMAIN: "domain_matches"}


def _literal(name: str) -> bool:
    return not any(c in name for c in "*?[\\")


def check_tool_scope(ctx: Context) -> list[Diagnostic]:
    """PC107 for a literal tool name that is not a known tool but is close
    to one (a likely typo; other unknown names may be MCP tools, so they are
    not reported); PC106 for a rule reading a field that none of its
    policy's tools carries, when every tool is literal and in the table."""
    out = []
    for policy in ctx.policy_set.policies:
        for pattern in policy.scope.tools:
            name = pattern.source
            if _literal(name) and name not in KNOWN_TOOLS:
                import difflib

                close = difflib.get_close_matches(name, sorted(KNOWN_TOOLS), n=1, cutoff=0.75)
                if close:
                    out.append(check("PC107").at(
                        pattern.span, f"tool `{name}` matches no known tool, so policy `{policy.name}` "
                        "never applies to it", label="unknown tool", help=f"did you mean `{close[0]}`?"))
        out.extend(_not_carried(ctx, policy))
    return out


def _not_carried(ctx: Context, policy: Policy) -> list[Diagnostic]:
    tools = [p.source for p in policy.scope.tools]
    if not tools or not all(t in CARRIES for t in tools):
        return []
    carried = frozenset().union(*(CARRIES[t] for t in tools))
    out = []
    for rule in policy.rules:
        cond = rule.condition
        if cond.catch_all:
            continue
        read = {p.field for p in cond.predicates if p.patterns and p.field in TOOL_FIELDS}
        missing = sorted(read - carried, key=lambda f: f.value)
        if missing and not ctx.is_dead(policy, rule):
            ctx.kill(policy, rule)
            names = ", ".join(f"`{_KEYS[f]}`" for f in missing)
            out.append(check("PC106").at(
                rule.span, f"{rule_name(policy, rule)} reads {names}, but calls of "
                f"{', '.join(f'`{t}`' for t in tools)} carry no {missing[0].value.replace('_', ' ')}; "
                "the condition is false for every call in scope", label="field never present",
                help="add the tool that carries the field to `match.tool`, or move the rule to a policy for it"))
    return out
