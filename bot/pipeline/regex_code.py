"""Compiled regexes pickled as the regex engine's own code, so loading them compiles nothing.

`re.compile` spends its time in re._parser and re._compiler, pure Python: about 0.1 ms for a
rules regex, some 80 ms for the packaged rules, paid again by every `poll` and each of its parse
workers (benchmarks/event_day.py). What they produce is a list of integers that the C engine
runs; `_sre.compile` turns that list into a pattern in microseconds. Pickling a pattern normally
keeps only its source, so unpickling compiles it again; `dumps` here keeps the code.

Only for the rules cache (bot.pipeline.rules_cache), whose entries are keyed by the exact Python
version: the code is only ever read by the interpreter build whose compiler wrote it. A pattern
whose code cannot be taken, or a loaded one that the engine refuses, is compiled from its source.
"""

from __future__ import annotations

import io
import pickle
import re
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

try:
    import _sre  # type: ignore[import-not-found]
except ImportError:  # another implementation of Python: patterns are pickled as usual
    _sre = None

# What `_sre.compile` takes: source, flags, code, groups, groupindex, indexgroup.
Code = tuple[str, int, list[int], int, dict[str, int], tuple[str | None, ...]]


def dumps(value: object) -> bytes:
    """`value` pickled, every compiled regex in it as its engine code (protocol 5)."""
    buffer = io.BytesIO()
    _CodePickler(buffer, protocol=5).dump(value)
    return buffer.getvalue()


class _CodePickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        """A compiled regex as a call of `rebuilt` with its code; anything else as usual."""
        if isinstance(obj, re.Pattern) and isinstance(obj.pattern, str):
            code = code_of(obj)
            if code is not None:
                return rebuilt, (code,)
        return NotImplemented


def code_of(pattern: re.Pattern[str]) -> Code | None:
    """What `_sre.compile` takes to make `pattern`, as re._compiler.compile gives it; None if
    that does not make the same pattern (a Python whose internals differ)."""
    if _sre is None:
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        # Plain ints: the opcodes are named constants that refuse to be pickled.
        code = [int(op) for op in _compiler._code(parsed, pattern.flags)]
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, number in groupindex.items():
            indexgroup[number] = name
        code_args: Code = (
            pattern.pattern,
            pattern.flags | parsed.state.flags,
            code,
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        # Patterns compare by source, flags and code: the same engine program, or not used.
        return code_args if rebuilt(code_args) == pattern else None
    except Exception:  # internals of another Python version: pickle it as usual
        return None


def rebuilt(code: Code) -> re.Pattern[str]:
    """The pattern from its engine code (compiled from its source if the engine refuses it)."""
    if _sre is not None:
        try:
            pattern: re.Pattern[str] = _sre.compile(*code)
        except Exception:  # noqa: S110 - the engine refused it: compile the source below
            pass
        else:
            return pattern
    return re.compile(code[0], code[1])
