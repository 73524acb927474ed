"""The bundle runtime: load a compiled bundle and decide tool calls.

Imports only ``re2``, the standard library and :mod:`policyc.canonicalize`.
See :mod:`policyc.runtime.bundle` and ``docs/bundle-format.md``.
"""

from .bundle import (
    BUNDLE_FORMAT,
    BUNDLE_FORMAT_VERSION,
    Bundle,
    BundleError,
    Decision,
    RuleRef,
    fail_closed,
    load_bundle,
)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_VERSION",
    "Bundle",
    "BundleError",
    "Decision",
    "RuleRef",
    "fail_closed",
    "load_bundle",
]
