"""Read and verify a bundle (``docs/bundle-format.md`` §1), and the
fail-closed decision function an enforcement hook should use.

* :func:`load_bundle(path_or_bytes) <load_bundle>` -> :class:`Bundle` (or,
  for another dialect's bundle, that dialect's ``runtime.BUNDLE``);
  raises :class:`BundleError`, and only that (unreadable file, nesting over
  ``MAX_BUNDLE_DEPTH``, bad JSON, wrong format or version, digest mismatch,
  non-canonical payload, bad structure or types, a pattern that does not
  compile);
* :func:`fail_closed(path) <fail_closed>` -> a function deciding calls;
  neither it nor the function raises: it denies every call when the bundle
  cannot be loaded, and a call that cannot be read.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from policyc.dialects import DIALECTS

from .bundle import Bundle
from .jsonparse import parse_json
from .model import BundleError, Decision, DialectBundle


BUNDLE_FORMAT = "policyc-bundle"
BUNDLE_FORMAT_VERSION = 4
#: The host families whose engine behaviour this runtime implements.
HOST_FAMILIES = ("linux",)
#: The deepest array/object nesting a bundle may have (version 2 bundles
#: nest 10 deep); checked before parsing.
MAX_BUNDLE_DEPTH = 32
_PAYLOAD_MARK = b',"payload":'


def _raw_payload(data: bytes) -> bytes:
    body = data.rstrip(b" \t\r\n")
    at = body.find(_PAYLOAD_MARK)
    if at < 0 or not body.endswith(b"}"):
        raise BundleError("bundle is not canonical: the \"payload\" member must come last")
    return body[at + len(_PAYLOAD_MARK):-1]


def _read(source: Any) -> tuple[str, bytes]:
    """(name for messages, bytes) of a bundle path or bytes; raises BundleError."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "bundle", bytes(source)
    try:
        where = os.fspath(source)
    except TypeError:
        raise BundleError(f"cannot read bundle: expected a path or bytes, not {type(source).__name__}") from None
    if isinstance(where, bytes):
        where = os.fsdecode(where)
    try:
        with open(where, "rb") as handle:
            return where, handle.read()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BundleError(f"{where}: cannot read bundle: {reason}") from None


def load_bundle(source: str | os.PathLike[str] | bytes) -> Bundle | DialectBundle:
    """Read, verify and prepare a bundle from a path or from its bytes.

    Checks, in order: nesting at most ``MAX_BUNDLE_DEPTH`` arrays/objects
    (measured before parsing, so a deeply nested file cannot exhaust the
    parser's recursion); valid UTF-8 JSON with integers as its only numbers;
    a JSON object; ``format`` is ``policyc-bundle``; ``format_version`` is
    3; ``manifest.host`` is a family this runtime implements (``linux``);
    the sha256 of the payload's bytes equals ``manifest.digest``; the
    payload is canonical. Then the payload's ``dialect`` picks the runtime:
    a registered dialect's ``runtime.BUNDLE`` (``openclaw-toolkit``:
    :class:`~policyc.dialects.openclaw.runtime.OpenClawBundle`, deciding
    with ``ToolkitDecision``; ``toolrampart``:
    :class:`~policyc.dialects.toolrampart.runtime.ToolRampartBundle`, with
    ``ToolRampartDecision``), any other a Rampart
    :class:`~.bundle.Bundle`; each refuses a dialect, call
    model or combining algorithm it does not decide, and checks that every
    value its decision procedure reads has its documented type (Rampart:
    every table compiles).

    Raises :class:`BundleError` and nothing else: a path that cannot be
    read (``OSError``, a NUL in it, a source that is neither a path nor
    bytes) and any unexpected failure while preparing the bundle are
    reported as a ``BundleError`` too.
    """
    where, data = _read(source)
    try:
        return _verify(where, data)
    except BundleError:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise: BundleError only
        raise BundleError(f"{where}: bundle cannot be used: {type(exc).__name__}: {exc}") from None


def _verify(where: str, data: bytes) -> Bundle:
    try:
        document = parse_json(data, max_depth=MAX_BUNDLE_DEPTH, integers_only=True)
    except ValueError as exc:
        raise BundleError(f"{where}: not a JSON bundle: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{where}: not a policyc bundle (\"format\" must be {BUNDLE_FORMAT!r})")
    version = document.get("format_version")
    if version != BUNDLE_FORMAT_VERSION or isinstance(version, bool):
        raise BundleError(f"{where}: unsupported bundle format_version {version!r} (this runtime reads "
                          f"version {BUNDLE_FORMAT_VERSION}; recompile with a matching policyc)")
    manifest = document.get("manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("digest"), str) \
            or not isinstance(document.get("payload"), dict):
        raise BundleError(f"{where}: bundle lacks a manifest digest or a payload")
    if manifest.get("host") not in HOST_FAMILIES:
        raise BundleError(f"{where}: bundle compiled for host family {manifest.get('host')!r}; this "
                          f"runtime decides as the engine does on {', '.join(HOST_FAMILIES)}")
    expected = manifest["digest"]
    found = "sha256:" + hashlib.sha256(_raw_payload(data)).hexdigest()
    if found != expected:
        raise BundleError(f"{where}: bundle digest mismatch: the payload was modified after compilation "
                          f"(expected {expected}, found {found})")
    try:
        canonical = json.dumps(document["payload"], sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escape: canonical form writes none
        canonical = b""
    if canonical != _raw_payload(data):
        raise BundleError(f"{where}: bundle payload is not in canonical form")
    try:
        return _runtime(document["payload"].get("dialect"))(document)
    except BundleError as exc:
        raise BundleError(f"{where}: {exc}") from None


def _runtime(dialect: Any) -> type:
    """The bundle class for a payload's ``dialect``: the ``BUNDLE`` of the
    ``runtime`` module of the registered dialect package of that name
    (:data:`policyc.dialects.DIALECTS`; the packages import lazily, so only
    the dialect of the bundle loaded is imported: a Rampart hook never loads
    a dialect's modules), else Rampart's, which refuses any dialect but its own."""
    for name in DIALECTS:
        if importlib.import_module(name).NAME == dialect:
            return importlib.import_module(name + ".runtime").BUNDLE
    return Bundle


def fail_closed(path: str | os.PathLike[str] | bytes) -> Callable[[Mapping[str, Any]], Any]:
    """A decision function for an enforcement hook, for a bundle of either
    dialect; neither building it nor calling it ever raises.

    When the bundle loads (:func:`load_bundle`), the function is
    ``bundle.decide`` (a call that cannot be read is denied there: a
    :class:`Decision`, or the dialect's decision for another dialect's
    bundle); else it denies every call with a :class:`Decision` ``policy
    bundle unavailable, failing closed: <load error>``. Any failure while
    deciding (say, a ``call`` mapping whose methods raise) is a deny too.
    Every decision has ``action`` and ``to_json()``."""
    try:
        bundle = load_bundle(path)
    except Exception as exc:  # noqa: BLE001 - BundleError by contract; never raise regardless
        reason = f"policy bundle unavailable, failing closed: {exc}"

        def deny(call: Mapping[str, Any]) -> Decision:
            return Decision("deny", reason)

        return deny

    def decide(call: Mapping[str, Any]) -> Any:
        try:
            return bundle.decide(call)
        except Exception as exc:  # noqa: BLE001 - an enforcement hook must not crash open
            return Decision("deny", f"internal error ({type(exc).__name__}), failing closed")

    return decide
