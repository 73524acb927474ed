"""State shared by the analysis passes of one run."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyc.ir import Policy, PolicySet, Rule
from policyc.loader import LoadedSet


def rule_name(policy: Policy, rule: Rule) -> str:
    """How messages name a rule: 1-based, with its policy."""
    return f"rule {rule.index + 1} of `{policy.name}`"


@dataclass
class Context:
    """The loaded set, and what passes learnt: ``dead`` holds ``(source file, policy
    name, rule index)`` of rules already reported as never deciding a call
    (disabled policy, expired, empty condition, duplicate, unreachable)."""

    loaded: LoadedSet
    dead: set[tuple[str, str, int]] = field(default_factory=set)

    @property
    def policy_set(self) -> PolicySet:
        return self.loaded.policy_set

    def is_dead(self, policy: Policy, rule: Rule) -> bool:
        return not policy.enabled or (policy.source, policy.name, rule.index) in self.dead

    def kill(self, policy: Policy, rule: Rule) -> None:
        self.dead.add((policy.source, policy.name, rule.index))
