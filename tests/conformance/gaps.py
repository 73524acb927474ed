"""Disagreements with the engine that policyc knows it does not model yet.

One gap is left open (issue 10): the engine's cmd.exe and PowerShell
readings of an exec command (``matcher.go`` ``matchRestrictiveAlternateCommandFirst``,
``matchRestrictiveCommandDialectFirst``, ``looksLikeCmdWrapper`` /
``looksLikePowerShellWrapper``, and the cmd/PowerShell forms of
``commandEnvAssignmentNames``). The engine tries them when a command names
``cmd``/``cmd.exe``/``powershell``/``pwsh`` as a word, holds ``^``, ``&>``, a
backtick, or a quote together with ``&`` or ``|``, or assigns a variable the
cmd/PowerShell way (``set X=``, ``$env:X``, ``Set-Item env:X``,
``[Environment]::SetEnvironmentVariable``); it then matches case-insensitively.
A disagreement on such a call is counted as this gap, not as a failure; the
tests still fail on every other disagreement, and the report prints both.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

DIALECTS = "cmd.exe/PowerShell readings (not modelled; issue 10)"

_WRAPPER = re.compile(r"(?i)(?:^|[^a-z0-9_.-])(?:cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe)(?=$|[\s\"'/])")
_ENV_FORMS = re.compile(r"(?i)\$env:|(?:^|[\s;&|(])setx?\s|\[environment\]::|\b(?:set|new)-item\s+(?:-path\s+)?env:")


def _command(call: Mapping[str, Any]) -> str:
    """Every string an exec alias holds (params and input), joined."""
    texts = []
    for source in (call.get("params") or {}, call.get("input") or {}):
        if isinstance(source, Mapping):
            for key in ("command", "cmd", "input"):
                if isinstance(source.get(key), str):
                    texts.append(source[key])
    return "\n".join(texts)


def known_gap(call: Mapping[str, Any]) -> str | None:
    """The name of the known gap a call falls in, or None."""
    if not isinstance(call, Mapping) or str(call.get("tool", "")).strip().lower() != "exec":
        return None
    command = _command(call)
    if not command:
        return None
    if _WRAPPER.search(command) or _ENV_FORMS.search(command):
        return DIALECTS
    if "^" in command or "&>" in command or "`" in command:
        return DIALECTS
    if "'" in command and ("&" in command or "|" in command):
        return DIALECTS
    return None
