"""Architecture guards: the import layering (import-linter's contracts) and the size limits on bot/.

The layering lives in pyproject.toml under [tool.importlinter]; this runs the same `lint-imports`
that .ci/run does, so a broken layer fails the ordinary test command too.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTION_LIMIT = 60
MODULE_LIMIT = 400
# How far into a function body (or a module) a `# size: <reason>` comment may sit to waive it.
WAIVER_WINDOW = 3
_WAIVER = re.compile(r"\bsize:\s*\S")


@dataclass(frozen=True, slots=True)
class Oversize:
    """One function or module over its limit, without a waiver."""

    path: str
    line: int
    name: str  # "Class.method" for a method; "<module>" for the module itself
    length: int
    limit: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name} is {self.length} lines (limit {self.limit})"


def _comment_lines(source: str) -> dict[int, str]:
    """Line number → the comment on that line (comments only, never strings)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string for tok in tokens if tok.type == tokenize.COMMENT}


def _header_ends(source: str) -> dict[int, int]:
    """Line of each `def` → line of the colon that ends its signature, however it wraps."""
    ends: dict[int, int] = {}
    def_line, depth = 0, 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string == "def" and not def_line:
            def_line, depth = tok.start[0], 0
        elif def_line and tok.type == tokenize.OP:
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth -= 1
            elif tok.string == ":" and depth == 0:
                ends[def_line], def_line = tok.start[0], 0
    return ends


def _waived(comments: dict[int, str], first_line: int) -> bool:
    """Whether a `size:` comment with a reason sits in the window starting at `first_line`."""
    window = range(first_line, first_line + WAIVER_WINDOW)
    return any(_WAIVER.search(comments.get(line, "")) for line in window)


def oversize(source: str, path: str) -> list[Oversize]:
    """Every function, method and the module itself in `source` over its limit, unwaived."""
    comments = _comment_lines(source)
    header_ends = _header_ends(source)
    found: list[Oversize] = []
    module_length = len(source.splitlines())
    if module_length > MODULE_LIMIT and not _waived(comments, 1):
        found.append(Oversize(path, 1, "<module>", module_length, MODULE_LIMIT))

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                body_start = header_ends[child.lineno] + 1
                if length > FUNCTION_LIMIT and not _waived(comments, body_start):
                    found.append(Oversize(path, child.lineno, name, length, FUNCTION_LIMIT))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename=path), "")
    return found


def _bot_oversize() -> list[Oversize]:
    found: list[Oversize] = []
    for file in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        path = file.relative_to(PROJECT_ROOT).as_posix()
        found += oversize(file.read_text(encoding="utf-8"), path)
    return found


# --- the layering ---------------------------------------------------------------------------------


def test_import_layering_contracts_hold() -> None:
    """The contracts in pyproject.toml's [tool.importlinter] are all kept."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    # No cache: it would leave .import_linter_cache/ in the checkout, and the check is quick.
    run = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"lint-imports failed:\n{run.stdout}\n{run.stderr}"


# --- sizes ----------------------------------------------------------------------------------------


def test_functions_and_modules_stay_small() -> None:
    """No function over FUNCTION_LIMIT lines and no module over MODULE_LIMIT, unless waived."""
    offenders = _bot_oversize()
    assert not offenders, (
        f"over the size limits (split them, or give a reason in a `# size: ...` comment within "
        f"the first {WAIVER_WINDOW} lines of the body or module):\n"
        + "\n".join(f"  {o}" for o in offenders)
    )


def _function(name: str, body_lines: int, header: str = "", first: str = "") -> str:
    """A function of 1 + body_lines lines (more if `header` wraps), `first` opening its body."""
    lines = [f"def {name}({header}):"]
    if first:
        lines.append(f"    {first}")
    lines += ["    x = 1"] * (body_lines - len(lines) + 1)
    return "\n".join(lines) + "\n"


LIMIT = FUNCTION_LIMIT


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (_function("fits", LIMIT - 1), []),
        (_function("long", LIMIT), [("long", LIMIT + 1)]),
        (_function("why", LIMIT, first="# size: one table, clearer whole"), []),
        # A waiver needs a reason, must be a comment, and must come early.
        (_function("bare", LIMIT, first="# size:"), [("bare", LIMIT + 1)]),
        (_function("text", LIMIT, first='s = "# size: x"'), [("text", LIMIT + 1)]),
        (
            _function("late", LIMIT).replace(
                "    x = 1\n" * 3, "    x = 1\n" * 3 + "    # size: x\n", 1
            ),
            [("late", LIMIT + 2)],
        ),
        # The window starts after the signature, however many lines that takes.
        (
            _function("wrapped", LIMIT, header="\n    a: int,\n    b: int,\n").replace(
                "    x = 1\n", "    # size: generated dispatch\n", 1
            ),
            [],
        ),
        (
            "class Box:\n" + textwrap.indent(_function("method", LIMIT), "    "),
            [("Box.method", LIMIT + 1)],
        ),
        (
            "async def outer():\n"
            + textwrap.indent(_function("inner", LIMIT), "    ")
            + "    y = 2\n",
            [("outer", LIMIT + 3), ("outer.inner", LIMIT + 1)],
        ),
        ("x = 1\n" * MODULE_LIMIT, []),
        ("x = 1\n" * (MODULE_LIMIT + 1), [("<module>", MODULE_LIMIT + 1)]),
        ('"""Doc."""\n# size: one registry\n' + "x = 1\n" * MODULE_LIMIT, []),
        ('"""Doc."""\n\n\n# size: too late\n' + "x = 1\n" * MODULE_LIMIT, [("<module>", 404)]),
    ],
)
def test_size_check_flags_what_it_should(source: str, expected: list[tuple[str, int]]) -> None:
    """The checker itself: limits, waivers only in comments near the top, methods, modules."""
    assert [(o.name, o.length) for o in oversize(source, "m.py")] == expected
