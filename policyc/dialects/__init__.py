"""Policy dialects as self-contained packages (see ``../shared/DESIGN.md``).

:data:`DIALECTS` names the registered dialect packages besides Rampart's
(whose front end is :mod:`policyc.dialects.rampart`): adding a dialect adds
one line here. It is plain data so that the runtime (:mod:`policyc.runtime`)
can find a bundle's dialect without the compiler's registry
(:mod:`policyc.dialects.registry`, which reads files).
"""

#: The dialects besides Rampart, by package; each has ``NAME``, and the
#: modules :mod:`policyc.dialects.registry` lists (``checks``, ``commands``,
#: ``codegen``, ``runtime`` with its ``BUNDLE`` class...).
DIALECTS: tuple[str, ...] = (
    "policyc.dialects.openclaw",
    "policyc.dialects.toolrampart",
)
