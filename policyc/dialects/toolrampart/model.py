"""ToolRampart's tools, service config and calls, as frozen dataclasses.

A tool module is read with :mod:`ast` (never imported, see :mod:`.source`);
what the runtime would register for each decorated function is built by
:mod:`.registration` from these facts:

* :class:`Value` -- one argument or default as written: its literal value
  (``ast.literal_eval``) or, when it is not a literal, an explicit opaque
  value (``known=False``) carrying its source text. policyc never guesses
  an opaque value.
* :class:`Decorator` -- one decorator line, in source order, with its span.
* :class:`Parameter`, :class:`Function` -- a signature as ``inspect.signature``
  would see it (annotations kept as source text).
* :class:`Tool` -- the ``ToolDefinition`` that ``ToolDefinition.from_function``
  (ToolRampart ``core.py``) builds at registration: scope, approval policy,
  rate limit, side effects, timeout, retries, execution mode, redactions,
  custom policies, and the parts a static reading cannot know (:class:`Opaque`).
* :class:`ServiceConfig` -- ``toolrampart.toml`` as ``config.py``'s
  ``load_config`` validates it (values after pydantic's lax coercion), with
  the position of every key.
* :class:`Call` -- ``{"tool", "arguments", "actor", "scopes", "approved"}``
  (plus the oracle's ``metadata`` and ``history``).

Spans are excluded from equality, so two structurally equal tools compare
equal wherever they are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policyc.ir import Span

__all__ = [
    "Value", "Opaque", "Decorator", "Parameter", "Function", "ApprovalCondition", "Approval",
    "RateLimit", "SideEffects", "PolicyRef", "Tool", "ConfigKey", "ServiceConfig", "Call",
    "DECORATORS", "SIDE_EFFECT_FLAGS", "UNKNOWN",
]

DECORATORS = ("tool", "scope", "require_approval", "redact", "rate_limit", "policy", "timeout",
              "max_retries", "side_effects", "isolated_process")
"""The decorators ToolRampart exports (``toolrampart/__init__``, defined in ``core.py``)."""

SIDE_EFFECT_FLAGS = ("read_only", "idempotent", "destructive", "external_network", "money_movement",
                     "writes_data")
"""``@side_effects`` keywords (``core.py`` ``side_effects``; each defaults to ``False``)."""


class _Unknown:
    """The one value that stands for "not statically known"."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        # Code tests ``is UNKNOWN`` before truthiness; falsy keeps a missed
        # test from raising on hostile input.
        return False


UNKNOWN = _Unknown()
"""A value policyc cannot know statically (a non-literal expression)."""


def _span() -> Any:
    return field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Value:
    """An expression as written: ``value`` is its literal value when
    ``known``; otherwise ``value`` is :data:`UNKNOWN` and ``text`` says what
    was written."""

    value: Any
    known: bool
    text: str
    span: Span | None = _span()

    @property
    def literal(self) -> Any:
        """The literal value, or :data:`UNKNOWN`."""
        return self.value if self.known else UNKNOWN


@dataclass(frozen=True)
class Opaque:
    """A part of a tool that a static reading cannot decide: ``what`` it
    is (``"custom policy"``, ``"unknown decorator"``, ``"non-literal
    argument"``, ``"annotation"``...), ``text`` as written and ``effect``,
    which decisions it leaves unknown."""

    what: str
    text: str
    effect: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Decorator:
    """One decorator, as written.

    ``kind`` is the ToolRampart decorator it resolves to (one of
    :data:`DECORATORS`) or ``"other"``; ``callee`` the source text of the
    decorator's name (``tool``, ``shield.tool``, ``tr.scope``); ``called``
    whether it is written with parentheses; ``args`` the positional and
    ``kwargs`` the keyword arguments (key ``None`` for ``**mapping``)."""

    kind: str
    callee: str
    called: bool
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str | None, Value], ...] = ()
    text: str = ""
    index: int = 0
    span: Span | None = _span()

    def keyword(self, name: str) -> Value | None:
        """The keyword argument ``name``, or ``None``."""
        for key, value in self.kwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Parameter:
    """A parameter: ``kind`` as :class:`inspect.Parameter` names it
    (``POSITIONAL_ONLY``, ``POSITIONAL_OR_KEYWORD``, ``VAR_POSITIONAL``,
    ``KEYWORD_ONLY``, ``VAR_KEYWORD``), ``annotation`` as source text
    (``None`` when absent), ``default`` (``None`` when required)."""

    name: str
    kind: str
    annotation: str | None = None
    default: Value | None = None
    span: Span | None = _span()
    annotation_span: Span | None = _span()

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Function:
    """A module-level function definition: name, decorators in source
    order (top first), parameters in order, return annotation text,
    ``is_async``, its docstring's first line, and the module path."""

    name: str
    decorators: tuple[Decorator, ...]
    parameters: tuple[Parameter, ...]
    returns: str | None
    is_async: bool
    doc: str
    path: str
    span: Span | None = _span()

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class ApprovalCondition:
    """One keyword of ``@require_approval``: ``keyword`` as written,
    ``op`` (``over``: ``float(value) > float(threshold)``; ``at_or_over``:
    ``>=``; ``equals``: ``value == threshold``), ``field`` the argument it
    reads and ``threshold`` (``policies.py`` ``ApprovalPolicy.required_reason``)."""

    keyword: str
    op: str
    field: str
    threshold: Value
    span: Span | None = _span()


@dataclass(frozen=True)
class Approval:
    """``@require_approval``: ``always`` when written without keywords;
    ``conditions`` OR-ed in keyword order; ``opaque`` when a ``**mapping``
    is not a literal."""

    always: bool
    conditions: tuple[ApprovalCondition, ...]
    opaque: bool = False
    span: Span | None = _span()


@dataclass(frozen=True)
class RateLimit:
    """``@rate_limit("COUNT/WINDOW/PER")`` as ``policies.py``
    ``parse_rate_limit`` reads it: ``limit`` calls per ``window_seconds``
    per bucket (``per``: user, actor, global, tool); ``expression`` as written."""

    expression: str
    limit: int
    window_seconds: int
    per: str
    span: Span | None = _span()


@dataclass(frozen=True)
class SideEffects:
    """``@side_effects`` flags (``policies.py`` ``SideEffectMetadata``);
    values as written (truthiness is what the checks use)."""

    read_only: Any = False
    idempotent: Any = False
    destructive: Any = False
    external_network: Any = False
    money_movement: Any = False
    writes_data: Any = False
    declared: bool = False
    span: Span | None = _span()

    def flag(self, name: str) -> bool:
        value = getattr(self, name)
        return value is not UNKNOWN and bool(value)

    @property
    def writes(self) -> bool:
        """Declared as changing something: writes data, moves money, destroys."""
        return self.flag("writes_data") or self.flag("money_movement") or self.flag("destructive")


@dataclass(frozen=True)
class PolicyRef:
    """A ``@policy(check)`` rule: opaque to static analysis. ``name`` as the
    runtime names it (``name=`` or the callable's ``__name__``), ``text`` the
    check as written, ``reads_metadata`` whether its visible source (a
    lambda or a module-level function) reads ``ctx.metadata``."""

    name: str
    text: str
    reads_metadata: bool = False
    reads_idempotency_key: bool = False
    span: Span | None = _span()
    source_span: Span | None = _span()


@dataclass(frozen=True)
class Tool:
    """What the runtime registers for one ``@tool`` function.

    ``decorators`` are all of the function's decorators (source order);
    ``applied`` those below the registering ``@tool`` (applied first, so
    copied into the definition), ``ignored`` the ToolRampart decorators
    above it (applied after registration: no effect). Each policy field is
    what ``ToolDefinition.from_function`` copies, with its decorator's span
    in ``sources`` (``{"scope": Span, ...}``). ``broken`` says why
    importing the module raises (then nothing of the module registers);
    ``opaque`` lists what policyc cannot decide about the tool.
    ``inputs`` are the input model's fields, ``(name, spec, default)``
    (``spec`` from :func:`.fields.resolve`, ``default`` a :class:`Value` or
    ``None`` when required); ``hidden`` the parameters pydantic does not
    make fields (a leading ``_``, ``model_config``).
    ``registrar`` is the text before ``.tool`` (``""`` for the module-level
    ``tool``, which registers in ``default_rampart``)."""

    name: Any
    function: Function
    registrar: str
    decorators: tuple[Decorator, ...]
    applied: tuple[Decorator, ...]
    ignored: tuple[Decorator, ...]
    description: Any = ""
    scope: Any = None
    approval: Approval | None = None
    rate_limit: RateLimit | None = None
    rate_limit_opaque: bool = False
    side_effects: SideEffects = SideEffects()
    timeout: Any = None
    max_retries: Any = None
    execution_mode: Any = "thread"
    redact: frozenset = frozenset()
    policies: tuple[PolicyRef, ...] = ()
    opaque: tuple[Opaque, ...] = ()
    broken: tuple[str, ...] = ()
    inputs: tuple[tuple[str, tuple, Any], ...] = ()
    hidden: tuple[str, ...] = ()
    postponed_annotations: bool = False
    sources: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    span: Span | None = _span()

    @property
    def path(self) -> str:
        return self.function.path

    @property
    def idempotency_required(self) -> bool:
        """Always ``False``: ToolRampart has no way to require a key
        (``core.py`` ``ToolRampart._check_idempotency`` skips the step when a
        call carries none)."""
        return False

    @property
    def isolated(self) -> bool:
        return self.execution_mode == "subprocess"


@dataclass(frozen=True)
class ConfigKey:
    """A key of ``toolrampart.toml``: its dotted ``path`` (tuple of key
    parts), the value ``tomllib`` read, and the key's span."""

    path: tuple[str, ...]
    value: Any
    span: Span | None = _span()


@dataclass(frozen=True)
class ServiceConfig:
    """``toolrampart.toml`` as ``config.py`` ``load_config`` reads it.

    ``data`` is the ``tomllib`` document; ``settings`` the values the
    runtime uses (``{"auth": {...}, "execution": {...}, "storage": {...},
    "telemetry": {...}}``, defaults filled in, lax-coerced as pydantic
    would); ``valid`` whether ``load_config`` accepts it; ``keys`` every key
    with its span; ``comments`` ``{line: comment text}`` (for notes the
    checks honour, e.g. a proxy note beside ``trust_headers``).
    Environment overrides (``TOOLRAMPART_*``) are not applied."""

    path: str
    data: dict
    settings: dict
    valid: bool
    keys: tuple[ConfigKey, ...] = ()
    comments: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    text: str = field(default="", compare=False, hash=False, repr=False)

    def key(self, *path: str) -> ConfigKey | None:
        """The key at ``path`` (a table header's path names the table)."""
        return next((k for k in self.keys if k.path == tuple(path)), None)

    def span(self, *path: str) -> Span:
        """The span of the key at ``path``, else of its nearest written
        ancestor, else the start of the file."""
        for n in range(len(path), 0, -1):
            found = self.key(*path[:n])
            if found is not None and found.span is not None:
                return found.span
        return Span(self.path, 1, 1, 1, 2)

    def setting(self, section: str, name: str) -> Any:
        return self.settings.get(section, {}).get(name)


@dataclass(frozen=True)
class Call:
    """A call as the oracle's ``decide.py`` builds its ``ToolContext``:
    ``tool`` name, ``arguments`` (a JSON object), ``actor`` (default
    ``"anonymous"``), ``scopes``, ``approved`` (truthiness), ``metadata``
    (only custom policies read it) and ``history``: the number of
    identical calls made just before this one (to reach a rate limit)."""

    tool: Any
    arguments: Any = field(default_factory=dict)
    actor: Any = "anonymous"
    scopes: Any = ()
    approved: bool = False
    metadata: Any = field(default_factory=dict)
    history: int = 0
