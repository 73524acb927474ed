"""The outcomes ToolRampart's own tests state, reproduced by policyc's static reading.

ToolRampart 0.2.0's tests (``../shared/corpora/toolrampart/tests/``) define
their tools inside the test functions (``@shield.tool``). The tools are
taken from those files statically (:func:`tools_of`: the decorated nested
functions, dedented into a module, with the test file's ToolRampart
imports); nothing of ToolRampart is imported or run. Each case below cites
``file::test`` and the call, and states the status (and message, REST code,
validated arguments) the test asserts.

Decidable and reproduced here:

* test_core.py: ``test_scope_approval_redaction_and_audit`` (denied,
  requires_approval, success when approved; the redaction set),
  ``test_rate_limit_is_per_tool_and_actor`` (success, success,
  rate_limited with ``2/hour/user`` in the message, another actor
  success), ``test_validation_prevents_execution`` (validation_error),
  ``test_tool_schema_uses_function_signature`` (description, required
  fields, the ``urgent`` default, ``idempotent``, the ``dict`` return),
  ``test_approval_workflow_requires_matching_approved_request`` (the first
  call: requires_approval with the validated arguments ``{"amount":
  700.0}``), ``test_wildcard_scopes_grant_prefixed_access`` (success),
  ``test_timeout_and_retries`` (only the attempt count of ``flaky``: 3),
  ``test_idempotency_replays_completed_result`` (the first call: success);
* test_app.py: ``test_api_lists_and_invokes_tools`` (403 denied, 200),
  ``test_api_uses_auth_principal_instead_of_request_body`` (401; 200 as the
  key's principal, whatever the body says), ``test_api_accepts_hashed_api_key_with_rotation``
  (401 for the inactive key, 200 for the current one),
  ``test_jwt_authenticator_accepts_signed_scopes`` (200),
  ``test_approval_endpoints_dashboard_and_metrics`` (the first call: 202
  requires_approval), ``test_api_accepts_idempotency_key_header`` (the
  first call: 200);
* test_examples.py: ``test_example_modules_import`` (all seven modules
  import: no PC601/PC602).

Not decidable statically (see :data:`UNDECIDABLE`).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import json
import textwrap
from pathlib import Path

import pytest

from policyc.dialects.toolrampart import decide, load_paths
from policyc.dialects.toolrampart.config import DEFAULTS, read_config_text
from policyc.dialects.toolrampart.evaluate import Session
from policyc.dialects.toolrampart.rest import decide_request

from .conftest import CORPORA, needs_corpora

TESTS = CORPORA / "toolrampart" / "tests"
EXAMPLES = CORPORA / "toolrampart" / "examples"

pytestmark = needs_corpora

UNDECIDABLE = {
    "test_core.py::test_scope_approval_redaction_and_audit (audit contents, data)":
        "the audit rows and the returned data come from running the body and the audit store",
    "test_core.py::test_approval_workflow_requires_matching_approved_request (after approve)":
        "approving creates state in the approval store (an approval id bound to a hash of the arguments); the "
        "call model has no approval id",
    "test_core.py::test_custom_policy_can_deny_execution":
        "the denial comes from a `@policy(lambda ...)` that policyc does not run: the evaluator answers unknown",
    "test_core.py::test_timeout_and_retries (statuses)":
        "success after two raised exceptions and a timeout of a sleeping body depend on running the bodies; "
        "the 0.05 s default is a ToolRampart(...) constructor argument, not a decorator or config",
    "test_core.py::test_idempotency_replays_completed_result (replay, conflict)":
        "replays and conflicts come from the idempotency store's state; the call model has no key",
    "test_core.py::test_subprocess_isolation_runs_and_can_timeout":
        "the tools are registered by calls (`shield.tool(isolated_process(f), ...)`), not decorators, and the "
        "outcomes depend on running them in a subprocess",
    "test_core.py::test_api_key_hashing_and_migration_status": "hashing and SQLite migrations, not decisions",
    "test_core.py::test_telemetry_noops_without_sdk": "telemetry, not decisions",
    "test_app.py::test_api_exports_mcp_style_tool_metadata": "the MCP export format (mcp.py), not decisions",
    "test_app.py::test_jwks_authenticator_accepts_rs256_token":
        "RS256 signature verification needs a crypto library; the REST model answers unknown for JWKS",
    "test_app.py::test_approval_endpoints_dashboard_and_metrics (approve, dashboard, metrics)":
        "approval store state and HTML/metrics rendering",
    "test_app.py::test_api_accepts_idempotency_key_header (replay, conflict)": "idempotency store state",
    "test_app.py::test_api_lists_and_invokes_tools (audit count)": "audit store contents",
}


def tools_of(test_file: str, test_name: str) -> str:
    """A module holding the tools ``test_name`` defines (decorated nested
    functions), with the test file's imports from toolrampart."""
    source = (TESTS / test_file).read_text("utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    head = [ast.get_source_segment(source, n) for n in tree.body
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("toolrampart")]
    test = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == test_name)
    parts = []
    for node in ast.walk(test):
        if isinstance(node, ast.FunctionDef) and node is not test and node.decorator_list:
            start = min(d.lineno for d in node.decorator_list)
            parts.append(textwrap.dedent("\n".join(lines[start - 1:node.end_lineno])))
    return "\n".join(head) + "\n\n\n" + "\n\n\n".join(parts) + "\n"


def loaded(tmp_path: Path, test_file: str, test_name: str):
    path = tmp_path / f"{test_name}.py"
    path.write_text(tools_of(test_file, test_name), "utf-8")
    result = load_paths([str(path)])
    assert not result.diagnostics, result.diagnostics
    return result


# (file, test, call, status, message or None) -- one call, fresh state
SINGLE_CALLS = [
    ("test_core.py", "test_scope_approval_redaction_and_audit",
     {"tool": "refund_user", "arguments": {"user_id": "u_1", "amount": 100, "email": "a@example.com",
                                           "api_key": "secret"}, "actor": "agent"},
     "denied", "missing required scope: billing.refund"),
    ("test_core.py", "test_scope_approval_redaction_and_audit",
     {"tool": "refund_user", "arguments": {"user_id": "u_1", "amount": 700, "email": "a@example.com",
                                           "api_key": "secret"}, "actor": "agent", "scopes": ["billing.refund"]},
     "requires_approval", "amount exceeds 500"),
    ("test_core.py", "test_scope_approval_redaction_and_audit",
     {"tool": "refund_user", "arguments": {"user_id": "u_1", "amount": 700, "email": "a@example.com",
                                           "api_key": "secret"}, "actor": "agent", "scopes": ["billing.refund"],
      "approved": True},
     "success", None),
    ("test_core.py", "test_validation_prevents_execution",
     {"tool": "multiply", "arguments": {"count": "not-an-int"}}, "validation_error", None),
    ("test_core.py", "test_approval_workflow_requires_matching_approved_request",
     {"tool": "refund", "arguments": {"amount": 700}, "actor": "agent"}, "requires_approval", "amount exceeds 500"),
    ("test_core.py", "test_wildcard_scopes_grant_prefixed_access",
     {"tool": "refund", "scopes": ["billing.*"]}, "success", None),
    ("test_core.py", "test_idempotency_replays_completed_result",
     {"tool": "create_refund", "arguments": {"amount": 10}, "actor": "agent"}, "success", None),
    ("test_core.py", "test_custom_policy_can_deny_execution",
     {"tool": "refund", "arguments": {"amount": 101}}, "unknown", None),
]


@pytest.mark.parametrize(("test_file", "test_name", "call", "status", "message"), SINGLE_CALLS,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(SINGLE_CALLS)])
def test_single_call_outcome(tmp_path, test_file, test_name, call, status, message) -> None:
    outcome = decide(loaded(tmp_path, test_file, test_name), call)
    assert outcome.status == status, outcome
    if message is not None:
        assert outcome.message == message


def test_approval_request_holds_validated_arguments(tmp_path) -> None:
    """test_approval_workflow_requires_matching_approved_request: the pending
    request's arguments are ``{"amount": 700.0}`` (validated: the int became a float)."""
    result = loaded(tmp_path, "test_core.py", "test_approval_workflow_requires_matching_approved_request")
    outcome = decide(result, {"tool": "refund", "arguments": {"amount": 700}, "actor": "agent"})
    assert outcome.arguments == {"amount": 700.0} and isinstance(outcome.arguments["amount"], float)


def test_rate_limit_is_per_tool_and_actor(tmp_path) -> None:
    """test_core.py::test_rate_limit_is_per_tool_and_actor, as one session."""
    session = Session(loaded(tmp_path, "test_core.py", "test_rate_limit_is_per_tool_and_actor"))
    agent = {"tool": "ping", "actor": "agent"}
    got = [session.decide({**agent, "arguments": {"message": m}}) for m in ("one", "two", "three")]
    assert [o.status for o in got] == ["success", "success", "rate_limited"]
    assert "2/hour/user" in got[2].message
    assert session.decide({"tool": "ping", "arguments": {"message": "fresh"}, "actor": "other"}).status == "success"


def test_tool_schema_uses_function_signature(tmp_path) -> None:
    """test_core.py::test_tool_schema_uses_function_signature: the schema facts."""
    (tool,) = loaded(tmp_path, "test_core.py", "test_tool_schema_uses_function_signature").tools
    assert tool.description == "Send a message."
    assert {n for n, _, default in tool.inputs if default is None} == {"user_id", "body"}
    assert dict((n, d.value) for n, _, d in tool.inputs if d is not None) == {"urgent": False}
    assert tool.side_effects.idempotent is True
    assert tool.function.returns == "dict"


def test_redaction_and_retries_facts(tmp_path) -> None:
    """The redaction set of test_scope_approval_redaction_and_audit and the
    attempts of test_timeout_and_retries's ``flaky`` (``max_retries(2)``: 3)."""
    (refund,) = loaded(tmp_path, "test_core.py", "test_scope_approval_redaction_and_audit").tools
    assert refund.redact == {"api_key", "email"}
    result = loaded(tmp_path, "test_core.py", "test_timeout_and_retries")
    assert decide(result, {"tool": "flaky"}).attempts == 3


def _config(tmp_path, text: str) -> dict:
    config, diagnostics = read_config_text(str(tmp_path / "toolrampart.toml"), text.encode())
    assert config is not None and config.valid and not [d for d in diagnostics if d.code in ("PC603", "PC604")]
    return config.settings


def test_api_lists_and_invokes_tools(tmp_path) -> None:
    """test_app.py::test_api_lists_and_invokes_tools: ``create_app(shield)``
    (no auth): 403 denied, then 200 with the scope from the body."""
    result = loaded(tmp_path, "test_app.py", "test_api_lists_and_invokes_tools")
    body = {"arguments": {"user_id": "u_1", "body": "hello"}, "actor": "agent"}
    denied = decide_request(result, DEFAULTS, "send_message", {}, body)
    assert (denied.status, denied.http_status) == ("denied", 403)
    invoked = decide_request(result, DEFAULTS, "send_message", {}, {**body, "scopes": ["messages.send"]})
    assert (invoked.status, invoked.http_status) == ("success", 200)


def test_api_uses_auth_principal_instead_of_request_body(tmp_path) -> None:
    """test_app.py::test_api_uses_auth_principal_instead_of_request_body, with
    the authenticator written as the config ``authenticator_from_config`` reads."""
    result = loaded(tmp_path, "test_app.py", "test_api_uses_auth_principal_instead_of_request_body")
    settings = _config(tmp_path, '[auth]\nrequired = true\n[auth.api_keys]\n'
                                 'secret = { actor = "trusted-agent", scopes = ["messages.send"] }\n')
    args = {"user_id": "u_1", "body": "hello"}
    unauthorized = decide_request(result, settings, "send_message", {},
                                  {"arguments": args, "actor": "untrusted", "scopes": ["messages.send"]})
    assert (unauthorized.status, unauthorized.http_status) == ("refused", 401)
    invoked = decide_request(result, settings, "send_message", {"Authorization": "Bearer secret"},
                             {"arguments": args, "actor": "spoofed", "scopes": []})
    assert (invoked.status, invoked.http_status) == ("success", 200)


def _pbkdf2(secret: str, salt: str, iterations: int = 1000) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.urlsafe_b64encode(digest).decode()}"


def test_api_accepts_hashed_api_key_with_rotation(tmp_path) -> None:
    """test_app.py::test_api_accepts_hashed_api_key_with_rotation: the inactive
    key is refused (401), the current one accepted (200)."""
    result = loaded(tmp_path, "test_app.py", "test_api_accepts_hashed_api_key_with_rotation")
    settings = _config(tmp_path, (
        '[auth]\nrequired = true\n[auth.hashed_api_keys]\n'
        f'old = {{ actor = "old-agent", scopes = ["billing.*"], hash = "{_pbkdf2("old-secret", "s1")}", active = false }}\n'
        f'current = {{ actor = "rotated-agent", scopes = ["billing.*"], hash = "{_pbkdf2("current-secret", "s2")}" }}\n'))
    old = decide_request(result, settings, "refund",
                         {"Authorization": "Bearer old-secret", "X-ToolRampart-Key-Id": "old"}, {})
    assert (old.status, old.http_status) == ("refused", 401)
    current = decide_request(result, settings, "refund",
                             {"Authorization": "Bearer current-secret", "X-ToolRampart-Key-Id": "current"}, {})
    assert (current.status, current.http_status) == ("success", 200)


def _hs256(payload: dict, secret: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_jwt_authenticator_accepts_signed_scopes(tmp_path) -> None:
    """test_app.py::test_jwt_authenticator_accepts_signed_scopes: 200."""
    result = loaded(tmp_path, "test_app.py", "test_jwt_authenticator_accepts_signed_scopes")
    settings = _config(tmp_path, '[auth]\nrequired = true\njwt_secret = "test-secret"\n')
    token = _hs256({"sub": "jwt-agent", "scope": "messages.send", "exp": 4102444800}, "test-secret")
    outcome = decide_request(result, settings, "send_message", {"Authorization": f"Bearer {token}"},
                             {"arguments": {"user_id": "u_1"}})
    assert (outcome.status, outcome.http_status) == ("success", 200)
    forged = _hs256({"sub": "jwt-agent", "scope": "messages.send"}, "other-secret")
    refused = decide_request(result, settings, "send_message", {"Authorization": f"Bearer {forged}"},
                             {"arguments": {"user_id": "u_1"}})
    assert (refused.status, refused.http_status) == ("refused", 401)


def test_jwks_is_unknown(tmp_path) -> None:
    """test_app.py::test_jwks_authenticator_accepts_rs256_token is not decidable:
    the REST model says so instead of guessing."""
    result = loaded(tmp_path, "test_app.py", "test_jwks_authenticator_accepts_rs256_token")
    settings = _config(tmp_path, '[auth]\nrequired = true\njwt_jwks_url = "https://idp.example/jwks"\n')
    outcome = decide_request(result, settings, "send_message", {"Authorization": "Bearer a.b.c"}, {})
    assert outcome.status == "unknown"


def test_approval_endpoint_first_call(tmp_path) -> None:
    """test_app.py::test_approval_endpoints_dashboard_and_metrics: the first
    call is held for approval (202)."""
    result = loaded(tmp_path, "test_app.py", "test_approval_endpoints_dashboard_and_metrics")
    outcome = decide_request(result, DEFAULTS, "dangerous", {}, {"actor": "agent"})
    assert (outcome.status, outcome.http_status, outcome.message) == ("requires_approval", 202,
                                                                      "approval is required")


def test_idempotency_header_first_call(tmp_path) -> None:
    """test_app.py::test_api_accepts_idempotency_key_header: the first call runs (200)."""
    result = loaded(tmp_path, "test_app.py", "test_api_accepts_idempotency_key_header")
    outcome = decide_request(result, DEFAULTS, "create_ticket", {"Idempotency-Key": "ticket-1"},
                             {"arguments": {"title": "hello"}, "actor": "agent"})
    assert (outcome.status, outcome.http_status) == ("success", 200)


def test_example_modules_import() -> None:
    """test_examples.py::test_example_modules_import: every example module
    imports, so policyc reports no PC601 or PC602 for any of them."""
    modules = sorted(EXAMPLES.glob("*.py"))
    assert len(modules) == 7
    result = load_paths([str(p) for p in modules])
    assert [d for d in result.diagnostics if d.code in ("PC601", "PC602")] == []
    assert len(result.modules) == 7


def test_every_corpus_test_is_accounted_for() -> None:
    """Each test function of ToolRampart's test files is reproduced here or
    listed in UNDECIDABLE."""
    here = Path(__file__).read_text("utf-8")
    for test_file in ("test_core.py", "test_app.py", "test_examples.py"):
        tree = ast.parse((TESTS / test_file).read_text("utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                assert node.name in here, f"{test_file}::{node.name} is neither reproduced nor listed"
