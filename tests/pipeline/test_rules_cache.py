"""The disk cache of built rules: read back instead of built, never stale, never in the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.pipeline import classify, rules_cache
from bot.pipeline.classify import Classifier
from bot.pipeline.patterns import compile_regex
from bot.pipeline.rules import packaged_rules_text

HEADLINES = [
    ("Labour MP defects to Reform UK", "Sir Keir Starmer said he was disappointed"),
    ("Prime Minister faces questions at PMQs", ""),
    ("Chancellor delivers the Budget", "Rachel Reeves set out tax rises"),
    ("Weather: a cold start to the week", ""),
]

RULES = """
[categories.budget]
label = "Budget"
emoji = "💷"
colour = "#16A085"
description = "A Budget."
threshold = 1.0

[[rules]]
id = "word"
category = "budget"
weight = 1.5
phrases = ["budget"]
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of this test's own, and no classifier kept from another test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(rules_cache.CACHE_ENV, str(folder))
    classify._built.cache_clear()
    yield folder
    classify._built.cache_clear()


def _fresh(source: str, text: str) -> Classifier:
    """A classifier as a new process would build it."""
    classify._built.cache_clear()
    return classify._built(source, text)


def test_a_second_process_reads_the_index_and_compiles_nothing(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, text = packaged_rules_text()
    built = _fresh(source, text)
    expected = [built.classify(title, summary) for title, summary in HEADLINES]
    assert list(cache.glob("*.pickle")), "building the index stores it"

    def rebuilt(*_: object) -> None:
        raise AssertionError("the rules were parsed, or a regex compiled, again")

    monkeypatch.setattr(classify, "parse_ruleset", rebuilt)
    monkeypatch.setattr(classify, "required", rebuilt)
    monkeypatch.setattr(classify, "compile_regex", rebuilt)
    with monkeypatch.context() as loading:
        # Every regex the rules search, and the prefilter's scans, come back as engine code.
        loading.setattr(re, "compile", rebuilt)
        read = _fresh(source, text)
    assert [read.classify(title, summary) for title, summary in HEADLINES] == expected
    monkeypatch.undo()
    assert read._compiled == [compile_regex(unit) for _, unit in read._units]
    assert read.categories == built.categories
    assert read.grouping == built.grouping
    assert expected[0].categories, "the headlines exercise at least one category"


def test_an_edited_rules_text_is_built_anew(cache: Path) -> None:
    _fresh("rules.toml", RULES).classify("Budget day")
    edited = RULES.replace('"budget"]', '"budget", "spending review"]')
    assert _fresh("rules.toml", edited).classify("The spending review").categories == ("budget",)
    assert len(list(cache.glob("*.pickle"))) == 2


def test_an_invalid_text_is_never_cached_and_still_refused(cache: Path) -> None:
    broken = RULES.replace('phrases = ["budget"]', 'patterns = ["(budget"]')
    for _ in range(2):
        with pytest.raises(ConfigError, match="bad regex"):
            _fresh("rules.toml", broken)
    assert not list(cache.glob("*.pickle"))


def test_a_damaged_entry_is_built_again(cache: Path) -> None:
    _fresh("rules.toml", RULES).classify("Budget day")
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert _fresh("rules.toml", RULES).classify("Budget day").categories == ("budget",)
    assert entry.read_bytes() != b"not a pickle", "the rebuilt index replaced it"


def test_an_empty_setting_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(rules_cache.CACHE_ENV, "")
    assert rules_cache.folder() is None
    assert _fresh("rules.toml", RULES).classify("Budget day").categories == ("budget",)
    classify._built.cache_clear()


def test_an_unwritable_folder_only_means_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(rules_cache.CACHE_ENV, str(blocker / "cache"))
    assert _fresh("rules.toml", RULES).classify("Budget day").categories == ("budget",)
    classify._built.cache_clear()


def test_only_the_newest_entries_are_kept(cache: Path) -> None:
    for number in range(rules_cache.KEEP + 3):
        _fresh("rules.toml", RULES.replace("Budget", f"Budget {number}")).classify("Budget day")
    assert len(list(cache.glob("*.pickle"))) == rules_cache.KEEP
