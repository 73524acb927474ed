"""The checks of a service config alone: PC615, PC617, PC618, PC619, PC620.

Each reads the values ``load_config`` would use
(:attr:`~.model.ServiceConfig.settings`) of every config that validates;
the REST behaviour they report is :mod:`.rest`'s (``auth.py``, ``app.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart.codes import (
    AUTH_NOT_REQUIRED, LOCAL_AUDIT_STORAGE, PLAINTEXT_API_KEYS, RETENTION_NOT_ENFORCED, TRUSTED_HEADERS_UNGUARDED,
)
from policyc.dialects.toolrampart.model import ServiceConfig

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.toolrampart.loader import LoadResult

__all__ = ["check_auth_not_required", "check_plaintext_api_keys", "check_trusted_headers_unguarded",
           "check_local_audit_storage", "check_retention_not_enforced", "PROXY_NOTE"]

PROXY_NOTE = re.compile(r"proxy|gateway|ingress|strip|load[ -]?balancer|middleware", re.IGNORECASE)
"""A comment that says inbound identity headers are handled upstream (PC618)."""


def _configs(result: LoadResult) -> list[ServiceConfig]:
    return [c for c in result.configs if c.valid]


def check_auth_not_required(result: LoadResult) -> list[Diagnostic]:
    """PC615: ``[auth] required = false``."""
    out = []
    for config in _configs(result):
        if config.setting("auth", "required"):
            continue
        written = config.key("auth", "required")
        how = "`[auth] required = false`" if written is not None else "`[auth] required` is not set (default false)"
        out.append(AUTH_NOT_REQUIRED.at(
            config.span("auth", "required"),
            f"{how}: a REST request without valid credentials is served anyway (auth.py `principal_from_request`) "
            f"and `_context_from_request` (app.py) takes `actor`, `scopes` and `approved` from its JSON body, so "
            f"any caller grants itself every scope and `approved: true` skips every approval",
            help="set `required = true` and configure hashed API keys or JWT", label="callers choose their rights"))
    return out


def check_plaintext_api_keys(result: LoadResult) -> list[Diagnostic]:
    """PC617: keys in ``[auth.api_keys]``."""
    out = []
    for config in _configs(result):
        keys = config.setting("auth", "api_keys") or {}
        for key, entry in keys.items():
            actor = entry.get("actor") if isinstance(entry, dict) else None
            scopes = entry.get("scopes", []) if isinstance(entry, dict) else []
            out.append(PLAINTEXT_API_KEYS.at(
                config.span("auth", "api_keys", key),
                f"API key {key!r} is written in plaintext in `[auth.api_keys]`: `APIKeyAuthenticator` (auth.py) "
                f"compares bearer tokens with these strings, so anyone who can read this file (repository, image, "
                f"backup) calls as `{actor}` with scopes {list(scopes)}",
                help="store only a hash (`toolrampart auth hash-key KEY`, `[auth.hashed_api_keys]`) or use JWT/JWKS",
                label="plaintext secret"))
    return out


def check_trusted_headers_unguarded(result: LoadResult) -> list[Diagnostic]:
    """PC618: ``trust_headers = true`` with no proxy note."""
    out = []
    for config in _configs(result):
        if not config.setting("auth", "trust_headers"):
            continue
        span = config.span("auth", "trust_headers")
        nearby = [config.comments.get(line, "") for line in range(span.line - 3, span.line + 1)]
        if any(PROXY_NOTE.search(c) for c in nearby):
            continue
        out.append(TRUSTED_HEADERS_UNGUARDED.at(
            span,
            "`trust_headers = true`: when no key or token authenticates a request, `principal_from_request` "
            "(auth.py `trusted_header_principal`) takes the actor and scopes from the `X-ToolRampart-Actor` and "
            "`X-ToolRampart-Scopes` headers, which any client can send unless a proxy strips them",
            help="only behind a proxy that strips inbound X-ToolRampart-* headers; say so in a comment on this line "
                 "(e.g. `# behind the gateway, which strips X-ToolRampart-* headers`)",
            label="spoofable identity"))
    return out


def _production_signals(config: ServiceConfig) -> list[str]:
    signals = []
    if config.setting("auth", "required"):
        signals.append("`auth.required = true`")
    if config.setting("auth", "hashed_api_keys"):
        signals.append("hashed API keys")
    if config.setting("auth", "jwt_secret") or config.setting("auth", "jwt_jwks_url"):
        signals.append("JWT authentication")
    if config.setting("storage", "redis_url"):
        signals.append("a Redis rate-limit store (several workers)")
    return signals


def check_local_audit_storage(result: LoadResult) -> list[Diagnostic]:
    """PC619: SQLite audit storage in a production config."""
    out = []
    for config in _configs(result):
        url = config.setting("storage", "storage_url")
        if url and not str(url).startswith("sqlite://"):
            continue
        signals = _production_signals(config)
        if not signals:
            continue
        redis = config.setting("storage", "redis_url")
        rates = "" if redis else ", and rate-limit counters (no `redis_url`: core.py `rate_limiter` falls back to " \
                                 "the audit store)"
        span = config.span("storage", "storage_url") if config.key("storage", "storage_url") else \
            config.span("storage", "audit_path")
        out.append(LOCAL_AUDIT_STORAGE.at(
            span,
            f"this config looks like production ({', '.join(signals)}) but its audit storage is SQLite "
            f"(storage.py `create_audit_store`): audit events, approval requests, idempotency records{rates} live in "
            f"one local file that other workers and hosts do not share",
            help='set `storage_url = "postgresql://..."` (and `redis_url` for shared rate limits)',
            label="one node's file"))
    return out


def check_retention_not_enforced(result: LoadResult) -> list[Diagnostic]:
    """PC620: ``retention_days`` is never read."""
    out = []
    for config in _configs(result):
        key = config.key("storage", "retention_days")
        if key is None:
            continue
        out.append(RETENTION_NOT_ENFORCED.at(
            key.span,
            f"`retention_days = {config.setting('storage', 'retention_days')}` is read into the config "
            f"(config.py `StorageConfig`) but no runtime code uses it: nothing prunes the audit log, and "
            f"`toolrampart prune` takes its own `--days` (default 90) for `prune_audit_logs` (core.py)",
            help="schedule `toolrampart prune --days N` (cron, a job) with the retention you need",
            label="not enforced"))
    return out


