"""Regexes pickled as engine code: the same patterns back, or compiled from source when not."""

from __future__ import annotations

import pickle
import re

import pytest

from bot.pipeline import regex_code

PATTERNS = [
    re.compile(r"defect(?<!\w.{6})s?"),
    re.compile(r"(?P<who>[A-Z]\w+) (?:quits|joins) (?P<party>labour|reform)", re.IGNORECASE),
    re.compile(r"\b(1922|no[- ]confidence) (?:committee|letters?)\b"),
    re.compile(r"(?i)sue gray|privileges committee"),
    re.compile(r"caf\u00e9 [^\W\d_]+", re.UNICODE),
    re.compile(r"(a)|(b)(?(2)c|d)"),
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:20])
def test_a_pattern_comes_back_equal_without_being_compiled(
    pattern: re.Pattern[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = regex_code.dumps({"regex": pattern, "kept": [1, "two"]})

    def no_compiling(*_: object) -> None:
        raise AssertionError("compiled from source")

    monkeypatch.setattr(re, "compile", no_compiling)
    back = pickle.loads(data)  # noqa: S301 - our own bytes
    monkeypatch.undo()
    # Patterns compare by source, flags and engine code.
    assert back["regex"] == pattern
    assert back["kept"] == [1, "two"]
    text = "Sir Bob Smith quits Labour; 1922 committee letters; Sue Gray; café culture"
    assert [m.span() for m in back["regex"].finditer(text)] == [
        m.span() for m in pattern.finditer(text)
    ]


def test_code_the_engine_refuses_is_compiled_from_source() -> None:
    pattern = re.compile(r"defects? to (labour|reform)")
    code = regex_code.code_of(pattern)
    assert code is not None
    damaged = (code[0], code[1], [999_999], code[3], code[4], code[5])
    assert regex_code.rebuilt(damaged) == pattern


def test_bytes_patterns_are_pickled_as_usual() -> None:
    pattern = re.compile(rb"\x00+")
    assert pickle.loads(regex_code.dumps(pattern)) == pattern  # noqa: S301
