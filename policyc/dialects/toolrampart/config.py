"""``toolrampart.toml``, read as ``config.py`` ``load_config`` reads it.

``load_config`` reads the file as UTF-8 text (``Path.read_text``: newlines
translated, a BOM kept), parses it with ``tomllib`` and validates it with
the pydantic model ``ToolRampartConfig`` (sections ``auth``, ``execution``,
``storage``, ``telemetry``; lax coercion, so ``required = "yes"`` is
``True``; unknown keys silently ignored). ``create_rampart_from_config``
then builds the storage: ``storage_url`` empty or ``sqlite://...`` is
SQLite (``audit_path``), ``postgres://``/``postgresql://`` Postgres,
anything else raises ``ValueError``; ``redis_url`` must be ``redis://`` or
``rediss://`` (ToolRampart's ``storage.py``).

:func:`read_config` mirrors that and never raises:

* PC603 ``unreadable-config``: not UTF-8, or not TOML (``tomllib``'s
  message and position);
* PC604 ``config-schema-violation``: a value ``ToolRampartConfig`` or the
  storage set-up refuses (the JSON Schema ``schema.json``, draft 2020-12,
  validated with ``jsonschema``);
* PC605 ``unknown-config-key``: a key no model field reads, with the
  closest known key (``difflib``) as a suggestion.

Key positions come from :mod:`.tomlpos`. The values the runtime would use
(:attr:`~.model.ServiceConfig.settings`) are the pydantic defaults
overlaid with the file's values after lax coercion (:mod:`.fields`).
Environment overrides (``TOOLRAMPART_*``) are not applied: they are not in
the file.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart.codes import CONFIG_SCHEMA, UNKNOWN_CONFIG_KEY, UNREADABLE_CONFIG
from policyc.dialects.toolrampart.fields import validate
from policyc.dialects.toolrampart.model import ConfigKey, ServiceConfig
from policyc.dialects.toolrampart.tomlpos import key_positions
from policyc.ir import Span

__all__ = ["read_config", "schema", "DEFAULTS", "CONFIG_NAME"]

CONFIG_NAME = "toolrampart.toml"

#: ``ToolRampartConfig``'s defaults (config.py).
DEFAULTS: dict[str, dict[str, Any]] = {
    "auth": {"required": False, "trust_headers": False, "api_keys": {}, "hashed_api_keys": {},
             "jwt_secret": None, "jwt_issuer": None, "jwt_audience": None, "jwt_jwks_url": None,
             "jwt_algorithms": ["RS256", "ES256"]},
    "execution": {"timeout_seconds": 30, "max_retries": 0},
    "storage": {"audit_path": None, "storage_url": None, "redis_url": None, "retention_days": 90},
    "telemetry": {"enabled": True, "service_name": "toolrampart"},
}

_SPECS = {
    ("auth", "required"): ("bool",), ("auth", "trust_headers"): ("bool",),
    ("execution", "timeout_seconds"): ("float",), ("execution", "max_retries"): ("int",),
    ("storage", "retention_days"): ("int",), ("telemetry", "enabled"): ("bool",),
}
_KEY_SPECS = {"active": ("bool",)}

_WHAT = {"bool": "a boolean (pydantic also reads 0, 1 and \"yes\"/\"no\"-like strings)",
         "int": "a whole number", "float": "a number", "str": "a string",
         "strings": "a list of strings"}


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of the keys ToolRampart reads (``schema.json``)."""
    text = resources.files("policyc.dialects.toolrampart").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def read_config(path: str) -> tuple[ServiceConfig | None, list[Diagnostic]]:
    """The config at ``path`` and its load diagnostics (never raises).
    ``None`` when the file cannot be read as TOML."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return None, [UNREADABLE_CONFIG.at(Span(path, 1, 1, 1, 2), f"cannot read the config: {exc.strerror or exc}",
                                           help="`load_config` raises when it cannot read the file")]
    return read_config_text(path, data)


def read_config_text(path: str, data: bytes) -> tuple[ServiceConfig | None, list[Diagnostic]]:
    """:func:`read_config` from the file's bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        return None, [UNREADABLE_CONFIG.at(
            Span(path, line, column, line, column + 1),
            f"the config is not valid UTF-8 ({exc.reason}): `load_config` (config.py) reads it with "
            f"`read_text(encoding=\"utf-8\")`, which raises UnicodeDecodeError",
            help="save the file as UTF-8", label="not UTF-8")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # text-mode reading
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if found:
            line, column = int(found.group(1)), int(found.group(2))
        else:
            line = text.count("\n") + 1
            column = len(text) - text.rfind("\n")
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        if text.startswith("\ufeff"):
            reason += " (the file starts with a byte-order mark, which `read_text(encoding=\"utf-8\")` keeps)"
        return None, [UNREADABLE_CONFIG.at(
            Span(path, line, column, line, column + 1),
            f"not valid TOML: {reason}: `load_config` (config.py) raises TOMLDecodeError and the service "
            f"does not start", help="fix the TOML syntax", label="TOML syntax")]
    except (RecursionError, MemoryError):
        return None, [UNREADABLE_CONFIG.at(Span(path, 1, 1, 1, 2), "not valid TOML: nested too deeply",
                                           help="fix the TOML syntax")]
    positions, comments = key_positions(path, text)
    keys = tuple(ConfigKey(k, _value_at(document, k), span) for k, span in positions.items())
    config = ServiceConfig(path=path, data=document, settings={}, valid=True, keys=keys, comments=comments,
                           text=text)
    diagnostics = _schema_diagnostics(config)
    valid = not any(d.code == CONFIG_SCHEMA.code for d in diagnostics)
    settings = _settings(document) if valid else _settings({})
    return ServiceConfig(path=path, data=document, settings=settings, valid=valid, keys=keys, comments=comments,
                         text=text), diagnostics


def _value_at(document: Any, path: tuple[str, ...]) -> Any:
    node = document
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _settings(document: dict) -> dict[str, dict[str, Any]]:
    out = {section: dict(values) for section, values in DEFAULTS.items()}
    for section, values in document.items():
        if section not in out or not isinstance(values, dict):
            continue
        for key, value in values.items():
            if key not in out[section]:
                continue
            spec = _SPECS.get((section, key))
            if spec is not None:
                result = validate(spec, value)
                value = result[1] if result and result[0] else value
            elif key in ("api_keys", "hashed_api_keys") and isinstance(value, dict):
                value = {name: _key_entry(entry) for name, entry in value.items()}
            out[section][key] = value
    return out


def _key_entry(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    out = {"scopes": [], **({"active": True} if "hash" in entry else {})}
    for key, value in entry.items():
        if key in ("actor", "scopes", "hash"):
            out[key] = value
        elif key in _KEY_SPECS:
            result = validate(_KEY_SPECS[key], value)
            out[key] = result[1] if result and result[0] else value
    return out


def _known_keys(schema_node: dict) -> list[str]:
    return sorted(schema_node.get("properties", {}))


def _schema_diagnostics(config: ServiceConfig) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    errors = sorted(_validator().iter_errors(config.data), key=lambda e: list(e.absolute_path))
    for error in errors:
        where = tuple(str(p) for p in error.absolute_path)
        if error.validator == "additionalProperties":
            known = _known_keys(error.schema)
            for key in sorted(set(error.instance) - set(known)):
                path = where + (key,)
                if path in seen:
                    continue
                seen.add(path)
                out.append(_unknown_key(config, path, known))
            continue
        if where in seen:
            continue
        seen.add(where)
        out.append(_violation(config, where, error))
    # what JSON Schema cannot say: a float is no integer beyond 2**63 for pydantic
    for (section, key), spec in _SPECS.items():
        values = config.data.get(section)
        if not isinstance(values, dict) or key not in values or (section, key) in seen:
            continue
        result = validate(spec, values[key])
        if result is not None and not result[0]:
            shown = json.dumps(values[key], default=str)
            out.append(CONFIG_SCHEMA.at(
                config.span(section, key),
                f"`{section}.{key} = {shown}` is not {_WHAT[spec[0]]} pydantic accepts ({result[1]}): "
                f"`load_config` raises ValidationError and the service does not start",
                help=f"write {_WHAT[spec[0]]}", label="refused"))
    return out


def _unknown_key(config: ServiceConfig, path: tuple[str, ...], known: list[str]) -> Diagnostic:
    key = path[-1]
    dotted = ".".join(path)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    section = ".".join(path[:-1]) or "the top level"
    message = f"unknown key `{dotted}`: ToolRampartConfig (config.py) has no such field in {section}, so " \
              f"pydantic ignores it"
    if close:
        message += f"; did you mean `{close[0]}`?"
        default = _default(path[:-1] + (close[0],))
        if default is not _NO_DEFAULT and _value_at(config.data, path[:-1] + (close[0],)) is None:
            message += f" `{'.'.join(path[:-1] + (close[0],))}` keeps its default, {_toml(default)}"
            if path[:-1] == ("auth",) and close[0] == "required":
                message += ": REST callers are not authenticated"
    return UNKNOWN_CONFIG_KEY.at(config.span(*path), message,
                                 help=f"rename it to `{close[0]}`" if close else
                                 f"the keys of {section} are: {', '.join(known)}",
                                 label="never read")


_NO_DEFAULT = object()


def _default(path: tuple[str, ...]) -> Any:
    if len(path) == 2 and path[0] in DEFAULTS and path[1] in DEFAULTS[path[0]]:
        return DEFAULTS[path[0]][path[1]]
    return _NO_DEFAULT


def _toml(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _violation(config: ServiceConfig, path: tuple[str, ...], error: jsonschema.ValidationError) -> Diagnostic:
    dotted = ".".join(path) or "the document"
    value = error.instance
    shown = json.dumps(value, default=str, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    name = path[-1] if path else ""
    if name == "storage_url" and isinstance(value, str):
        message = (f"`{dotted} = {shown}`: storage.py `create_audit_store` accepts only an empty, `sqlite://`, "
                   f"`postgres://` or `postgresql://` URL and raises ValueError (unsupported ToolRampart "
                   f"storage URL) when the service starts")
        help_ = "use a postgresql:// URL for production, or leave it empty for SQLite"
    elif name == "redis_url" and isinstance(value, str):
        message = (f"`{dotted} = {shown}`: storage.py `create_rate_limit_store` accepts only `redis://` or "
                   f"`rediss://` and raises ValueError when the service starts")
        help_ = "write a redis:// or rediss:// URL"
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a key"
        message = (f"`{dotted}` lacks `{missing}`: pydantic refuses the config (`load_config` raises "
                   f"ValidationError, Field required)")
        help_ = f"add `{missing} = ...`"
    else:
        expected = _expected(error)
        message = (f"`{dotted} = {shown}` is not {expected}: pydantic refuses the config (`load_config` "
                   f"raises ValidationError) and the service does not start")
        help_ = f"write {expected}"
    return CONFIG_SCHEMA.at(config.span(*path), message, help=help_, label="refused")


def _expected(error: jsonschema.ValidationError) -> str:
    ref = error.schema.get("$ref", "") if isinstance(error.schema, dict) else ""
    for candidate in (ref, error.schema.get("description", "") if isinstance(error.schema, dict) else ""):
        for key, what in _WHAT.items():
            if candidate.endswith("/" + key) or candidate == f"pydantic lax {key}":
                return what
    kind = error.schema.get("type") if isinstance(error.schema, dict) else None
    return {"object": "a table", "array": "a list", "string": "a string", "boolean": "a boolean",
            "integer": "a whole number", "number": "a number"}.get(kind, "of the expected type")
