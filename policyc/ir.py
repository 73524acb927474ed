"""The dialect-neutral intermediate representation (see ``../shared/DESIGN.md``).

Every front end lowers its dialect to these frozen dataclasses. Each node may
carry a :class:`Span`; spans are excluded from equality and hashing, so two
structurally equal rules compare equal wherever they stand in the source.

Shapes:

* :class:`PolicySet` holds :class:`Policy` objects (global tier first, then the
  project tier) and the set's default :class:`Effect`.
* :class:`Policy` has a :class:`Scope` and ordered :class:`Rule` objects
  (rule-combining: first-applicable).
* :class:`Rule` has an effect, a :class:`Condition`, a message and metadata.
* :class:`Condition` is a conjunction of :class:`FieldPredicate` objects plus
  optional numeric predicates (:class:`DepthRange`, :class:`CallCount`,
  :class:`Compare`).
* :class:`FieldPredicate` is ``(patterns OR-ed) minus (exclusions OR-ed)``
  over one :class:`Field`; each :class:`Pattern` knows its
  :class:`PatternLanguage`.

Rampart (``policyc.dialects.rampart``) uses every node but :class:`Compare`,
:attr:`Effect.ESCALATE`, :attr:`Field.ACTION` and the ``action`` and
``literal`` pattern languages, which the OpenClaw toolkit dialect's lowering
(``policyc.dialects.openclaw.lower``) adds. Every member added for another
dialect has a default, so Rampart's IR values compare and hash as before.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Span:
    """A source location: 1-based ``line`` and ``column`` (columns count
    characters), with an inclusive start and exclusive end."""

    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def shifted(self, columns: int) -> Span:
        """The span that starts ``columns`` characters further on the same line
        (used to point inside a pattern string)."""
        return Span(self.path, self.line, self.column + columns, self.line, self.column + columns + 1)


def _span() -> Span | None:
    return field(default=None, compare=False, hash=False, repr=False)


class Effect(enum.StrEnum):
    """A decision (a string: ``Effect.DENY == "deny"``). How effects override each other is the policy set's
    :class:`CombiningAlgorithm`, not the effect's."""

    ALLOW = "allow"
    WATCH = "watch"
    ASK = "ask"
    WEBHOOK = "webhook"
    DENY = "deny"
    ESCALATE = "escalate"  # the OpenClaw toolkit's: a human decides (no Rampart action)

    @property
    def granting(self) -> bool:
        """Whether a rule with this effect is matched on the granting side
        (spec §5): only deny and ask restrict (the engine's
        ``actionRestrictsExecution``); allow, watch and webhook grant.
        Escalate (not a Rampart effect) restricts."""
        return self not in (Effect.DENY, Effect.ASK, Effect.ESCALATE)

    @classmethod
    def parse(cls, text: str) -> Effect:
        """Read a Rampart action name, case-insensitively; ``log`` is ``watch``.

        Raises ``ValueError`` for anything else (``require_approval`` and
        ``escalate`` included).
        """
        name = text.strip().lower()
        if name == "log":
            name = "watch"
        effect = cls(name)
        if effect not in RAMPART_COMBINING.order:
            raise ValueError(f"{text!r} is not a Rampart action")
        return effect


@dataclass(frozen=True)
class CombiningAlgorithm:
    """How a policy set combines decisions (XACML's terms). ``order`` lists
    the dialect's effects from least to most restrictive; between policies
    ``policy_combining`` applies (``deny-overrides``: the most restrictive
    effect any policy decides wins, ties to the first in priority order),
    inside a policy ``rule_combining`` (``first-applicable``: the first rule
    whose condition holds decides). ``name`` identifies it in bundles."""

    name: str
    order: tuple[Effect, ...]
    policy_combining: str = "deny-overrides"
    rule_combining: str = "first-applicable"

    def rank(self, effect: Effect) -> int:
        """Restrictiveness of ``effect`` (0 the least); ``ValueError`` for an
        effect this algorithm does not know."""
        return self.order.index(effect)

    def overrides(self, a: Effect, b: Effect) -> bool:
        """Whether ``a`` is strictly more restrictive than ``b``."""
        return self.rank(a) > self.rank(b)

    def to_json(self) -> dict:
        return {"name": self.name, "order": [e.value for e in self.order],
                "policy_combining": self.policy_combining, "rule_combining": self.rule_combining}


#: Rampart (spec §3.3): deny > webhook > ask > watch > allow, deny-overrides
#: across policies, first-applicable inside one. ``order`` is also the list
#: of Rampart's effects.
RAMPART_COMBINING = CombiningAlgorithm(
    "rampart", (Effect.ALLOW, Effect.WATCH, Effect.ASK, Effect.WEBHOOK, Effect.DENY))

#: The OpenClaw toolkit's ``checkPermission`` (other-dialects.md §A):
#: ``openclaw-toolkit``, order allow < deny < escalate (each list's effect
#: after the lists checked after it), ``only-one-applicable`` between
#: policies (a call's agent selects one; none: the set's default, deny) and
#: ``first-applicable`` inside one (every escalate entry, then deny, then
#: allow). Defined once, as the JSON a toolkit bundle carries
#: (:data:`policyc.dialects.openclaw.evaluate.COMBINING`, which the IR-free
#: bundle runtime reads), and built from it on first use (module
#: ``__getattr__``), so importing the IR does not import the dialect.
OPENCLAW_COMBINING: CombiningAlgorithm


def __getattr__(name: str) -> Any:
    if name != "OPENCLAW_COMBINING":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from policyc.dialects.openclaw.evaluate import COMBINING

    algorithm = CombiningAlgorithm(COMBINING["name"], tuple(Effect(e) for e in COMBINING["order"]),
                                   COMBINING["policy_combining"], COMBINING["rule_combining"])
    globals()[name] = algorithm
    return algorithm


class Tier(enum.StrEnum):
    """A policy's tier (spec §3.5), a string: ``Tier.PROJECT == "project"``."""

    GLOBAL = "global"
    PROJECT = "project"


class PatternLanguage(enum.Enum):
    """How a pattern string is read (spec §4)."""

    COMMAND_GLOB = "command-glob"  # command, url, agent, session, tool, params
    PATH_GLOB = "path-glob"  # path_matches / path_not_matches
    DOMAIN_GLOB = "domain-glob"  # domain_matches: lower-cased, classic glob
    SUBSTRING = "substring"  # command_contains: case-insensitive substring
    REGEX = "regex"  # response_*: unanchored RE2 search
    #: The OpenClaw toolkit's ``matchesPattern``, tried in its order: equal;
    #: ``*`` (every action); ends with ``*``: a prefix; starts with ``*``: a
    #: suffix; any other ``*`` is a literal character.
    ACTION = "action"
    #: The value equals the source (an OpenClaw agent id, which ``Map.get``
    #: looks up by equality).
    LITERAL = "literal"


class Field(enum.Enum):
    """What a predicate reads from a tool call (spec §2)."""

    COMMAND = "command"
    PATH = "path"
    URL = "url"
    DOMAIN = "domain"
    SESSION = "session"
    ENV_ASSIGNMENT = "env_assignment"
    PARAM = "param"  # tool_param_matches: one named parameter
    RESPONSE = "response"
    ACTION = "action"  # the OpenClaw toolkit's action string (``verb:resource``)


@dataclass(frozen=True)
class Pattern:
    """One pattern string in its language. ``source`` is the text as written."""

    source: str
    language: PatternLanguage
    span: Span | None = _span()


@dataclass(frozen=True)
class FieldPredicate:
    """Holds when some pattern matches the field and no exclusion does.

    ``param`` names the parameter for :attr:`Field.PARAM`. A predicate with no
    patterns but exclusions holds for any present value not excluded.
    """

    field: Field
    patterns: tuple[Pattern, ...] = ()
    exclusions: tuple[Pattern, ...] = ()
    param: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class DepthRange:
    """``agent_depth``: holds when ``low <= depth <= high`` (``None`` is open)."""

    low: int | None = None
    high: int | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class CallCount:
    """``call_count``: holds when at least ``gte`` calls of tools matching
    ``tool`` (``None``: the policy's tools) happened within ``window_seconds``."""

    gte: int
    window_seconds: float
    tool: Pattern | None = None
    span: Span | None = _span()


#: The operators a :class:`Compare` has.
COMPARE_OPERATORS = (">", "<", ">=", "<=", "==", "!=")


@dataclass(frozen=True)
class Compare:
    """A context field compared with a number: the OpenClaw toolkit's
    escalate ``condition`` ``FIELD OP NUMBER`` as its ``evaluateCondition``
    reads it (the first match of an unanchored search; ``$`` and ``,``
    removed from the number only). ``op`` is one of
    :data:`COMPARE_OPERATORS`; ``value`` the number (``parseFloat`` of the
    text, a double, held exactly). A call whose context lacks ``field``
    never satisfies it; otherwise ``>``, ``<``, ``>=`` and ``<=`` compare
    ``parseFloat`` of the field's value, ``==`` and ``!=`` JavaScript's loose
    equality of the value itself with the number."""

    field: str
    op: str
    value: Decimal
    span: Span | None = _span()


@dataclass(frozen=True)
class Condition:
    """A conjunction. ``any_param`` predicates (``tool_param_matches``) hold when
    at least one of them holds (spec §1: any param may match); every one of
    ``compares`` must hold. An empty condition matches every call in scope."""

    predicates: tuple[FieldPredicate, ...] = ()
    any_param: tuple[FieldPredicate, ...] = ()
    depth: DepthRange | None = None
    call_count: CallCount | None = None
    catch_all: bool = False
    span: Span | None = _span()
    compares: tuple[Compare, ...] = ()

    @property
    def response_side(self) -> bool:
        """True when the rule is checked against tool output (spec §3)."""
        return any(p.field is Field.RESPONSE for p in self.predicates)


@dataclass(frozen=True)
class Webhook:
    url: str
    timeout_seconds: float = 5.0
    fail_open: bool = False


@dataclass(frozen=True)
class Rule:
    """One rule: the first of a policy whose condition holds decides it."""

    effect: Effect
    condition: Condition
    message: str = ""
    webhook: Webhook | None = None
    expires_at: str | None = None  # ISO-8601 UTC; compared by the evaluator
    once: bool = False
    index: int = 0  # position inside its policy, 0-based
    span: Span | None = _span()
    #: How findings name the rule when its dialect has a better name than
    #: ``rule N of `policy` `` (an OpenClaw entry: ``permissions.deny[2]``);
    #: not part of its structure (excluded from equality, like the span).
    name: str = field(default="", compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Scope:
    """Which calls a policy applies to. Empty ``tools`` means every tool."""

    tools: tuple[Pattern, ...] = ()
    agent: Pattern | None = None
    session: Pattern | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class Policy:
    name: str
    scope: Scope
    rules: tuple[Rule, ...]
    priority: int = 100
    enabled: bool = True
    tier: Tier = Tier.GLOBAL
    description: str = ""
    source: str = ""  # file path it came from
    span: Span | None = _span()


@dataclass(frozen=True)
class ProjectFile:
    """A project-tier file (spec §3.5) as the passes see it: its ``path``,
    the ``policies`` it declares (lowered even when the engine refuses the
    file for a webhook, so its other problems are still reported), its
    ``default`` effect and ``default_span`` (both ``None`` unless the file
    writes ``default_action``), and whether the merged set holds it
    (``in_set``: the engine loads the file)."""

    path: str
    policies: tuple[Policy, ...]
    default: Effect | None = None
    default_span: Span | None = None
    in_set: bool = True


@dataclass(frozen=True)
class PolicySet:
    """Policies of one or more files, with the set's default effect.

    ``default`` is the global tier's (a project file's own ``default_action``
    does not count: the engine's ``mergeProjectPolicy`` keeps the base's).
    ``dialect`` names the
    policy language the set was read from and ``combining`` how its
    decisions combine. ``origin`` is the dialect's own reading of the files
    when its reference evaluator does not interpret the IR (the OpenClaw
    toolkit's ``LoadResult``, which witnesses are replayed against);
    ``None`` for Rampart. It is excluded from equality and hashing.
    """

    policies: tuple[Policy, ...]
    default: Effect = Effect.DENY
    sources: tuple[str, ...] = ()
    dialect: str = "rampart"
    combining: CombiningAlgorithm = RAMPART_COMBINING
    origin: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def has_project_tier(self) -> bool:
        return any(p.tier is Tier.PROJECT for p in self.policies)
