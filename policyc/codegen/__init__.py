"""Code generation: a :class:`~policyc.ir.PolicySet` to a canonical JSON bundle
(:mod:`.bundle`); the other dialects' writers live in their packages
(``policyc.dialects.<name>.codegen``) and share :func:`bundle_bytes`.

See ``docs/bundle-format.md`` for the format and :mod:`policyc.runtime` for
the loader and evaluator.
"""

from .bundle import (
    BUNDLE_FORMAT,
    BUNDLE_FORMAT_VERSION,
    CompileError,
    bundle_bytes,
    canonical_json,
    compile_policy_set,
    write_bundle,
)

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_VERSION",
    "CompileError",
    "bundle_bytes",
    "canonical_json",
    "compile_policy_set",
    "write_bundle",
]
