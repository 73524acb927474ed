"""The ``policyc`` command line. Commands stay thin: they load, call a stage,
and render.

Exit status (every command): 0 clean, 1 findings at or above ``--fail-on`` (or
failing test cases), 2 usage, I/O or internal error. No traceback reaches the
user: an unexpected exception is reported as an internal error (exit 2).
When standard output is a pipe its reader closed (``policyc check | head``),
the command stops quietly with status 141 (128 + SIGPIPE, what a Unix tool
killed by SIGPIPE reports; never 0, so a cut pipeline cannot pass as clean).
Behaviour common to the commands: docs/cli.md.
"""

from __future__ import annotations

import errno
import functools
import gc
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from policyc import __version__
from policyc.config import ConfigError, resolve_config
from policyc.dialects.registry import by_name, commands_of, discovered, partition
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.diagnostics.render import json_document, print_text, printable
from policyc.loader import expand, load_policy_set, over_source_budget
from policyc.passes import run_passes
from policyc.suppress import apply_suppressions

if TYPE_CHECKING:
    from policyc.testing import FileResult

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: Standard output's reader went away: 128 + SIGPIPE, as a shell reports a tool SIGPIPE ended.
EXIT_BROKEN_PIPE = 128 + getattr(signal, "SIGPIPE", 13)
NO_FILES = "no policy files found under the given path(s)"


def default_policy() -> str:
    """Path of the embedded default policy (``stdlib_policies/standard.yaml``)."""
    from importlib import resources

    shipped = resources.files("policyc").joinpath("stdlib_policies", "standard.yaml")
    if shipped.is_file():
        return str(shipped)
    return str(Path(__file__).resolve().parents[1] / "stdlib_policies" / "standard.yaml")


def _guarded(fn: Callable) -> Callable:
    """Map I/O errors and unexpected exceptions to exit 2 with a message, and
    a closed standard output to a quiet exit 141 (``EXIT_BROKEN_PIPE``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            try:
                return fn(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a broken pipe shows here, not in the interpreter's last flush
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            _err(f"error: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}")
        except RecursionError:
            _err("error: input nests too deeply to process")
        except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
            _err(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        sys.exit(EXIT_ERROR)

    return wrapper


# rich is imported only when something is printed with it (a clean
# `check` prints nothing): Console, Text and _Console build its objects.


def Console(*args, **kwargs):  # noqa: N802 - stands for rich.console.Console
    from rich.console import Console as RichConsole

    return RichConsole(*args, **kwargs)


def Text(*args, **kwargs):  # noqa: N802 - stands for rich.text.Text
    from rich.text import Text as RichText

    return RichText(*args, **kwargs)


def _Console(*args, **kwargs):  # noqa: N802 - a class before rich was imported lazily
    """Standard output's rich console: a closed pipe raises BrokenPipeError
    for ``_guarded`` to handle (rich itself would exit 1, which reads as
    "findings")."""
    return _console_class()(*args, **kwargs)


@functools.cache
def _console_class() -> type:
    from rich.console import Console as RichConsole

    class BrokenPipeConsole(RichConsole):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return BrokenPipeConsole


def _silence_stdout() -> None:
    """Point standard output at the null device (the Python documentation's
    recipe for EPIPE), so nothing more is written to the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def _err(message: str) -> None:
    _Console(stderr=True, soft_wrap=True).print(Text(printable(message), style="bold red"), highlight=False)


def _warn(message: str) -> None:
    _Console(stderr=True, soft_wrap=True).print(Text(f"warning: {printable(message)}", style="bold yellow"),
                                               highlight=False)


def _policy_files(paths: list[str], *, only_policies: bool = False, verbose: bool = False) -> list[str]:
    """The files ``paths`` name, directories expanded (``loader.expand``),
    each once: by real path, in first-seen order and spelling. With
    ``only_policies``, YAML that is positively not a policy or
    suite (``policyc.recognise``) is dropped, named on stderr when
    ``verbose``. Raises ``FileNotFoundError`` for a missing path."""
    seen: set[str] = set()
    files = []
    others = [found for raw in paths if os.path.isdir(raw) for found in discovered(raw)]
    for path in expand(paths) + others:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)
    if not only_policies:
        return files
    from policyc.recognise import is_policy_file

    kept = []
    for path in files:
        if is_policy_file(path):
            kept.append(path)
        elif verbose:
            _warn(f"skipped {path}: not a policy or suite file of any dialect policyc reads")
    return kept


_ONLY_POLICIES = click.option(
    "--only-policies", is_flag=True,
    help="Skip YAML files that are not Rampart policies or suites (a top-level mapping without "
         "version: \"1\", policies, default_action, notify, tests or policy; what the pre-commit hooks "
         "pass). Files that cannot be told apart, broken or empty ones included, are still checked.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policyc")
def main() -> None:
    """policyc: a policy compiler and linter for AI-agent tool-call firewalls.

    It reads Rampart policy files with exact source positions, reports every
    load error and structural mistake with a check ID (PC0xx), and runs the
    policies' test cases with a reference evaluator of the Rampart semantics.
    Run `policyc COMMAND --help` for each command. Check documentation:
    docs/checks/<CODE>.md.
    """
    # A run builds large acyclic trees (YAML nodes, IR, automata) and ends:
    # collecting cycles every 700 allocations spent a third of the loading time.
    gc.set_threshold(50_000, 20, 20)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True,
              help="Output format: text for people, json, sarif (SARIF 2.1.0 for code scanning), or github "
                   "(GitHub Actions annotations).")
@click.option("--project", type=click.Path(), help="A project-tier policy (like .rampart/policy.yaml) to check too.")
@click.option("--global", "global_", type=click.Path(), multiple=True,
              help="Global policy files the project tier is merged onto (checked too).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit status 1 [default: the configuration's fail-on, else error].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Read this configuration file instead of searching for policyc.toml or pyproject.toml "
                   "([tool.policyc]) from the current directory upwards.")
@click.option("--no-config", is_flag=True, help="Ignore every configuration file.")
@click.option("-v", "--verbose", is_flag=True, help="Print a summary even when clean.")
@click.option("--timings", is_flag=True, help="Print the time each analysis pass took (seconds) to stderr.")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the on-disk cache of grammar tables and automata "
                   "(also POLICYC_NO_CACHE=1; docs/configuration.md). Findings are the same either way.")
@_ONLY_POLICIES
@_guarded
def check(paths, fmt, project, global_, fail_on, config_path, no_config, verbose, timings, no_cache,
          only_policies):
    """Check policy files for load errors and structural mistakes.

    PATHS are policy files or directories of them (default: the embedded
    standard policy); a file named twice (or through a link) is checked
    once. PATHS that hold no policy file get a warning on stderr and exit
    0, as ruff does for "no files". Findings can be silenced inline with
    `# policyc: ignore[PC007] reason` on the finding's line or its rule's
    first line, and per project in policyc.toml or [tool.policyc] of
    pyproject.toml (docs/configuration.md); an unused suppression is
    reported as PC024. Exit 0 when clean, 1 when a finding is at or above
    --fail-on, 2 on usage, configuration or I/O errors.
    """
    if config_path and no_config:
        raise click.UsageError("--config and --no-config exclude each other")
    if no_cache:
        from policyc import diskcache

        previous = diskcache.disable()
        click.get_current_context().call_on_close(lambda: diskcache.disable(previous))
    try:
        config = resolve_config(config_path, disabled=no_config)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)  # unwrapped: the message leads with file:line:col
        sys.exit(EXIT_ERROR)
    if paths or global_:
        files = _policy_files(list(paths) + list(global_), only_policies=only_policies, verbose=verbose)
        if not files:
            _warn(NO_FILES)
    else:
        files = [default_policy()]
    # Sizes first: a run over the source budget reads nothing, not even to tell dialects apart.
    over = over_source_budget(files + ([project] if project else []), config.budget.source_bytes)
    rampart_files, other_dialects = (files, {}) if over else partition(files)
    # Measured once above: the loader only has to carry out a refusal.
    loaded = load_policy_set(rampart_files, project=project, source_bytes=config.budget.source_bytes if over else None)
    stages: list | None = [] if timings else None
    diagnostics = loaded.diagnostics + run_passes(loaded, timings=stages, fmt=fmt, limits=config.budget)
    for name, group in other_dialects.items():
        diagnostics += by_name(name).check_paths(group)
    diagnostics.sort(key=Diagnostic.sort_key)
    checked = len(loaded.files) + sum(map(len, other_dialects.values()))
    for stage in stages or ():
        click.echo(f"pass {stage.name:<18} {stage.seconds:8.3f} s  {stage.findings} finding(s)", err=True)
    diagnostics = apply_suppressions(diagnostics, loaded.files, config)
    verified = _verify_tiers(loaded) if global_ and loaded.ok else 0
    if fmt == "json":
        click.echo(json.dumps(json_document(diagnostics, checked), indent=2))
    elif fmt == "sarif":
        from policyc.diagnostics.sarif import sarif_document

        click.echo(json.dumps(sarif_document(diagnostics), indent=2))
    elif fmt == "github":
        from policyc.diagnostics.github import annotations

        click.echo(annotations(diagnostics), nl=False)
    else:
        if diagnostics or verbose:  # else print_text prints nothing
            print_text(_Console(soft_wrap=True), diagnostics, checked, verbose=verbose)
        if verified:
            click.echo(f"project tier: {verified} candidate calls, none decided less restrictively than the "
                       "global policy alone (spec §3.5)")
    threshold = Severity(fail_on or (config.fail_on.value if config.fail_on else "error")).rank
    sys.exit(EXIT_FINDINGS if any(d.severity.rank >= threshold for d in diagnostics) else EXIT_OK)


def _verify_tiers(loaded) -> int:
    """The candidate calls on which the merged set was compared with the
    global set alone (spec §3.5, :func:`policyc.diff.verify_no_weakening`);
    0 without both tiers."""
    from policyc.diff import verify_no_weakening
    from policyc.ir import Tier

    if loaded.global_set is None or not any(f.tier is Tier.PROJECT for f in loaded.files):
        return 0
    return verify_no_weakening(loaded.global_set, loaded.policy_set,
                               extra_calls=[c.call for f in loaded.files for c in f.tests])


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--project", type=click.Path(), help="A project-tier policy merged onto each tested policy.")
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="The directory tree a suite's `policy:` may name files in [default: the repository "
                   "checkout holding the suite (nearest directory with .git), else the suite's directory].")
@_ONLY_POLICIES
@_guarded
def test(paths, fmt, project, verbose, root, only_policies):
    """Run the test cases of policy files and suite files.

    PATHS are policies with inline `tests:` or suite files (`policy:` plus
    `tests:`), or directories of them (default: the embedded standard policy);
    each file runs once however often it is named. Every case is decided by
    the reference evaluator and by the compiled bundle runtime; a
    disagreement between them fails the case.

    Suites are untrusted input: a suite's `policy:` is read only when its
    real path (links resolved) lies inside --root, by default the repository
    checkout holding the suite; any other is refused (PC021 on the `policy:`
    line) without being opened, and no line of a file outside the root (but
    --project) is ever printed. Exit 1 when a case fails or a file cannot be loaded, 0
    with a warning when PATHS hold no policy file.
    """
    from policyc.testing import run_file, suite_root

    if paths:
        files = _policy_files(list(paths), only_policies=only_policies, verbose=verbose)
        if not files:
            _warn(NO_FILES)
    else:
        files = [default_policy()]
    files, others = partition(files)
    for name, group in others.items():
        _warn(f"{len(group)} {name} file(s) skipped: they hold no test cases of their own; a suite file "
              "(`policy:` naming them, `tests:`) does (docs/dialects.md)")
    results = [run_file(f, project=project, root=root or suite_root(f)) for f in files]
    cases = [c for r in results for c in r.cases]
    failed = sum(not c.passed for c in cases)
    broken = [r for r in results if r.diagnostics and not r.cases]
    if fmt == "json":
        doc = {
            "cases": [c.to_json() for c in cases],
            "passed": len(cases) - failed,
            "failed": failed,
            "diagnostics": [d.to_json() for r in results for d in r.diagnostics],
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_test_text(results, verbose, project)
    sys.exit(EXIT_FINDINGS if failed or broken else EXIT_OK)


def _load_clean(paths: list[str], project: str | None, *, load_error_exit: int = EXIT_FINDINGS):
    """Load a policy set from ``paths`` (each file once, see
    ``_policy_files``). Exits 2 when they hold no policy file (a set of
    nothing would silently decide every call by the default), and
    ``load_error_exit`` after printing the errors when a file has load
    errors."""
    files = _policy_files(paths)
    if not files:
        _err(f"error: {NO_FILES}: {' '.join(paths)}")
        sys.exit(EXIT_ERROR)
    loaded = load_policy_set(files, project=project)
    if not loaded.ok:
        errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
        print_text(_Console(stderr=True, soft_wrap=True), sorted(errors, key=Diagnostic.sort_key),
                   len(loaded.files))
        sys.exit(load_error_exit)
    return loaded


def _write_output(output: str, data: bytes, inputs: list[str], what: str) -> None:
    """Write a command's output file: ``-`` is standard output, anything
    else goes through ``policyc.atomicfile.write_atomic`` (which refuses an
    input, a non-regular file, a read-only file or a link to anything but a
    regular file), and the real path written is named on stderr. Raises
    ``OSError`` (``OutputError`` for a refusal)."""
    from policyc.atomicfile import write_atomic

    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    written = write_atomic(output, data, inputs=inputs)
    _Console(stderr=True, soft_wrap=True).print(Text(printable(f"wrote {written} ({what})")), highlight=False)


def _check_output(output: str, inputs: list[str]) -> None:
    """Refuse a bad output path before any work (see ``_write_output``)."""
    from policyc.atomicfile import output_target

    if output != "-":
        output_target(output, inputs=inputs)


_OUTPUT_RULES = (
    "OUT may be `-` (standard output), a new file, or a regular file you may write, which is "
    "replaced atomically keeping its mode. A symbolic link is followed and its target replaced "
    "(the real path is named) only when that target is a regular file. A directory, device, FIFO, "
    "read-only file or input file is refused (exit 2). Temporary files are .policyc-*.tmp beside OUT, "
    "removed on SIGTERM/SIGINT/SIGHUP. Details: docs/cli.md.")


def _sources(loaded) -> dict[str, bytes]:
    """The Rampart files' bytes by path, for a bundle manifest. Raises ``OSError``."""
    from policyc.sources import file_bytes

    return file_bytes([f.path for f in loaded.files])


def _dialect_commands(files: list[str], command: str):
    """The ``commands`` module of the registered dialect whose files
    ``files`` (``_policy_files``) are, or ``None`` for Rampart's (also when
    there are none, which the Rampart path reports). ``UsageError`` when
    they mix dialects."""
    rampart_files, others = partition(files)
    kinds = sorted({*others, *(["rampart"] if rampart_files else [])})
    if len(kinds) > 1:
        raise click.UsageError(f"{command} reads the policies of one dialect at a time: these files are "
                               + ", ".join(kinds))
    return commands_of(by_name(kinds[0])) if others else None


def _load_dialect(commands, paths: list[str], project: str | None, command: str, *,
                  load_error_exit: int = EXIT_FINDINGS):
    """The files ``paths`` name, loaded by the dialect ``commands`` (a
    toolkit directory is read as the toolkit's engine reads it;
    docs/dialects.md). ``UsageError`` with ``--project`` (a Rampart tier);
    exits ``load_error_exit`` after printing the errors when the dialect's
    runtime would not load them."""
    if project is not None:
        raise click.UsageError(f"--project is a Rampart tier: {command} of {commands.NAME} policies takes none")
    result = commands.load(paths)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        print_text(_Console(stderr=True, soft_wrap=True), sorted(errors, key=Diagnostic.sort_key),
                   len(result.files))
        sys.exit(load_error_exit)
    return result


@main.command(name="compile", epilog=_OUTPUT_RULES)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, metavar="OUT", type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the bundle (atomically; see below).")
@click.option("--project", type=click.Path(), help="A project-tier policy merged onto the global ones.")
@_guarded
def compile_(paths, output, project):
    """Compile policy files into a deterministic matcher bundle.

    PATHS (files or directories) form one policy set of one dialect:
    Rampart policies, OpenClaw toolkit agent policies (a directory read as
    the toolkit's engine reads it) or ToolRampart tool modules and configs
    (docs/dialects.md). The bundle is canonical
    JSON with a manifest (format version, compiler version, sha256 of each
    source) and a payload digest; compiling the same sources twice gives
    byte-identical output. Format: docs/bundle-format.md. Exit 1 when a
    policy has load errors (for the other dialects: when their runtime would
    not load the files), 2 on usage or I/O errors (a refused OUT, PATHS without a
    policy file, mixed dialects).
    """
    from policyc.codegen.bundle import compile_policy_set

    files = _policy_files(list(paths))
    _check_output(output, files + ([project] if project else []))
    commands = _dialect_commands(files, "compile")
    if commands is not None:
        result = _load_dialect(commands, list(paths), project, "compile")
        data = commands.compile_bundle(result)
        _write_output(output, data, result.files, f"{len(data)} bytes, {commands.summary(result)}")
        return
    loaded = _load_clean(list(paths), project)
    data = compile_policy_set(loaded.policy_set, _sources(loaded))
    _write_output(output, data, [f.path for f in loaded.files],
                  f"{len(data)} bytes, {len(loaded.policy_set.policies)} policies")


@main.command(name="eval")
@click.argument("sources", nargs=-1, required=True, type=click.Path())
@click.option("--engine", type=click.Choice(["bundle", "reference"]), default="bundle", show_default=True,
              help="Decide with the compiled bundle runtime or the reference evaluator.")
@click.option("--project", type=click.Path(), help="A project-tier policy (policy files only).")
@_guarded
def eval_(sources, engine, project):
    """Decide tool calls read as JSON lines on stdin; one output line per input line.

    SOURCES is one bundle file (*.json) or policy files/directories (compiled
    in memory, unless --engine reference). --project adds a project-tier
    policy to policy files; a bundle already includes its project tier, so
    --project with a bundle is a usage error (compile with --project
    instead). A call is {"tool", "params", "input"?, "agent"?, "session"?,
    "agent_depth"?, "workdir"?, "response"?}.

    OpenClaw toolkit agent policies, and their bundles (docs/dialects.md),
    decide calls {"agent", "action", "context"?}: the decision JSON is
    {"action": allow|deny|escalate, "message": the engine's reason,
    "dialect": "openclaw-toolkit"}, or, where the engine throws, {"action":
    "deny", "error": "the engine throws: MESSAGE", "dialect": ...}.
    ToolRampart tool modules and their bundles decide calls {"tool",
    "arguments", "actor"?, "scopes"?, "approved"?, "metadata"?, "history"?}:
    {"action": allow|ask|deny, "status": ToolRampart's status (success,
    requires_approval, denied, rate_limited, validation_error, ...),
    "message", "dialect": "toolrampart"}, rate limits counted across the
    stream as one runtime counts them. Both engines give the same lines.

    Output line N answers input line N: the decision JSON plus "line": N, or,
    when the line is not a call that can be decided, {"action": "deny",
    "error": "line N: REASON", "line": N}; the stream goes on either way. Such
    error lines are: a blank line; a line over 1 MiB (1048576 bytes, without
    its newline) or nesting arrays/objects deeper than 64 levels (both checked
    before parsing); invalid UTF-8; invalid JSON; a call of the wrong shape.
    Exit 0 once every line is answered, 1 or 2 when SOURCES cannot be used.
    """
    from policyc.runtime.jsonparse import MAX_CALL_BYTES, MAX_CALL_DEPTH, parse_json

    decide_json = _decider(list(sources), engine, project)
    stdin = sys.stdin.buffer  # bytes: invalid UTF-8 is one line's error, not the stream's
    number = 0
    while True:
        line = stdin.readline(MAX_CALL_BYTES + 1)
        if not line:
            break
        number += 1
        oversized = len(line) > MAX_CALL_BYTES and not line.endswith(b"\n")
        rest = line
        while oversized and rest and not rest.endswith(b"\n"):  # drop the rest unparsed, in pieces
            rest = stdin.readline(1 << 16)
        line = line.removesuffix(b"\n")
        try:
            if oversized:
                raise ValueError(f"line is over {MAX_CALL_BYTES} bytes")
            if not line.strip():
                raise ValueError("blank line (expected a JSON tool call)")
            out = {**decide_json(parse_json(line, max_depth=MAX_CALL_DEPTH)), "line": number}
        except ValueError as exc:
            out = {"action": "deny", "error": f"line {number}: {exc}", "line": number}
        except RecursionError:
            out = {"action": "deny", "error": f"line {number}: the call nests too deeply to decide", "line": number}
        except Exception as exc:  # noqa: BLE001 - one bad line must not end the stream
            out = {"action": "deny", "error": f"line {number}: internal error: {type(exc).__name__}: {exc}",
                   "line": number}
        click.echo(json.dumps(out, sort_keys=True))


def _decider(sources: list[str], engine: str, project: str | None):
    """A function from a decoded JSON call to its decision JSON, raising
    ``ValueError`` for a value that is not a Rampart call (both engines read
    those with ``ToolCall.from_mapping``; a toolkit decider never raises).
    Exits on a bundle that cannot be loaded (2) or policy load errors (1);
    ``UsageError`` for ``--engine reference`` or ``--project`` with a
    bundle, and for mixed dialects."""
    from policyc.evaluate import ToolCall, decide
    from policyc.runtime import BundleError, load_bundle

    if len(sources) == 1 and sources[0].endswith(".json"):
        if engine == "reference":
            raise click.UsageError("--engine reference needs policy files, not a bundle")
        if project is not None:
            raise click.UsageError("--project cannot be used with a bundle: a bundle already includes its "
                                   "project tier; compile with `policyc compile POLICIES --project P -o BUNDLE` "
                                   "instead")
        try:
            bundle = load_bundle(sources[0])
        except BundleError as exc:
            _err(f"error: {exc}")
            sys.exit(EXIT_ERROR)
        if bundle.dialect != "rampart":
            return lambda call: bundle.decide(call).to_json()
        return lambda call: bundle.decide(ToolCall.from_mapping(call)).to_json()
    commands = _dialect_commands(_policy_files(sources), "eval")
    if commands is not None:
        result = _load_dialect(commands, sources, project, "eval")
        if engine == "reference":
            return commands.reference(result)
        bundle = load_bundle(commands.compile_bundle(result))
        return lambda call: bundle.decide(call).to_json()
    loaded = _load_clean(sources, project)
    if engine == "reference":
        return lambda call: decide(loaded.policy_set, ToolCall.from_mapping(call)).to_json()
    from policyc.codegen.bundle import compile_policy_set

    bundle = load_bundle(compile_policy_set(loaded.policy_set, _sources(loaded)))
    return lambda call: bundle.decide(ToolCall.from_mapping(call)).to_json()


class _SplitAtDoubleDash(click.Command):
    """Keeps ``OLD... -- NEW...`` apart: click would drop the ``--``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            at = args.index("--")
            ctx.meta["policyc.new_paths"] = args[at + 1:]
            args = args[:at]
        return super().parse_args(ctx, args)


@main.command(name="diff", cls=_SplitAtDoubleDash)
@click.argument("old", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on-weaker", is_flag=True, help="Exit 1 when some call is decided less restrictively.")
@click.pass_context
@_guarded
def diff_(ctx, old, fmt, fail_on_weaker):
    """Show the tool calls two policy sets decide differently.

    `policyc diff OLD NEW` compares two files; `policyc diff OLD... -- NEW...`
    compares two sets (files or directories) of one dialect: Rampart
    policies, OpenClaw toolkit agent policies or ToolRampart tools.
    Candidate calls are built from every rule of both sets (Rampart: and
    their inline tests; toolkit: each agent's patterns, instantiated, and
    each condition's threshold, below, equal, above and missing;
    ToolRampart: each tool's signature, scopes, approval thresholds and
    rate limits); each reported change carries a witness call
    to replay with `policyc eval` (Rampart's are confirmed by the reference
    evaluator). Changes are grouped by (old rule, new rule); `weaker` marks
    a new decision less restrictive than the old (Rampart: deny > webhook >
    ask > watch > allow; toolkit: deny, escalate and an engine error alike >
    allow; ToolRampart: every refusal > requires_approval > success). The search is not exhaustive: no change found is not a proof of
    equivalence. Options go before `--`. Exit 1 with --fail-on-weaker when
    a weaker change exists, 2 on usage or load errors.
    """
    from policyc.diff import diff_sets

    new = ctx.meta.get("policyc.new_paths")
    if new is None:
        if len(old) != 2:
            raise click.UsageError("give OLD NEW, or OLD... -- NEW...")
        old, new = old[:1], old[1:]
    if not old or not new:
        raise click.UsageError("both sides of `--` need at least one path")
    commands = _dialect_commands(_policy_files(list(old)) + _policy_files(list(new)), "diff")
    if commands is not None:
        result = commands.diff(_load_dialect(commands, list(old), None, "diff", load_error_exit=EXIT_ERROR),
                               _load_dialect(commands, list(new), None, "diff", load_error_exit=EXIT_ERROR))
        describe = lambda decision: tuple(map(printable, commands.side(decision)))  # noqa: E731
    else:
        before = _load_clean(list(old), None, load_error_exit=EXIT_ERROR)
        after = _load_clean(list(new), None, load_error_exit=EXIT_ERROR)
        tests = [c.call for f in before.files + after.files for c in f.tests]
        result = diff_sets(before.policy_set, after.policy_set, extra_calls=tests)
        describe = _rampart_side
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        _print_diff(result, describe)
    sys.exit(EXIT_FINDINGS if fail_on_weaker and result.weaker else EXIT_OK)


def _rampart_side(decision) -> tuple[str, str]:
    """A Rampart decision's action and deciding rule (with its position)."""
    rule = decision.rule
    return str(decision.action), printable(rule.describe(located=True) if rule else "default action")


def _print_diff(result, describe: Callable[[object], tuple[str, str]]) -> None:
    """The text of a ``policyc.diff.Diff``; ``describe(decision)`` gives a
    decision's action and what decided it, as printable text."""
    console = _Console(soft_wrap=True)
    for change in result.changes:
        (old_action, old_why), (new_action, new_why) = describe(change.old), describe(change.new)
        mark = Text("weaker  ", style="bold red") if change.weaker else Text("stricter", style="bold yellow") \
            if change.stricter else Text("changed ", style="bold")
        mark.append(f" {old_action} -> {new_action}")
        for side, why in (("old", old_why), ("new", new_why)):
            mark.append(f"\n    {side}: {why}", style="dim")
        mark.append(f"\n    witness: {json.dumps(change.witness, sort_keys=True)}")
        if change.count > 1:
            mark.append(f" (+{change.count - 1} more)", style="dim")
        console.print(mark, highlight=False)
    weaker = len(result.weaker)
    console.print(Text(f"{len(result.changes)} change(s), {weaker} weaker, {result.candidates} candidate calls",
                       style="bold red" if weaker else "bold"), highlight=False)


@main.command(epilog=_OUTPUT_RULES)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--checklist", "checklists", multiple=True, metavar="NAME",
              help="Only this production checklist (repeatable): rampart, openclaw-toolkit, toolrampart. "
                   "Default: all.")
@click.option("--deployment", "deployments", multiple=True, type=click.Path(dir_okay=False),
              help="A deployment artifact (systemd unit, start script, crontab, sudoers, env file, "
                   "toolrampart.toml) that verifies operational items (repeatable).")
@click.option("--probes", "probe_files", multiple=True, type=click.Path(dir_okay=False),
              help="A YAML file of extra probe calls (same format as the shipped probes; repeatable).")
@click.option("--project", type=click.Path(), help="A project-tier policy merged onto the global ones.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json"]), default="text",
              show_default=True, help="Report format (markdown for PR comments, html for an audit file).")
@click.option("-o", "--output", metavar="OUT", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report here (atomically; see below) instead of standard output.")
@click.option("--fail-under", type=click.FloatRange(0, 1), metavar="SCORE",
              help="Exit 1 when the score (covered / verifiable items, 0..1) is below SCORE.")
@click.option("-v", "--verbose", is_flag=True, help="Text format: list needs-evidence and not-applicable rows too.")
@_guarded
def coverage(paths, checklists, deployments, probe_files, project, fmt, output, fail_under, verbose):
    """Report how far a policy set covers the OWASP Top 10 for Agentic
    Applications (2026) and the production checklists of Rampart, the
    OpenClaw Production Toolkit and ToolRampart.

    PATHS are policy files or directories (default: the embedded standard
    policy). Probe calls are decided by the compiled bundle; each row is
    covered, partial, uncovered, needs-evidence (what would settle it is
    named) or not-applicable, with the deciding rule and its location as
    evidence. OpenClaw toolkit agent policies and ToolRampart tools get
    their own checklist (and the OWASP rows) verified from the files
    themselves, each piece of evidence naming file:line:col and what the
    runtime really enforces (--probes and --project are Rampart's).
    Details: docs/coverage.md. Exit 0 when the report is produced,
    1 on policy load errors or a score under --fail-under, 2 on usage or I/O
    errors.
    """
    import io

    from policyc.coverage import ArtifactError, DataError, build_report
    from policyc.coverage.html import html_page
    from policyc.coverage.render import json_text, markdown, print_text as print_coverage

    if output == "-":
        output = None
    sources = list(paths) or [default_policy()]
    inputs = _policy_files(sources) + [project] * bool(project) + list(deployments) + list(probe_files)
    if output:
        _check_output(output, inputs)
    commands = _dialect_commands(_policy_files(sources), "coverage")
    if commands is not None and probe_files:
        raise click.UsageError(f"--probes are Rampart calls: coverage of {commands.NAME} policies takes none")
    try:
        if commands is not None:
            result = _load_dialect(commands, sources, project, "coverage")
            report = commands.coverage(result, checklists=list(checklists) or None, deployments=list(deployments))
        else:
            loaded = _load_clean(sources, project)
            report = build_report(loaded, _sources(loaded), checklists=list(checklists),
                                  deployments=list(deployments), probe_files=list(probe_files))
    except (DataError, ArtifactError) as exc:
        _err(f"error: {exc}")
        sys.exit(EXIT_ERROR)
    if fmt == "text" and not output:
        print_coverage(_Console(), report, verbose=verbose)
    elif fmt == "text":
        buffer = io.StringIO()
        print_coverage(Console(file=buffer, width=120), report, verbose=verbose)
        text = buffer.getvalue()
    else:
        text = {"markdown": markdown, "html": html_page, "json": json_text}[fmt](report)
    if output:
        _write_output(output, text.encode("utf-8"), inputs, fmt)
    elif fmt != "text":
        click.echo(text, nl=False)
    score = report.summary()["score"]
    sys.exit(EXIT_FINDINGS if fail_under is not None and score < fail_under else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--corpus", required=True, type=click.Path(dir_okay=False),
              help="A corpus of expected decisions (Rampart bench format: version, cases[id, name, "
                   "category, severity, tool, input, expected]).")
@click.option("--min-score", type=click.FloatRange(0, 1), metavar="SCORE",
              help="Exit 1 when the overall score (passed / cases, 0..1) is below SCORE.")
@click.option("--strict", is_flag=True, help="Require the expected decision exactly (ask no longer satisfies deny).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--project", type=click.Path(), help="A project-tier policy merged onto the global ones.")
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
@_guarded
def bench(paths, corpus, min_score, strict, fmt, project, verbose):
    """Score a policy set against a corpus of expected decisions.

    Every case is decided by the compiled bundle runtime; the score is the
    share of cases whose decision meets the expectation, reported overall,
    per category and per severity. Without --strict an `ask` satisfies an
    expected `deny`. Exit 0, or 1 below --min-score or on policy load errors,
    2 on usage or I/O errors (including a malformed corpus).
    """
    from policyc.codegen.bundle import compile_policy_set
    from policyc.coverage import DataError
    from policyc.coverage.bench import load_corpus, print_bench_text, run_bench, summarize
    from policyc.runtime import load_bundle

    commands = _dialect_commands(_policy_files(list(paths)), "bench")
    if commands is not None:
        raise click.UsageError(f"bench scores Rampart policies on a Rampart bench corpus; these are "
                               f"{commands.NAME} files")
    loaded = _load_clean(list(paths), project)
    try:
        cases = load_corpus(corpus)
    except DataError as exc:
        _err(f"error: {exc}")
        sys.exit(EXIT_ERROR)
    bundle = load_bundle(compile_policy_set(loaded.policy_set, _sources(loaded)))
    summary = summarize(run_bench(bundle, cases, strict=strict), strict=strict)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
    else:
        print_bench_text(_Console(soft_wrap=True), summary, verbose=verbose)
    sys.exit(EXIT_FINDINGS if min_score is not None and summary["score"] < min_score else EXIT_OK)


def _print_test_text(results: list[FileResult], verbose: bool, project: str | None = None) -> None:
    from policyc.testing import inside

    console = _Console(soft_wrap=True)
    total = failed = 0
    for result in results:
        if result.diagnostics:
            def shown(path: str, root: str | None = result.root) -> bool:
                """Lines only of files inside the suite's root, or of --project."""
                return root is None or inside(path, root) or (project is not None and inside(path, project))

            print_text(console, result.diagnostics, 1, show_source=shown)
        for c in result.cases:
            total += 1
            if c.passed and not verbose:
                continue
            failed += not c.passed
            mark = Text("PASS ", style="bold green") if c.passed else Text("FAIL ", style="bold red")
            mark.append(printable(f"{c.path}:{c.line} {c.name}: expected {c.expected}, got {c.actual}"))
            if not c.engines_agree:
                mark.append(f" (engines disagree: bundle decided {c.bundle_decision})")
            if not c.message_ok:
                mark.append(printable(f" (message {c.message!r} does not match {c.expected_message!r})"))
            if not c.passed:
                mark.append(printable(f"\n     {json.dumps(c.call, sort_keys=True)}"), style="dim")
                if c.why:
                    mark.append(printable(f"\n     decided by {c.why}"), style="dim")
            console.print(mark, highlight=False)
    style = "bold red" if failed else "bold green"
    console.print(Text(f"{total - failed} passed, {failed} failed", style=style), highlight=False)


if __name__ == "__main__":  # pragma: no cover
    main()
