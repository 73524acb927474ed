"""Generate what the registry and the fixtures determine in ``docs/checks/``.

Run ``make docs`` (``python -m policyc.checks.docgen`` in the repository
checkout) after changing a check's metadata, a fixture an example shows, or
what a diagnostic says; ``tests/test_checks_meta.py`` fails while a page is
out of date. Generated parts are regions between ``<!-- generated: KIND
[ARGUMENT] -->`` and ``<!-- end generated -->`` lines; the rest of a page
(*What it does*, *Why it matters*, *Use instead*, any further example) is
hand-written prose and kept as it is.

In the page ``docs/checks/<CODE>.md`` of every registered check:

* line 1 is ``# <CODE> <name>``;
* a ``summary`` region (added under line 1 when missing) states the default
  severity and the summary;
* each ``example fail_x.yaml`` region shows the fixture
  ``tests/fixtures/checks/<CODE>/fail_x.yaml`` and exactly what
  ``policyc check --no-config fail_x.yaml`` prints for it (``--project`` for a
  project-tier fixture, :func:`fixture_tier`) in the fixture's directory,
  without colour: this checkout's command line and text renderer
  (:mod:`policyc.diagnostics.render`), each example in a fresh interpreter,
  as a user runs it. (In one process the examples would not be independent:
  the analysis charges its work budget only for what the process has not
  cached yet, so the step counts PC110 reports depend on what ran before.)
  Checks without a file fixture (PC004, PC111) keep a hand-written example.

A page that does not exist yet is started with its headings and an example
region for its first failing fixture. In ``docs/checks/README.md``, the
``table`` region lists every check.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

from policyc.checks import REGISTRY, Check
from policyc.dialects.registry import dialect_of_tree, dialects
from policyc.ir import Tier

#: The checkout this module is in (``make docs`` runs it from the sources).
REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "checks"
FIXTURES = REPO / "tests" / "fixtures" / "checks"
INDEX = DOCS / "README.md"

END = "<!-- end generated -->"
_REGION = re.compile(r"^<!-- generated: (\w+)(?: (\S+))? -->\n.*?^" + re.escape(END) + "$", re.M | re.S)
_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead")
#: The code fence of a fixture file, by suffix.
_FENCES = {".yaml": "yaml", ".yml": "yaml", ".py": "python", ".toml": "toml"}
#: Environment variables that would make rich colour (or style) piped output.
_COLOUR = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def fixture_tier(code: str) -> Tier:
    """The tier a fixture of ``code`` is loaded as: PC2xx fixtures are
    project-tier files (as if at ``.rampart/policy.yaml``), the rest global."""
    return Tier.PROJECT if code.startswith("PC2") else Tier.GLOBAL


def fixtures(code: str, prefix: str) -> list[Path]:
    """The ``fail`` or ``pass`` fixtures of ``code`` (``prefix``): the files
    of any kind (YAML policies, Python tool modules, TOML configs) and the
    directories (a service of several files) named ``<prefix>_*``."""
    return sorted((FIXTURES / code).glob(f"{prefix}_*"))


def fixture_dialect(code: str, path: Path | None = None) -> ModuleType | None:
    """The registered dialect a fixture of ``code`` is read by: the one whose
    ``checks`` declare ``code``; for a check of a shared pass, the dialect
    that reads the fixture at ``path`` itself
    (:func:`policyc.dialects.registry.dialect_of_tree`) when that dialect
    runs the pass (its ``SHARED_PASSES``: a toolkit agent policy among
    PC101's fixtures); else ``None``: Rampart's (PC023's fixtures are other
    dialects' files that Rampart's front end refuses)."""
    for dialect in dialects():
        if any(c.code == code for c in importlib.import_module(f"{dialect.__name__}.checks").CHECKS):
            return dialect
    owner = dialect_of_tree(str(path)) if path is not None else None
    return owner if owner is not None and code in _shared_codes(owner) else None


def _shared_codes(dialect: ModuleType) -> set[str]:
    """The codes the shared passes a dialect runs (``SHARED_PASSES``) declare."""
    from policyc.passes import PASSES

    modules = {importlib.import_module(p.run.__module__) for p in PASSES
               if p.name in getattr(dialect, "SHARED_PASSES", ())}
    return {c.code for module in modules for c in getattr(module, "CHECKS", ())}


def companions(code: str) -> list[str]:
    """The companion files of ``code``'s fixture directory (named neither
    ``fail_*`` nor ``pass_*``): checked before each fixture, for checks that
    need two files (a duplicate agent)."""
    return [p.name for p in sorted((FIXTURES / code).glob("*.yaml"))
            if not p.name.startswith(("fail_", "pass_"))]


def check_args(code: str, fixture: str) -> list[str]:
    """The ``policyc`` arguments an example of ``code`` runs on ``fixture``
    (a file name in the check's fixture directory), after its companions."""
    project = ["--project"] if fixture_tier(code) is Tier.PROJECT else []
    return ["check", "--no-config", *companions(code), *project, fixture]


def check_output(code: str, fixture: str) -> str:
    """What ``policyc check`` (:func:`check_args`) prints for ``fixture`` in
    the fixture directory of ``code``: this checkout's ``policyc`` run by a
    fresh interpreter, its output piped (so without colour)."""
    env = {key: value for key, value in os.environ.items() if key not in _COLOUR}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    args = check_args(code, fixture)
    result = subprocess.run([sys.executable, "-c", "from policyc.cli import main; main()", *args],
                            cwd=FIXTURES / code, env=env, capture_output=True, encoding="utf-8")
    if result.returncode not in (0, 1):
        raise RuntimeError(f"policyc {' '.join(args)} in {FIXTURES / code} exited {result.returncode}: "
                           f"{result.stderr}")
    return result.stdout


def example(code: str, fixture: str, output: str) -> str:
    """The body of an ``example`` region: the fixture (bytes that are not
    UTF-8 shown as U+FFFD, as the renderer shows them) and ``output``, what
    :func:`check_output` prints for it."""
    def shown(name: str) -> str:
        text = (FIXTURES / code / name).read_bytes().decode("utf-8", "replace")
        fence = _FENCES.get(Path(name).suffix, "")
        return f"```{fence}\n{text}{'' if not text or text.endswith(chr(10)) else chr(10)}```\n\n"

    if (FIXTURES / code / fixture).is_dir():  # a service: each of its files
        names = [f"{fixture}/{p.name}" for p in sorted((FIXTURES / code / fixture).iterdir()) if p.is_file()]
    else:
        names = [*companions(code), fixture]
    files = "".join(f"`{name}`:\n\n{shown(name)}" for name in names) if len(names) > 1 else shown(fixture)
    command = " ".join(["policyc", *check_args(code, fixture)])
    return f"{files}`{command}` prints:\n\n```text\n{output}```\n"


def summary(check: Check) -> str:
    """The body of a page's ``summary`` region."""
    return f"*Default severity: {check.severity.value}.* {check.summary}\n"


def table() -> str:
    """The body of the index's ``table`` region: every check by code."""
    rows = [f"| [{c.code}]({c.code}.md) | `{c.name}` | {c.severity.value} | {c.summary} |\n"
            for _, c in sorted(REGISTRY.items())]
    return "| code | name | severity | summary |\n|---|---|---|---|\n" + "".join(rows)


def _regenerated(path: Path, text: str, body: Callable[[str, str | None], str | None]) -> str:
    """``text`` (of ``path``) with the body of every region replaced by
    ``body(kind, argument)``; ``ValueError`` for a region ``body`` does not
    know (it returns ``None``)."""

    def replace(found: re.Match) -> str:
        kind, argument = found.group(1), found.group(2)
        new = body(kind, argument)
        if new is None:
            raise ValueError(f"{path}: unknown generated region {kind!r}")
        head = f"<!-- generated: {kind}{' ' + argument if argument else ''} -->"
        return f"{head}\n{new}{END}"

    return _REGION.sub(replace, text)


def new_page(check: Check) -> str:
    """The start of a page for ``check``: its headings, with an example
    region for its first failing fixture (if it has one)."""
    failing = fixtures(check.code, "fail")
    parts = [f"# {check.code}"]
    for heading in _SECTIONS:
        parts.append(f"## {heading}")
        if heading == "Example" and failing:
            parts.append(f"<!-- generated: example {failing[0].name} -->\n{END}")
    return "\n\n".join(parts) + "\n"


def _regions(text: str) -> list[tuple[str, str | None]]:
    """The ``(kind, argument)`` of every generated region of ``text``."""
    return [(found.group(1), found.group(2)) for found in _REGION.finditer(text)]


def page(check: Check, text: str, outputs: Mapping[tuple[str, str], str]) -> str:
    """The page of ``check`` regenerated from its current ``text``;
    ``outputs[code, fixture]`` is what :func:`check_output` prints for each
    fixture an example region names."""
    path = DOCS / f"{check.code}.md"
    _, _, rest = text.partition("\n")
    if ("summary", None) not in _regions(rest):
        rest = f"\n<!-- generated: summary -->\n{END}\n" + rest

    def body(kind: str, argument: str | None) -> str | None:
        if kind == "summary" and argument is None:
            return summary(check)
        if kind == "example" and argument is not None:
            return example(check.code, argument, outputs[check.code, argument])
        return None

    return f"# {check.code} {check.name}\n" + _regenerated(path, rest, body)


def generate() -> dict[Path, str]:
    """Every generated file's text as it should be, by path: the page of
    every registered check and the index."""
    pages = {}
    for check in REGISTRY.values():
        path = DOCS / f"{check.code}.md"
        pages[check] = path.read_text("utf-8") if path.is_file() else new_page(check)
    runs = [(check.code, fixture) for check, text in pages.items()
            for kind, fixture in _regions(text) if kind == "example" and fixture]
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        outputs = dict(zip(runs, pool.map(lambda run: check_output(*run), runs)))
    out = {DOCS / f"{check.code}.md": page(check, text, outputs) for check, text in pages.items()}
    index = INDEX.read_text("utf-8")
    if ("table", None) not in _regions(index):
        raise ValueError(f"{INDEX}: no `<!-- generated: table -->` region")
    out[INDEX] = _regenerated(INDEX, index, lambda kind, argument: table() if kind == "table" else None)
    return out


def main() -> None:
    """Write every generated file that differs from :func:`generate`, and
    name it."""
    for path, text in generate().items():
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
