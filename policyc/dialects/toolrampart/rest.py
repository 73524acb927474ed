"""The REST layer: who a request's call is made as, from the service config.

``toolrampart serve`` builds its app with ``authenticator_from_config``
(``config.py``), ``require_auth=[auth] required`` and
``trust_headers=[auth] trust_headers``. For ``POST /tools/{name}/invoke``:

1. ``principal_from_request`` (``auth.py``): header names lower-cased; the
   authenticators configured, in this order, each tried until one returns a
   principal: plaintext ``api_keys`` (``APIKeyAuthenticator``: the bearer
   token or ``X-ToolRampart-Key``), ``hashed_api_keys``
   (``HashedAPIKeyAuthenticator``: the entry named by ``X-ToolRampart-Key-Id``
   if it exists, else every entry; inactive ones skipped; PBKDF2-SHA256
   hashes ``pbkdf2_sha256$ITER$SALT$DIGEST``), ``jwt_secret``
   (``JWTAuthenticator``: HS256; any failure answers 401 at once, even when a
   later authenticator might accept the token), ``jwt_jwks_url`` (RS256/ES256:
   not modelled, the outcome is ``unknown``). Then, without a principal and
   with ``trust_headers``, ``X-ToolRampart-Actor``/``X-ToolRampart-Scopes``.
   Without a principal and with ``required``: 401.
2. ``_context_from_request`` (``app.py``): with a principal, its actor and
   scopes, ``approved`` false, and metadata ``{**principal's, **body's}``;
   without one, the body's ``actor``, ``scopes``, ``approved``, ``metadata``.

:func:`call_from_request` returns the :class:`~.model.Call` (or a refusal
with its HTTP status); :func:`decide_request` decides it with
:mod:`.evaluate`. Hashes are checked with :func:`hashlib.pbkdf2_hmac` and
tokens with :mod:`hmac`, as the runtime does; nothing raises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policyc.dialects.toolrampart.evaluate import Outcome, Session
from policyc.dialects.toolrampart.fields import validate
from policyc.dialects.toolrampart.model import Call

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.toolrampart.loader import LoadResult

__all__ = ["Refusal", "call_from_request", "decide_request", "principal_from_headers"]

MAX_PBKDF2_ITERATIONS = 5_000_000
"""Hashes with more iterations are not checked (the outcome is ``unknown``)."""


@dataclass(frozen=True)
class Refusal:
    """The request is answered before any tool gate: ``http_status`` 401
    (credentials), 422 (the body does not validate) or ``None`` with
    ``unknown`` set when policyc cannot tell."""

    http_status: int | None
    detail: str
    unknown: bool = False


def _bearer(value: str) -> str | None:
    if value.lower().startswith("bearer "):
        return value[len("bearer "):].strip()
    return None


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def verify_hashed_key(token: str, stored: str) -> bool | None:
    """``auth.py`` ``verify_api_key``; ``None`` when the iteration count is
    beyond :data:`MAX_PBKDF2_ITERATIONS`."""
    try:
        algorithm, iterations_text, salt, _ = stored.split("$", 3)
        if algorithm != "pbkdf2_sha256":
            return False
        iterations = int(iterations_text)
        if not salt:
            return False  # hash_api_key draws a random salt for an empty one
        if iterations > MAX_PBKDF2_ITERATIONS:
            return None
        digest = hashlib.pbkdf2_hmac("sha256", token.encode("utf-8"), salt.encode("utf-8"), iterations)
    except Exception:  # noqa: BLE001 - verify_api_key answers False on any error
        return False
    candidate = f"pbkdf2_sha256${iterations}${salt}${base64.urlsafe_b64encode(digest).decode('ascii')}"
    return hmac.compare_digest(candidate, stored)


def _jwt(token: str, settings: dict, now: float) -> dict | Refusal:
    secret = str(settings["jwt_secret"]).encode("utf-8")
    try:
        header_text, payload_text, signature_text = token.split(".")
        header = json.loads(_b64url(header_text))
        payload = json.loads(_b64url(payload_text))
        signature = _b64url(signature_text)
        signing_input = f"{header_text}.{payload_text}".encode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        return Refusal(401, "invalid JWT")
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return Refusal(500, "the JWT header or payload is not an object (the runtime raises AttributeError)")
    if header.get("alg") != "HS256":
        return Refusal(401, "unsupported JWT algorithm")
    if not hmac.compare_digest(signature, hmac.new(secret, signing_input, hashlib.sha256).digest()):
        return Refusal(401, "invalid JWT signature")
    try:
        if "exp" in payload and int(now) >= int(payload["exp"]):
            return Refusal(401, "expired JWT")
        if "nbf" in payload and int(now) < int(payload["nbf"]):
            return Refusal(401, "JWT is not active yet")
    except (TypeError, ValueError, OverflowError):
        return Refusal(500, "int() of exp or nbf raises")
    if settings.get("jwt_issuer") and payload.get("iss") != settings["jwt_issuer"]:
        return Refusal(401, "invalid JWT issuer")
    audience = settings.get("jwt_audience")
    if audience:
        given = payload.get("aud")
        if audience not in (given if isinstance(given, list) else [given]):
            return Refusal(401, "invalid JWT audience")
    scopes = payload.get("scopes", payload.get("scope", []))
    if isinstance(scopes, str):
        scopes = [s for s in scopes.split(" ") if s]
    return {"actor": str(payload.get("sub") or payload.get("actor") or "anonymous"), "scopes": list(scopes),
            "metadata": {"auth": "jwt", "issuer": payload.get("iss"), "audience": payload.get("aud")}}


def principal_from_headers(settings: dict, headers: dict[str, str], now: float | None = None
                           ) -> dict | None | Refusal:
    """The principal (``{"actor", "scopes", "metadata"}``), ``None``, or a
    :class:`Refusal`, from the ``auth`` settings of a config."""
    now = time.time() if now is None else now
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    token = _bearer(lowered.get("authorization", "")) or lowered.get("x-toolrampart-key")
    bearer = _bearer(lowered.get("authorization", ""))
    principal: dict | None = None
    keys = settings.get("api_keys") or {}
    if keys and token:
        entry = keys.get(token)
        if entry is not None:
            principal = {"actor": entry["actor"], "scopes": list(entry.get("scopes", [])), "metadata": {}}
    hashed = settings.get("hashed_api_keys") or {}
    if principal is None and hashed and token:
        preferred = lowered.get("x-toolrampart-key-id")
        items = [(preferred, hashed[preferred])] if preferred in hashed else list(hashed.items())
        for key_id, entry in items:
            if entry.get("active", True) is False:
                continue
            verified = verify_hashed_key(token, str(entry.get("hash")))
            if verified is None:
                return Refusal(None, "a PBKDF2 hash with too many iterations is not checked", unknown=True)
            if verified:
                principal = {"actor": str(entry["actor"]), "scopes": list(entry.get("scopes", [])),
                             "metadata": {"auth": "api_key", "key_id": key_id}}
                break
    if principal is None and settings.get("jwt_secret") and bearer:
        found = _jwt(bearer, settings, now)
        if isinstance(found, Refusal):
            return found
        principal = found
    if principal is None and settings.get("jwt_jwks_url") and bearer:
        return Refusal(None, "JWKS (RS256/ES256) verification is not modelled", unknown=True)
    if principal is None and settings.get("trust_headers"):
        actor = lowered.get("x-toolrampart-actor")
        if actor:
            scopes = [s.strip() for s in lowered.get("x-toolrampart-scopes", "").split(",") if s.strip()]
            principal = {"actor": actor, "scopes": scopes, "metadata": {"auth": "trusted_headers"}}
    if principal is None and settings.get("required"):
        return Refusal(401, "missing or invalid ToolRampart credentials")
    return principal


def call_from_request(settings: dict, tool: str, headers: dict[str, str], body: Any,
                      now: float | None = None) -> Call | Refusal:
    """The call ``POST /tools/{tool}/invoke`` makes (``app.py``
    ``invoke_tool``), or the refusal answered first. ``settings`` is a
    config's ``settings`` (:attr:`~.model.ServiceConfig.settings`) or
    ``config.DEFAULTS``."""
    auth = settings.get("auth", {})
    if not isinstance(body, dict):
        return Refusal(422, "the request body is not an object")
    principal = principal_from_headers(auth, headers, now)
    if isinstance(principal, Refusal):
        return principal
    fields = {"arguments": ("dict", None), "actor": ("str",), "scopes": ("list", ("str",)),
              "approved": ("bool",), "metadata": ("dict", None)}
    values = {"arguments": {}, "actor": "anonymous", "scopes": [], "approved": False, "metadata": {}}
    for name, spec in fields.items():
        if name in body:
            checked = validate(spec, body[name])
            if checked is None:
                return Refusal(None, f"the validation of `{name}` is not modelled", unknown=True)
            if not checked[0]:
                return Refusal(422, f"`{name}`: {checked[1]}")
            values[name] = checked[1]
    if principal is not None:
        return Call(tool=tool, arguments=values["arguments"], actor=principal["actor"],
                    scopes=tuple(principal["scopes"]), approved=False,
                    metadata={**principal["metadata"], **values["metadata"]})
    return Call(tool=tool, arguments=values["arguments"], actor=values["actor"], scopes=tuple(values["scopes"]),
                approved=values["approved"], metadata=values["metadata"])


def decide_request(result: LoadResult, settings: dict, tool: str, headers: dict[str, str], body: Any,
                   *, session: Session | None = None, now: float | None = None) -> Outcome:
    """Decide a REST invocation: a refusal is an ``error`` outcome whose
    reason gives the HTTP status (``Outcome.http_status`` maps the tool
    statuses)."""
    call = call_from_request(settings, tool, headers, body, now)
    if isinstance(call, Refusal):
        status = "unknown" if call.unknown else "refused"
        return Outcome(status, call.detail, "request", f"HTTP {call.http_status}: {call.detail}",
                       message_known=not call.unknown, http=call.http_status)
    return (session or Session(result)).decide(call)
