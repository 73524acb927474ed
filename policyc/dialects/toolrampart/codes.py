"""The ToolRampart dialect's checks (PC6xx): codes, names, severities.

Kept apart from the analyses (:mod:`.checks`) so that the readers can make
their diagnostics without importing them. ``CHECKS`` is re-exported by
:mod:`.checks` for the registry in :mod:`policyc.checks`. Each check's page
is ``docs/checks/<code>.md``.
"""

from __future__ import annotations

from policyc.checks import Check
from policyc.diagnostics.model import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

UNREADABLE_MODULE = Check("PC601", "unreadable-module", E,
                          "A tool module Python cannot decode or parse: importing it raises, so none of its tools registers.")
IMPORT_FAILS = Check("PC602", "registration-fails", E,
                     "A decorator, argument or signature that breaks registration: importing the module raises, "
                     "or something else than the function is registered.")
UNREADABLE_CONFIG = Check("PC603", "unreadable-config", E,
                          "`toolrampart.toml` is not valid UTF-8 TOML: `load_config` raises and the service does not start.")
CONFIG_SCHEMA = Check("PC604", "config-schema-violation", E,
                      "A config value of the wrong type or form: `load_config` or the storage set-up raises.")
UNKNOWN_CONFIG_KEY = Check("PC605", "unknown-config-key", E,
                           "A config key ToolRampart never reads (a likely typo): its setting silently has no effect.")
DECORATOR_ABOVE_TOOL = Check("PC606", "decorator-above-tool", E,
                             "A ToolRampart decorator written above `@tool`: registration already copied the "
                             "metadata, so it is ignored.")
DUPLICATE_DECORATOR = Check("PC607", "duplicate-decorator", W,
                            "A decorator applied twice below `@tool`: only the one nearest `@tool` takes effect.")
APPROVAL_NEVER_FIRES = Check("PC608", "approval-never-fires", E,
                             "An approval condition no call can meet: its field is not a parameter, or its "
                             "threshold is not a number.")
APPROVAL_FAIL_OPEN = Check("PC609", "approval-fail-open", W,
                           "An approval threshold on a field that may be missing or non-numeric: such calls skip approval.")
UNAPPROVED_RISKY_TOOL = Check("PC610", "unapproved-risky-tool", W,
                              "A tool that moves money, destroys, changes permissions or writes to an external "
                              "system without `@require_approval`.")
WRITE_WITHOUT_IDEMPOTENCY = Check("PC611", "write-without-idempotency", W,
                                  "A write tool not declared idempotent: the runtime never requires an idempotency "
                                  "key, so a repeated call repeats the write.")
RETRY_NON_IDEMPOTENT = Check("PC612", "retry-non-idempotent", W,
                             "Retries on a tool not declared idempotent: a timed-out or failed attempt may already "
                             "have had its effect.")
LONG_WORK_NOT_ISOLATED = Check("PC613", "long-work-not-isolated", W,
                               "A timeout over 60 seconds on a tool run in a thread: the timeout answers, the work "
                               "goes on.")
MIXED_RISK_SERVICE = Check("PC614", "mixed-risk-service", W,
                           "Read-only and destructive tools in one service: they share its process, config and "
                           "credentials.")
AUTH_NOT_REQUIRED = Check("PC615", "auth-not-required", E,
                          "`[auth] required` is false: REST callers without credentials choose their own actor, "
                          "scopes and approval.")
REQUEST_METADATA_TRUSTED = Check("PC616", "request-metadata-trusted", W,
                                 "A custom policy reads `ctx.metadata`, which REST callers set in the request body, "
                                 "even with auth on.")
PLAINTEXT_API_KEYS = Check("PC617", "plaintext-api-keys", W,
                           "API keys written in plaintext in `[auth.api_keys]`.")
TRUSTED_HEADERS_UNGUARDED = Check("PC618", "trusted-headers-unguarded", W,
                                  "`trust_headers = true` without a note that a proxy strips inbound identity headers.")
LOCAL_AUDIT_STORAGE = Check("PC619", "local-audit-storage", W,
                            "SQLite audit storage in a production config: audit, approvals, idempotency records and "
                            "rate limits stay in one node's file.")
RETENTION_NOT_ENFORCED = Check("PC620", "retention-not-enforced", W,
                               "`retention_days` is never read: audit logs are kept until someone runs "
                               "`toolrampart prune`.")
DECORATORS_WITHOUT_TOOL = Check("PC621", "decorators-without-tool", W,
                                "A function with ToolRampart decorators but no `@tool`: it is never registered, so "
                                "its policies guard nothing.")
ANNOTATION_UNRESOLVABLE = Check("PC622", "annotation-unresolvable", E,
                                "Under `from __future__ import annotations`, a parameter annotation pydantic cannot "
                                "resolve: every call of the tool raises.")
PARAMETER_NOT_ACCEPTED = Check("PC623", "parameter-not-accepted", E,
                               "A parameter pydantic does not make an input field (a leading `_`, `model_config`): "
                               "callers cannot pass it.")
REDACT_STRING = Check("PC624", "redact-string", W,
                      "`@redact` given one string: it redacts the string's single characters, not the field.")
OPAQUE_TOOL = Check("PC625", "opaque-tool", I,
                    "A part of a tool policyc cannot read statically (an unknown decorator, a non-literal "
                    "argument): decisions depending on it are not checked.")
TIMEOUT_NOT_POSITIVE = Check("PC626", "timeout-not-positive", E,
                             "A timeout of zero or less: every call that passes the gates ends in `timeout`.")

CHECKS = [UNREADABLE_MODULE, IMPORT_FAILS, UNREADABLE_CONFIG, CONFIG_SCHEMA, UNKNOWN_CONFIG_KEY,
          DECORATOR_ABOVE_TOOL, DUPLICATE_DECORATOR, APPROVAL_NEVER_FIRES, APPROVAL_FAIL_OPEN,
          UNAPPROVED_RISKY_TOOL, WRITE_WITHOUT_IDEMPOTENCY, RETRY_NON_IDEMPOTENT, LONG_WORK_NOT_ISOLATED,
          MIXED_RISK_SERVICE, AUTH_NOT_REQUIRED, REQUEST_METADATA_TRUSTED, PLAINTEXT_API_KEYS,
          TRUSTED_HEADERS_UNGUARDED, LOCAL_AUDIT_STORAGE, RETENTION_NOT_ENFORCED, DECORATORS_WITHOUT_TOOL,
          ANNOTATION_UNRESOLVABLE, PARAMETER_NOT_ACCEPTED, REDACT_STRING, OPAQUE_TOOL, TIMEOUT_NOT_POSITIVE]
"""Every check of the dialect, in code order."""
