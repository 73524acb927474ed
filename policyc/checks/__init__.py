"""The check registry: every diagnostic policyc can emit has an entry here.

Each :class:`Check` has a stable ``code`` (``PC0xx`` load/syntax/schema,
``PC1xx`` reachability and conflicts, ``PC2xx`` project tier, ``PC3xx``
pattern hygiene, ``PC4xx`` coverage), a kebab-case ``name``, a default
severity and a one-line summary; its docs page is ``docs/checks/<code>.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Span


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    severity: Severity
    summary: str

    def at(self, span: Span | None, message: str, *, help: str | None = None,
           label: str | None = None, **extra) -> Diagnostic:
        """A diagnostic of this check at ``span``."""
        return Diagnostic(self.code, self.name, self.severity, message, span,
                          help=help, label=label, extra=extra)


E, W = Severity.ERROR, Severity.WARNING

_CHECKS = [
    Check("PC001", "yaml-syntax", E, "The file is not well-formed YAML."),
    Check("PC002", "duplicate-key", E, "A mapping repeats a key; YAML loaders silently keep the last one."),
    Check("PC003", "alias-expansion", E, "Anchors and aliases expand beyond a safe bound (a billion-laughs bomb)."),
    Check("PC004", "file-too-large", E, "The policy file is larger than 1 MiB, which the engine refuses."),
    Check("PC005", "nesting-too-deep", E, "The document nests deeper than any policy needs."),
    Check("PC006", "invalid-encoding", E, "The file is not valid UTF-8."),
    Check("PC007", "unknown-key", E, "A key the dialect does not know; the engine refuses the file."),
    Check("PC008", "schema-violation", E, "A value has the wrong type or shape for the dialect."),
    Check("PC009", "unsupported-version", E, "Only version \"1\" is accepted."),
    Check("PC010", "invalid-action", E, "A rule action that is not allow, deny, ask, watch, log or webhook."),
    Check("PC011", "webhook-without-url", E, "A webhook action needs webhook.url."),
    Check("PC012", "empty-command-contains", E, "An empty or whitespace command_contains entry matches every command."),
    Check("PC013", "invalid-call-count", E, "call_count needs 0 <= gte <= 1000 and 0 < window <= 720h."),
    Check("PC014", "invalid-regex", E, "A response pattern is not accepted RE2 syntax, too long, or has nested quantifiers."),
    Check("PC015", "invalid-glob", E, "A glob pattern is malformed or over the engine's length limits."),
    Check("PC016", "duplicate-policy-name", E, "Two policies in one file share a name."),
    Check("PC017", "missing-policy-name", E, "A policy has no name."),
    Check("PC018", "invalid-default-action", E, "default_action is not allow, deny, ask, watch or log."),
    Check("PC019", "invalid-duration", E, "A duration is malformed or out of range."),
    Check("PC020", "invalid-agent-depth", E, "agent_depth bounds are not non-negative integers."),
    Check("PC021", "invalid-test-case", E, "A test case is malformed or names a policy file that cannot be read."),
    Check("PC022", "invalid-timestamp", E, "expires_at is not an RFC 3339 timestamp."),
    Check("PC023", "unsupported-dialect", W, "The file is in a policy dialect policyc does not read yet."),
    Check("PC024", "unused-suppression", W, "A `# policyc: ignore[...]` comment silences nothing or is malformed."),
    Check("PC025", "empty-file", E, "The file holds no policy: it is empty, only comments, `---` or `null`."),
    Check("PC026", "non-string-key", W, "A mapping key YAML reads as a number, boolean, date or null; the engine uses its text."),
    Check("PC201", "project-webhook", E, "A project-tier policy uses `action: webhook`, which the engine refuses."),
    Check("PC202", "project-allow-cannot-grant", W, "An allow rule in the project tier, which only restricts."),
    Check("PC203", "project-default-cannot-loosen", W, "A project default_action less restrictive than the global one."),
    Check("PC101", "unreachable-rule", W, "Every call the rule matches is decided by an earlier rule of its policy."),
    Check("PC102", "exception-never-applies", E, "An allow/ask/watch rule whose every call a deny elsewhere overrides."),
    Check("PC103", "partial-deny-overlap", Severity.INFO, "Some calls an allow rule matches are denied by another policy."),
    Check("PC104", "priority-cannot-beat-deny", W, "An allow policy ordered before a deny policy it overlaps: deny still wins."),
    Check("PC105", "empty-condition", W, "A rule whose condition no call can satisfy."),
    Check("PC106", "field-not-carried", W, "A rule reads a field that none of its policy's tools carries."),
    Check("PC107", "unknown-tool", W, "A policy names a tool no agent sends (a likely typo)."),
    Check("PC108", "disabled-policy", Severity.INFO, "A policy with `enabled: false`; none of its rules is evaluated."),
    Check("PC109", "expired-rule", W, "A rule whose expires_at has passed; the engine skips it."),
    Check("PC110", "analysis-budget", Severity.INFO, "A pattern or rule pair not analysed: it needs more work than the budget allows."),
    Check("PC111", "source-budget", E, "More policy source named in one `check` run than the source budget allows; nothing was checked."),
    Check("PC301", "subsumed-pattern", Severity.INFO, "A pattern that another pattern of the same list already covers."),
    Check("PC302", "duplicate-rule", W, "A rule structurally equal to an earlier rule of its policy."),
    Check("PC303", "pattern-never-matches-field", W, "A pattern no value of its field can match."),
]

REGISTRY: dict[str, Check] = {c.code: c for c in _CHECKS}
BY_NAME: dict[str, Check] = {c.name: c for c in _CHECKS}


def check(code: str) -> Check:
    """The registered check for ``code``; ``KeyError`` if there is none."""
    return REGISTRY[code]
