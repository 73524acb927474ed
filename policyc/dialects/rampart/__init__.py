"""The Rampart dialect's front end: policy and test-suite YAML, read as Rampart's Go engine reads it.

Rampart is policyc's default dialect: a file no registered dialect claims
(:mod:`policyc.dialects.registry`) is read here, and its IR is what the
shared passes, the reference evaluator (:mod:`policyc.evaluate`), the bundle
writer (:mod:`policyc.codegen.bundle`) and the runtime serve.

============  ==============================================================
module        what it does
============  ==============================================================
frontend      one file: the JSON Schema (``schema.json``, draft 2020-12),
              the load checks (PC0xx), lowering to the IR, test cases
============  ==============================================================

The whole-set loader (global and project tiers) is :mod:`policyc.loader`.
"""

NAME = "rampart"
