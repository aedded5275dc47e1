"""Category rules: a TOML file → validated, compiled rules for the Stage 3 classifier.

Every mistake in a rules file is a ConfigError naming the file and the table, rule or key at fault.
The file format is documented in bot/data/categories.toml itself.
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.domain import CategoryInfo
from bot.errors import ConfigError
from bot.pipeline.patterns import at_word_start, lead, literal

FIELDS = ("title", "summary")
_TOP_KEYS = frozenset({"scoring", "lists", "categories", "rules"})
_SCORING_KEYS = frozenset({"title_weight", "summary_weight"})
_CATEGORY_KEYS = frozenset({"label", "emoji", "colour", "description", "threshold"})
_RULE_KEYS = frozenset(
    {"id", "category", "weight", "phrases", "patterns", "fields", "veto", "note"}
)
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_LIST_REF = re.compile(r"\{([A-Za-z_]\w*)\}")
_LIST_SPLIT = re.compile(r"(\{[A-Za-z_]\w*\})")
_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}\Z")
# Between two words of a phrase: any run of spaces, hyphens or quote marks, so "no-confidence",
# "no confidence" and "'no confidence' vote" all match the same phrase.
_JOIN = r"[\s\"'\-]+"


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule: regexes that add `weight` to its category when one matches."""

    id: str  # "category.rule", as shown in evidence
    category: str
    weight: float
    veto: bool  # a match blocks the category whatever its score
    fields: frozenset[str]
    # One regex per phrase (per list item it names) and per pattern: many small regexes that
    # mostly start with plain letters search much faster than one big alternation. Kept as
    # source text: the classifier compiles each when first needed (see Classifier.prepare).
    units: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A whole rules file, validated and compiled."""

    source: str
    categories: Mapping[str, CategoryInfo]
    thresholds: Mapping[str, float]
    field_weights: Mapping[str, float]
    rules: tuple[Rule, ...]


def packaged_rules_text() -> tuple[str, str]:
    """The packaged rules file: (its location, its text)."""
    resource = importlib.resources.files("bot") / "data" / "categories.toml"
    try:
        return str(resource), resource.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{resource}: cannot read the packaged rules: {exc}") from exc


def read_rules_text(path: Path | None = None) -> tuple[str, str]:
    """A rules file's (location, text); None means the packaged rules."""
    if path is None:
        return packaged_rules_text()
    try:
        return str(path), path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read rules file: {exc}") from exc


def load_ruleset(path: Path | None = None) -> RuleSet:
    """Read, validate and compile a rules file; None means the packaged rules."""
    return parse_ruleset(*read_rules_text(path))


def parse_ruleset(source: str, text: str) -> RuleSet:
    """Validate and compile the rules in `text`, read from `source` (named in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries the line and column
        raise ConfigError(f"{source}: invalid TOML: {exc}") from exc
    return _Builder(source).build(data)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lists: dict[str, list[str]] = {}  # name → the regex of each phrase

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {message}")

    def table(self, value: object, where: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {type(value).__name__}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )
        return value

    def number(self, value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"must be a number, not {value!r}")
        return float(value)

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise self.fail(where, f"must be a non-empty one-line string, not {value!r}")
        return value

    def strings(self, value: object, where: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list of strings")
        return [self.text(item, f"{where}[{i}]") for i, item in enumerate(value)]

    def build(self, data: dict[str, Any]) -> RuleSet:
        self.table(data, "top level", _TOP_KEYS)
        scoring = self.table(data.get("scoring", {}), "[scoring]", _SCORING_KEYS)
        weights = {}
        for field, default in (("title", 1.0), ("summary", 0.7)):
            key = f"{field}_weight"
            weights[field] = self.number(scoring.get(key, default), f"[scoring] {key}")
            if weights[field] < 0:
                raise self.fail(f"[scoring] {key}", "must not be negative")
        raw_lists = data.get("lists", {})
        if not isinstance(raw_lists, dict):
            raise self.fail("[lists]", "must be a table of name = [phrases]")
        for name, items in raw_lists.items():
            where = f"[lists] {name}"
            if not _NAME.match(name):
                raise self.fail(where, "name must be lower-case letters, digits, _")
            phrases = self.strings(items, where)
            self.lists[name] = [
                body for i, p in enumerate(phrases) for body in self.phrase(p, f"{where}[{i}]")[1]
            ]
        categories, thresholds = self.categories(data.get("categories"))
        rules = self.rules(data.get("rules"), categories)
        for name in categories:
            if not any(r.category == name and r.weight > 0 for r in rules):
                raise self.fail(f"[categories.{name}]", "has no rule with a positive weight")
        return RuleSet(
            self.source,
            MappingProxyType(categories),
            MappingProxyType(thresholds),
            MappingProxyType(weights),
            tuple(rules),
        )

    def categories(self, raw: object) -> tuple[dict[str, CategoryInfo], dict[str, float]]:
        if not isinstance(raw, dict) or not raw:
            raise self.fail("[categories]", "missing: declare at least one [categories.NAME] table")
        infos: dict[str, CategoryInfo] = {}
        thresholds: dict[str, float] = {}
        for name, value in raw.items():
            where = f"[categories.{name}]"
            if not _NAME.match(name) or name == "none":
                raise self.fail(where, "name must be lower-case letters, digits, _ (not 'none')")
            table = self.table(value, where, _CATEGORY_KEYS)
            missing = sorted(_CATEGORY_KEYS - set(table))
            if missing:
                raise self.fail(where, f"missing key {missing[0]!r}")
            thresholds[name] = self.number(table["threshold"], f"{where} threshold")
            if thresholds[name] <= 0:
                raise self.fail(f"{where} threshold", "must be greater than 0")
            infos[name] = CategoryInfo(
                name=name,
                label=self.text(table["label"], f"{where} label"),
                emoji=self.text(table["emoji"], f"{where} emoji"),
                colour=self.colour(table["colour"], f"{where} colour"),
                description=self.text(table["description"], f"{where} description"),
            )
        return infos, thresholds

    def colour(self, value: object, where: str) -> int:
        if isinstance(value, str) and _HEX_COLOUR.match(value):
            return int(value[1:], 16)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFF:
            return value
        raise self.fail(where, f'must be "#RRGGBB" or an integer 0x000000-0xFFFFFF, not {value!r}')

    def rules(self, raw: object, categories: Mapping[str, CategoryInfo]) -> list[Rule]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("[[rules]]", "missing: add at least one [[rules]] table")
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, value in enumerate(raw, start=1):
            where = f"rule #{index}"
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                where = f"rule {value.get('category')}.{value['id']}"
            table = self.table(value, where, _RULE_KEYS)
            for key in ("id", "category", "weight"):
                if key not in table:
                    raise self.fail(where, f"missing key {key!r}")
            rule_id, category = table["id"], table["category"]
            if not isinstance(rule_id, str) or not _NAME.match(rule_id):
                raise self.fail(where, f"id must be lower-case letters, digits, _ not {rule_id!r}")
            if category not in categories:
                raise self.fail(where, f"category {category!r} is not declared in [categories]")
            full_id = f"{category}.{rule_id}"
            if full_id in seen:
                raise self.fail(where, "duplicate rule id")
            seen.add(full_id)
            rules.append(self.rule(table, full_id, category))
        return rules

    def rule(self, table: dict[str, Any], full_id: str, category: str) -> Rule:
        where = f"rule {full_id}"
        weight = self.number(table["weight"], f"{where} weight")
        veto = table.get("veto", False)
        if not isinstance(veto, bool):
            raise self.fail(f"{where} veto", "must be true or false")
        if weight == 0 or (veto and weight > 0):
            raise self.fail(f"{where} weight", "must be non-zero, and negative for a veto rule")
        fields = self.strings(table.get("fields", list(FIELDS)), f"{where} fields")
        if not set(fields) <= set(FIELDS):
            raise self.fail(f"{where} fields", f"must name only {' and '.join(FIELDS)}")
        if "note" in table:
            self.text(table["note"], f"{where} note")
        if "phrases" not in table and "patterns" not in table:
            raise self.fail(where, "needs 'phrases' or 'patterns'")
        units = []
        for i, text in enumerate(self.strings(table.get("phrases", ["-"]), f"{where} phrases")):
            if "phrases" in table:
                start, bodies, end = self.phrase(text, f"{where} phrases[{i}]")
                units += [at_word_start(body, end) if start else body + end for body in bodies]
        for i, text in enumerate(self.strings(table.get("patterns", ["-"]), f"{where} patterns")):
            if "patterns" in table:
                units.append(self.pattern(text, f"{where} patterns[{i}]"))
        # Not compiled here: phrases become regexes by construction (every character escaped)
        # and patterns were compiled once above to check them, so nothing can fail later.
        return Rule(full_id, category, weight, veto, frozenset(fields), tuple(dict.fromkeys(units)))

    def alternation(self, name: str, where: str) -> str:
        if name not in self.lists:
            raise self.fail(where, f"unknown list {{{name}}} (declare it under [lists])")
        return "(?:" + "|".join(at_word_start(b, r"(?!\w)") for b in self.lists[name]) + ")"

    def pattern(self, pattern: str, where: str) -> str:
        expanded = _LIST_REF.sub(lambda m: self.alternation(m.group(1), where), pattern)
        try:
            re.compile(expanded, re.IGNORECASE)
        except re.error as exc:
            raise self.fail(where, f"bad regex {pattern!r}: {exc}") from exc
        if expanded.startswith(r"\b") and lead(expanded[2:]):  # \bX is X at a word start
            return at_word_start(expanded[2:], "")
        return expanded

    def phrase(self, phrase: str, where: str) -> tuple[bool, list[str], str]:
        """Phrase syntax → (starts at a word start, regexes, end check).

        `*` is any word ending, `[word]` an optional word, `{list}` any phrase of a list: one
        regex per list phrase, unless that would make too many.
        """
        tokens = phrase.replace("-", " ").split()
        if not tokens or tokens[-1].startswith("["):
            raise self.fail(where, f"bad phrase {phrase!r}: empty, or ends with an [optional] word")
        choices: list[list[str]] = []
        for i, token in enumerate(tokens):
            optional = token.startswith("[") and token.endswith("]") and len(token) > 2
            word = token[1:-1] if optional else token
            pieces = [[""]]
            for chunk in filter(None, _LIST_SPLIT.split(word)):
                name = chunk[1:-1] if _LIST_REF.fullmatch(chunk) else None
                if name is not None and where.startswith("[lists]"):
                    raise self.fail(where, "lists cannot refer to other lists")
                pieces.append(
                    [literal(chunk.lower())] if name is None else self.lists.get(name) or []
                )
                if name is not None and not pieces[-1]:
                    self.alternation(name, where)  # raises: unknown list
            options = [""]
            for piece in pieces:
                options = [a + b for a in options for b in piece]
            join = "" if i == len(tokens) - 1 else _JOIN
            choices.append([f"(?:{o}{join})?" if optional else o + join for o in options])
        bodies = [""]
        for options in choices:
            many = len(bodies) * len(options) > 64  # too many regexes: use one alternation
            bodies = [
                a + b
                for a in bodies
                for b in (["(?:" + "|".join(options) + ")"] if many else options)
            ]
        start = bool(re.match(r"[\w{\[]", tokens[0]))
        end = r"(?!\w)" if re.search(r"[\w}]\Z", tokens[-1]) else ""
        return start, bodies, end
