"""The tool vocabulary policyc knows, and which fields each tool's calls
carry.

The spec extracts fields from parameter names, not tool names (spec §2), so
this table is a convention, not a rule of the engine: it is what the Rampart
and OpenClaw agents send and what the corpora's test cases show (``exec``
calls carry ``command``; ``read``/``write``/``edit`` carry ``path``;
``fetch``/``web_fetch``/``browser`` carry ``url``). Checks built on it
(PC106, PC107) only speak about tools listed here.
"""

from __future__ import annotations

from policyc.ir import Field

#: Fields whose value comes from the command (spec §1, §2).
_EXEC = frozenset({Field.COMMAND, Field.ENV_ASSIGNMENT})
_FILE = frozenset({Field.PATH})
_WEB = frozenset({Field.URL, Field.DOMAIN})

#: Tool name -> the fields its calls carry (tools with no listed field
#: carry none of command, path, url or domain).
CARRIES: dict[str, frozenset[Field]] = {
    "exec": _EXEC, "bash": _EXEC,
    "read": _FILE, "write": _FILE, "edit": _FILE,
    "fetch": _WEB, "web_fetch": _WEB, "browser": _WEB,
}

#: Every tool name the agents policyc knows send (Rampart, OpenClaw).
KNOWN_TOOLS: frozenset[str] = frozenset(CARRIES) | {
    "web_search", "mcp", "mcp-dangerous", "mcp-destructive", "message", "memory", "canvas", "cron",
    "gateway", "nodes", "process", "agents_list", "subagents", "sessions_spawn", "sessions_list",
    "sessions_history", "sessions_yield", "session_status",
}

#: Fields the table speaks about (others, such as session, are carried by every call).
TOOL_FIELDS = _EXEC | _FILE | _WEB
