"""Read and verify a bundle (``docs/bundle-format.md`` §1), and the
fail-closed decision function an enforcement hook should use.

* :func:`load_bundle(path_or_bytes) <load_bundle>` -> :class:`Bundle`;
  raises :class:`BundleError` (unreadable file, bad JSON, wrong format or
  version, digest mismatch, non-canonical payload, bad structure, a pattern
  that does not compile);
* :func:`fail_closed(path) <fail_closed>` -> a function deciding calls that
  never raises: it denies when the bundle cannot be loaded or a call is
  malformed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from .bundle import Bundle
from .model import BundleError, Decision

BUNDLE_FORMAT = "policyc-bundle"
BUNDLE_FORMAT_VERSION = 2
#: The host families whose engine behaviour this runtime implements.
HOST_FAMILIES = ("linux",)
_PAYLOAD_MARK = b',"payload":'


def _raw_payload(data: bytes) -> bytes:
    body = data.rstrip(b" \t\r\n")
    at = body.find(_PAYLOAD_MARK)
    if at < 0 or not body.endswith(b"}"):
        raise BundleError("bundle is not canonical: the \"payload\" member must come last")
    return body[at + len(_PAYLOAD_MARK):-1]


def load_bundle(source: str | os.PathLike[str] | bytes) -> Bundle:
    """Read, verify and prepare a bundle from a path or from its bytes.

    Checks, in order: valid UTF-8 JSON object; ``format`` is
    ``policyc-bundle``; ``format_version`` is 2; ``manifest.host`` is a family this runtime implements (``linux``); the sha256 of the payload's
    bytes equals ``manifest.digest``; the payload is canonical; every table
    compiles. Raises :class:`BundleError` (``OSError`` reading a path is
    wrapped too).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        where = "bundle"
    else:
        where = os.fspath(source)
        try:
            with open(where, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise BundleError(f"{where}: cannot read bundle: {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
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
    canonical = json.dumps(document["payload"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    if canonical != _raw_payload(data):
        raise BundleError(f"{where}: bundle payload is not in canonical form")
    try:
        return Bundle(document)
    except BundleError as exc:
        raise BundleError(f"{where}: {exc}") from None


def fail_closed(path: str | os.PathLike[str] | bytes) -> Callable[[Mapping[str, Any]], Decision]:
    """A decision function that never raises: ``bundle.decide`` when the
    bundle loads, else a function that denies every call with the load error
    as message. A malformed call (or an internal error) is denied too."""
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        reason = f"policy bundle unavailable, failing closed: {exc}"

        def deny(call: Mapping[str, Any]) -> Decision:
            return Decision("deny", reason)

        return deny

    def decide(call: Mapping[str, Any]) -> Decision:
        try:
            return bundle.decide(call)
        except ValueError as exc:
            return Decision("deny", f"invalid tool call ({exc}), failing closed")
        except Exception as exc:  # noqa: BLE001 - an enforcement hook must not crash open
            return Decision("deny", f"internal error ({type(exc).__name__}: {exc}), failing closed")

    return decide
