"""A disk cache of built rules: each rules text validated and indexed once, not by every process.

Every `division-bell poll` (and each of its parse workers) otherwise checks every pattern of the
rules file by compiling it and analyses every regex for the prefilter, before it can classify a
single headline: work whose result depends only on the rules text and this code. An entry is
keyed by a hash of the rules text, where it was read from, the Python version and the source of
the modules that build it, so an edited rules file or an upgraded bot never reads a stale one.
A text that is in the cache was validated when it was built; a damaged or unreadable entry is
built again. `DIVISION_BELL_CACHE` names the folder (empty: no cache); by default the user's
cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import platformdirs

from bot.pipeline import regex_code
from bot.pipeline.patterns import Prefilter
from bot.pipeline.rules import Rule, RuleSet

CACHE_ENV = "DIVISION_BELL_CACHE"
KEEP = 8  # entries kept: a few rules files, and the versions of them being edited
# What a built classifier depends on besides the rules text: its entries are keyed by their source.
_BUILDERS = (
    "bot.domain",
    "bot.config.schema",
    "bot.knowledge.parties",
    "bot.knowledge.tags",
    "bot.pipeline.patterns",
    "bot.pipeline.rules",
    "bot.pipeline.classify",
    "bot.pipeline.regex_code",
    __name__,
)


@dataclass(frozen=True, slots=True)
class Built:
    """A validated rules file, its prefilter index and every regex it searches, compiled (see
    Classifier._index)."""

    ruleset: RuleSet
    needs: list[tuple[str, ...]]
    prefilters: dict[str, Prefilter]
    compiled: tuple[re.Pattern[str], ...]


def folder() -> Path | None:
    """Where entries are kept; None when the cache is turned off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen else None
    return Path(platformdirs.user_cache_dir("division-bell", appauthor=False)) / "rules"


def load(source: str, text: str) -> Built | None:
    """The entry for this rules text, if one was stored and reads back whole."""
    path = _entry(source, text)
    if path is None:
        return None
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)  # noqa: S301 - our own cache, in the user's own folder
        ruleset, needs, prefilters, compiled = stored
        categories, thresholds, weights, rules, grouping = ruleset
        built = Built(
            RuleSet(
                source=source,
                categories=MappingProxyType(categories),
                thresholds=MappingProxyType(thresholds),
                field_weights=MappingProxyType(weights),
                rules=rules,
                grouping=MappingProxyType(grouping),
            ),
            needs,
            prefilters,
            compiled,
        )
        whole = isinstance(rules, tuple) and all(isinstance(rule, Rule) for rule in rules)
        whole = whole and all(isinstance(regex, re.Pattern) for regex in compiled)
    except Exception:  # missing, half-written by a crash, or from a build that differs
        return None
    return built if whole else None


def save(source: str, text: str, built: Built) -> None:
    """Store an entry (atomically; a cache that cannot be written is simply not used)."""
    path = _entry(source, text)
    if path is None:
        return
    rules = built.ruleset
    ruleset = (
        dict(rules.categories),
        dict(rules.thresholds),
        dict(rules.field_weights),
        rules.rules,
        dict(rules.grouping),
    )
    with contextlib.suppress(OSError, pickle.PicklingError):
        # Regexes as their engine code: loading the entry then compiles none of them again.
        data = regex_code.dumps((ruleset, built.needs, built.prefilters, built.compiled))
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(name, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
        _prune(path.parent)


def _entry(source: str, text: str) -> Path | None:
    place = folder()
    if place is None:
        return None
    digest = hashlib.sha256()
    for part in (sys.version, source, text):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name in _BUILDERS:
        module = sys.modules.get(name)
        code = getattr(module, "__file__", None)
        if code is None:  # cannot tell which code built it: no cache
            return None
        try:
            digest.update(Path(code).read_bytes() + b"\0")
        except OSError:
            return None
    return place / f"{digest.hexdigest()[:32]}.pickle"


def _prune(place: Path) -> None:
    """Keep the KEEP newest entries."""
    with contextlib.suppress(OSError):
        entries = sorted(place.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()
