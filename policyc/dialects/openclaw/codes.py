"""The OpenClaw toolkit dialect's checks (PC5xx): codes, names, severities.

Kept apart from the analyses (:mod:`.checks`) so that the loader can make
its diagnostics without importing them. ``CHECKS`` is re-exported by
:mod:`.checks` for the registry in :mod:`policyc.checks`.
"""

from __future__ import annotations

from policyc.checks import Check
from policyc.diagnostics.model import Severity

E, W = Severity.ERROR, Severity.WARNING

UNLOADABLE = Check("PC501", "unloadable-file", E,
                   "A file the engine cannot load (no truthy `agent`, empty, not a mapping, unreadable): "
                   "the whole policy directory fails to load.")
DUPLICATE_AGENT = Check("PC502", "duplicate-agent", E,
                        "Two files name the same agent: the later file silently replaces the earlier one.")
UNKNOWN_KEY = Check("PC503", "unknown-agent-key", E,
                    "A key the toolkit never reads (a likely typo): its content is silently ignored.")
SCHEMA = Check("PC504", "agent-schema-violation", E,
               "A value with the wrong type or shape for a toolkit policy.")
STRING_LIST = Check("PC505", "string-instead-of-list", E,
                    "A rule list written as a string: the engine walks it character by character.")
THROWS = Check("PC506", "entry-throws", E,
               "A rule entry or list the engine throws a TypeError on when a check reaches it.")
BROKEN_CONDITION = Check("PC507", "broken-condition", E,
                         "A condition the engine cannot honour: it does not parse, its operator is never "
                         "compared, its threshold is not a number, or its field is inherited.")
IGNORED_TEXT = Check("PC508", "condition-ignored-text", W,
                     "Text of a condition that the engine's parser silently ignores.")
NO_CONDITION = Check("PC509", "escalate-without-condition", E,
                     "An escalate mapping without a truthy `condition`: it never escalates.")
NO_ACTION = Check("PC510", "escalate-without-action", W,
                  "An escalate condition without `action`: it escalates every action whose condition holds.")
LITERAL_STAR = Check("PC511", "literal-star", W,
                     "A `*` the engine reads as a literal character, not as a wildcard.")
ALLOW_ALL = Check("PC513", "allow-all-unrestricted", W,
                  "`allow: ['*']` with no deny or escalate rule: the agent may do anything.")
NOT_ENFORCED = Check("PC514", "not-enforced", W,
                     "A policy setting that no toolkit code reads, so it is not enforced.")

CHECKS = [UNLOADABLE, DUPLICATE_AGENT, UNKNOWN_KEY, SCHEMA, STRING_LIST, THROWS, BROKEN_CONDITION,
          IGNORED_TEXT, NO_CONDITION, NO_ACTION, LITERAL_STAR, ALLOW_ALL, NOT_ENFORCED]
"""Every check of the dialect, in code order. PC512 (allow-never-applies) is
retired: the shared PC101 unreachable-rule reports an allow entry a deny or
escalate entry decides first (``policyc.dialects.openclaw.SHARED_PASSES``)."""
