"""Read a ToolRampart tool module with :mod:`ast`: never imported, never run.

:func:`read_module` turns a ``.py`` file into a :class:`ModuleSource`:

* the file decoded as Python's import would (``tokenize.detect_encoding``:
  a PEP 263 coding line or a UTF-8 BOM, else UTF-8) and parsed with
  :func:`ast.parse`. A file that cannot be decoded or parsed (invalid
  UTF-8, a bad coding line, a syntax error, a null byte, nesting too deep
  for the parser) gives one PC601 diagnostic at the offending position and
  no functions; nothing raises;
* every module-level function (also inside top-level ``if``/``try``/
  ``with`` blocks) that has at least one decorator, as a
  :class:`~.model.Function`: each decorator in source order with its span
  (from the ``@``), resolved to the ToolRampart decorator it names through
  the module's imports (``from toolrampart import scope as s``, ``import
  toolrampart as tr``; ``@<anything>.tool`` is a ``ToolRampart.tool``
  method), its arguments as :class:`~.model.Value` (``ast.literal_eval``; a
  non-literal argument is kept as opaque source text), and the signature
  (names, kinds, annotations as source text, defaults);
* the module facts registration needs: ``from __future__ import
  annotations`` (annotations then stay strings, resolved later by pydantic
  in ``toolrampart.core``'s namespace), the names the module binds, whether
  it star-imports, and its module-level functions (so that a
  ``@policy(check)`` can be looked at).

Columns in spans count characters (``ast`` reports UTF-8 byte offsets;
they are converted).
"""

from __future__ import annotations

import ast
import builtins
import io
import tokenize
import warnings
from dataclasses import dataclass, field

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart.codes import UNREADABLE_MODULE
from policyc.dialects.toolrampart.model import DECORATORS, UNKNOWN, Decorator, Function, Parameter, Value
from policyc.ir import Span

__all__ = ["ModuleSource", "read_module", "read_text", "BUILTIN_NAMES"]

BUILTIN_NAMES = frozenset(dir(builtins))
"""Names every module can use without binding them."""

_TOOLRAMPART = "toolrampart"


@dataclass
class ModuleSource:
    """One tool module as read (see the module docstring)."""

    path: str
    text: str | None = None
    functions: list[Function] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)
    bound: frozenset[str] = frozenset()
    star_import: bool = False
    postponed: bool = False
    helpers: dict[str, ast.AST] = field(default_factory=dict)
    nodes: dict[str, ast.AST] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.text is not None and not self.diagnostics

    def span(self, node: ast.AST) -> Span:
        """The span of an ``ast`` node (character columns)."""
        return _Positions(self.path, self.lines).span(node)

    def segment(self, node: ast.AST) -> str:
        return _segment(self.text or "", node)


def read_module(path: str) -> ModuleSource:
    """Read the tool module at ``path``; never raises (an unreadable file is
    a PC601 diagnostic at line 1)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        module = ModuleSource(path)
        module.diagnostics.append(UNREADABLE_MODULE.at(
            Span(path, 1, 1, 1, 2), f"cannot read the tool module: {exc.strerror or exc}",
            help="ToolRampart imports the module to register its tools; a file it cannot read registers none"))
        return module
    return read_text(path, data)


def read_text(path: str, data: bytes) -> ModuleSource:
    """Read a tool module from its bytes (see :func:`read_module`)."""
    module = ModuleSource(path)
    text = _decode(module, data)
    if text is None:
        return module
    module.text = text
    module.lines = text.splitlines(keepends=False) or [""]
    tree = _parse(module, text)
    if tree is None:
        module.text = None
        return module
    _collect(module, tree)
    return module


def _unreadable(module: ModuleSource, line: int, column: int, message: str) -> None:
    module.diagnostics.append(UNREADABLE_MODULE.at(
        Span(module.path, max(1, line), max(1, column), max(1, line), max(1, column) + 1), message,
        help="importing this module raises SyntaxError: none of its tools registers",
        label="Python cannot read this"))


def _decode(module: ModuleSource, data: bytes) -> str | None:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        _unreadable(module, getattr(exc, "lineno", None) or 1, 1, f"invalid source encoding: {exc.msg}")
        return None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode(encoding, errors="replace")) + 1
        name = "UTF-8" if encoding.replace("_", "-").lower() in ("utf-8", "utf-8-sig") else encoding
        reason = exc.reason if hasattr(exc, "reason") else str(exc)
        _unreadable(module, line, column, f"the file is not valid {name} ({reason}): Python cannot decode the "
                                          f"module's source")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _parse(module: ModuleSource, text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():  # invalid escapes and the like: Python's own warnings, not ours
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=module.path)
    except SyntaxError as exc:
        _unreadable(module, exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")
    except ValueError as exc:  # null bytes
        index = text.find("\0")
        before = text[:index] if index >= 0 else ""
        line = before.count("\n") + 1
        _unreadable(module, line, len(before) - (before.rfind("\n") + 1) + 1, f"syntax error: {exc}")
    except (RecursionError, MemoryError):
        _unreadable(module, 1, 1, "syntax error: the source is nested too deeply for Python's parser")
    return None


class _Positions:
    """Byte offsets of ``ast`` to character columns."""

    def __init__(self, path: str, lines: list[str]):
        self.path = path
        self.lines = lines

    def column(self, line: int, byte_offset: int) -> int:
        if not 1 <= line <= len(self.lines):
            return byte_offset + 1
        raw = self.lines[line - 1].encode("utf-8", errors="surrogatepass")
        return len(raw[:byte_offset].decode("utf-8", errors="ignore")) + 1

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1) or 1
        end_line = getattr(node, "end_lineno", None) or line
        start = self.column(line, getattr(node, "col_offset", 0) or 0)
        end_offset = getattr(node, "end_col_offset", None)
        end = self.column(end_line, end_offset) if end_offset is not None else start + 1
        return Span(self.path, line, start, end_line, end)

    def decorator_span(self, node: ast.AST) -> Span:
        """From the ``@`` before a decorator expression to its end."""
        inner = self.span(node)
        if 1 <= inner.line <= len(self.lines):
            text = self.lines[inner.line - 1]
            at = text.rfind("@", 0, inner.column - 1)
            if at >= 0 and not text[at + 1:inner.column - 1].strip():
                return Span(self.path, inner.line, at + 1, inner.end_line, inner.end_column)
        return inner


def _segment(text: str, node: ast.AST) -> str:
    try:
        found = ast.get_source_segment(text, node)
    except Exception:  # noqa: BLE001 - positions of synthetic nodes
        found = None
    if found is None:
        try:
            found = ast.unparse(node)
        except Exception:  # noqa: BLE001
            found = "<expression>"
    return " ".join(found.split()) if "\n" in found else found


def _top_statements(body: list[ast.stmt]):
    """Module-level statements, also inside top-level if/try/with blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.With, ast.AsyncWith)):
            yield from _top_statements(stmt.body)
            yield from _top_statements(getattr(stmt, "orelse", []))
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from _top_statements(stmt.body)
            for handler in stmt.handlers:
                yield from _top_statements(handler.body)
            yield from _top_statements(stmt.orelse)
            yield from _top_statements(stmt.finalbody)


def _collect(module: ModuleSource, tree: ast.Module) -> None:
    positions = _Positions(module.path, module.lines)
    bound: set[str] = set()
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for stmt in _top_statements(tree.body):
        if isinstance(stmt, ast.ImportFrom):
            source = "." * (stmt.level or 0) + (stmt.module or "")
            if stmt.module == "__future__" and any(a.name == "annotations" for a in stmt.names):
                module.postponed = True
            for alias in stmt.names:
                if alias.name == "*":
                    module.star_import = True
                    continue
                local = alias.asname or alias.name
                module.imports[local] = f"{source}.{alias.name}"
                bound.add(local)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                local = alias.asname or alias.name.split(".")[0]
                module.imports[local] = alias.name if alias.asname else alias.name.split(".")[0]
                bound.add(local)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(stmt.name)
            if not isinstance(stmt, ast.ClassDef):
                defs.append(stmt)
                module.helpers[stmt.name] = stmt
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        bound.add(node.id)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            for node in ast.walk(stmt.target):
                if isinstance(node, ast.Name):
                    bound.add(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            bound.add(node.target.id)
    module.bound = frozenset(bound)
    for node in defs:
        if node.decorator_list:
            function = _function(module, positions, node)
            module.functions.append(function)
            module.nodes[f"{node.lineno}:{node.name}"] = node


def _qualified(module: ModuleSource, node: ast.AST) -> str | None:
    """The dotted name an expression refers to through the imports
    (``scope`` imported from toolrampart is ``toolrampart.scope``); a name
    neither imported nor bound is itself; ``None`` for other expressions."""
    if isinstance(node, ast.Name):
        if node.id in module.imports:
            return module.imports[node.id]
        return node.id
    if isinstance(node, ast.Attribute):
        base = _qualified(module, node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _kind(module: ModuleSource, callee: ast.AST) -> str:
    """The ToolRampart decorator ``callee`` names, or ``"other"``."""
    if isinstance(callee, ast.Name):
        if callee.id in module.imports:
            target = module.imports[callee.id]
            head, _, last = target.rpartition(".")
            if (head == _TOOLRAMPART or head.startswith(_TOOLRAMPART + ".")) and last in DECORATORS:
                return last
            return "other"
        if callee.id in DECORATORS and callee.id not in module.bound:
            return callee.id  # an un-imported snippet: read as ToolRampart's
        return "other"
    if isinstance(callee, ast.Attribute):
        qualified = _qualified(module, callee.value)
        if qualified is not None and (qualified == _TOOLRAMPART or qualified.startswith(_TOOLRAMPART + ".")):
            return callee.attr if callee.attr in DECORATORS else "other"
        if callee.attr == "tool":
            return "tool"  # a ToolRampart instance's tool method
    return "other"


def value_of(module: ModuleSource, positions: _Positions, node: ast.AST) -> Value:
    """An expression as a :class:`Value` (literal, or opaque text)."""
    text = _segment(module.text or "", node)
    try:
        literal = ast.literal_eval(node)
    except Exception:  # noqa: BLE001 - any non-literal, including hostile ones
        return Value(UNKNOWN, False, text, positions.span(node))
    return Value(literal, True, text, positions.span(node))


def _decorator(module: ModuleSource, positions: _Positions, node: ast.expr, index: int) -> Decorator:
    called = isinstance(node, ast.Call)
    callee = node.func if called else node
    kind = _kind(module, callee)
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str | None, Value], ...] = ()
    if called:
        args = tuple(value_of(module, positions, a) for a in node.args)
        kwargs = tuple((k.arg, value_of(module, positions, k.value)) for k in node.keywords)
    return Decorator(kind=kind, callee=_segment(module.text or "", callee), called=called, args=args,
                     kwargs=kwargs, text=_segment(module.text or "", node), index=index,
                     span=positions.decorator_span(node))


def _function(module: ModuleSource, positions: _Positions, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Function:
    decorators = tuple(_decorator(module, positions, d, i) for i, d in enumerate(node.decorator_list))
    doc = ast.get_docstring(node, clean=True) or ""
    name_span = _name_span(positions, node)
    return Function(name=node.name, decorators=decorators, parameters=_parameters(module, positions, node.args),
                    returns=_segment(module.text or "", node.returns) if node.returns is not None else None,
                    is_async=isinstance(node, ast.AsyncFunctionDef), doc=doc.splitlines()[0] if doc else "",
                    path=module.path, span=name_span)


def _name_span(positions: _Positions, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Span:
    """The span of ``def name`` (the function's own line, after its decorators)."""
    line = node.lineno
    text = positions.lines[line - 1] if 1 <= line <= len(positions.lines) else ""
    start = text.find(node.name, positions.column(line, node.col_offset) - 1)
    if start < 0:
        return positions.span(node)
    return Span(positions.path, line, start + 1, line, start + 1 + len(node.name))


def _parameters(module: ModuleSource, positions: _Positions, args: ast.arguments) -> tuple[Parameter, ...]:
    out: list[Parameter] = []
    ordered = list(args.posonlyargs) + list(args.args)
    defaults = [None] * (len(ordered) - len(args.defaults)) + list(args.defaults)
    for i, (arg, default) in enumerate(zip(ordered, defaults)):
        kind = "POSITIONAL_ONLY" if i < len(args.posonlyargs) else "POSITIONAL_OR_KEYWORD"
        out.append(_parameter(module, positions, arg, kind, default))
    if args.vararg is not None:
        out.append(_parameter(module, positions, args.vararg, "VAR_POSITIONAL", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        out.append(_parameter(module, positions, arg, "KEYWORD_ONLY", default))
    if args.kwarg is not None:
        out.append(_parameter(module, positions, args.kwarg, "VAR_KEYWORD", None))
    return tuple(out)


def _parameter(module: ModuleSource, positions: _Positions, arg: ast.arg, kind: str,
               default: ast.expr | None) -> Parameter:
    annotation = arg.annotation
    return Parameter(
        name=arg.arg, kind=kind,
        annotation=_segment(module.text or "", annotation) if annotation is not None else None,
        default=value_of(module, positions, default) if default is not None else None,
        span=positions.span(arg),
        annotation_span=positions.span(annotation) if annotation is not None else None)
