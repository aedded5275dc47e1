"""Category rules: a TOML file → validated, compiled rules for the Stage 3 classifier.

Every mistake in a rules file is a ConfigError naming the file and the table, rule or key at fault.
The file format is documented in bot/data/categories.toml itself.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.config.schema import Section, TomlKind, parse_toml, read_toml_text
from bot.domain import CategoryInfo
from bot.errors import ConfigError
from bot.knowledge.parties import resolve as party_code
from bot.knowledge.tags import PARTY, PERSON
from bot.pipeline.patterns import at_word_start, lead, literal

FIELDS = ("title", "summary")
RULES_FILE = TomlKind(
    "rules file", missing="cannot read rules file: no such file", invalid="invalid TOML"
)
_TOP_KEYS = ("scoring", "lists", "categories", "rules")
_SCORING_KEYS = ("title_weight", "summary_weight")
_CATEGORY_KEYS = ("colour", "description", "emoji", "label", "threshold")  # all required
# How reports of a category group into events: by who and what they name (the default), or by
# the day (a weekly session such as PMQs is one happening whoever the reports name).
EVENT_GROUPINGS = ("actors", "day")
_RULE_KEYS = ("id", "category", "weight", "phrases", "patterns", "fields", "veto", "note")
_LISTS = "[lists]"
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_LIST_REF = re.compile(r"\{([A-Za-z_]\w*)\}")
_LIST_SPLIT = re.compile(r"(\{@[^{}]*\}|\{[A-Za-z_]\w*\})")
_PLACEHOLDER = re.compile(r"\{@([^{}]*)\}")
# {@role} or {@role:party} → a person tag of bot.knowledge.tags with that flag (and party).
_ROLES = {"politician": "p", "mp": "m", "peer": "l", "minister": "n", "cabinet": "c",
          "prime_minister": "k", "deputy_prime_minister": "d", "chief_whip": "w"}  # fmt: skip
# {@party} is any party tag; the relational two also check, after a match, the party against
# the nearest person named before it (the `(?#...)` comment marks the unit for the classifier).
_PARTY_TAGS = {"party": "", "other_party": "(?#other)", "own_party": "(?#own)"}
PERSON_TAG, PARTY_TAG = PERSON, PARTY
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
    people: bool = False  # its regexes match text with people and parties tagged ({@mp}…)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A whole rules file, validated and compiled."""

    source: str
    categories: Mapping[str, CategoryInfo]
    thresholds: Mapping[str, float]
    field_weights: Mapping[str, float]
    rules: tuple[Rule, ...]
    grouping: Mapping[str, str] = field(default_factory=dict)  # category → an EVENT_GROUPINGS


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
    return str(path), read_toml_text(path, RULES_FILE)


def load_ruleset(path: Path | None = None) -> RuleSet:
    """Read, validate and compile a rules file; None means the packaged rules."""
    return parse_ruleset(*read_rules_text(path))


def parse_ruleset(source: str, text: str) -> RuleSet:
    """Validate and compile the rules in `text`, read from `source` (named in errors)."""
    return _Compiler(source).build(parse_toml(source, text, RULES_FILE))


def _error(source: str, where: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {message}")


class _RulesTable(Section):
    """A table of a rules file: messages read "file: table or rule: problem" ("rule pmqs.named")."""

    def __init__(self, source: str, label: str, data: object) -> None:
        super().__init__(source, label, data, label=label)

    def fail(self, message: str, key: str | None = None) -> ConfigError:
        """An error about this table, or about `key` in it."""
        return _error(self.source, self.label if key is None else f"{self.label} {key}", message)

    def not_a_table(self, value: object) -> ConfigError:
        """The error for a table written as some other value."""
        return self.fail(f"must be a table, not {type(value).__name__}")

    def unknown_key(self, key: str, known: set[str]) -> ConfigError:
        """The error for a key this table does not have."""
        return self.fail(f"unknown key {key!r} (allowed: {', '.join(sorted(known))})")

    def wrong_type(self, key: str, expected: str, value: object) -> ConfigError:
        """The error for a value of the wrong type."""
        return self.fail(f"must be {expected}, not {value!r}", key)

    def require(self, keys: Iterable[str]) -> None:
        """Raise for the first of `keys` that is missing."""
        for key in keys:
            if key not in self.data:
                raise self.fail(f"missing key {key!r}")


class _Compiler:
    """Turns one parsed rules file into a RuleSet; holds the [lists] its phrases may name."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lists: dict[str, list[str]] = {}  # name → the regex of each phrase

    def build(self, data: dict[str, Any]) -> RuleSet:
        """Validate and compile every table of the file."""
        _RulesTable(self.source, "top level", data).reject_unknown(_TOP_KEYS)
        scoring = _RulesTable(self.source, "[scoring]", data.get("scoring", {}))
        scoring.reject_unknown(_SCORING_KEYS)
        weights = {}
        for name, default in (("title", 1.0), ("summary", 0.7)):
            key = f"{name}_weight"
            weights[name] = scoring.number(key, default)
            if weights[name] < 0:
                raise scoring.fail("must not be negative", key)
        self.read_lists(data.get("lists", {}))
        categories, thresholds, grouping = self.categories(data.get("categories"))
        rules = self.rules(data.get("rules"), categories)
        for name in categories:
            if not any(r.category == name and r.weight > 0 for r in rules):
                raise _error(
                    self.source, f"[categories.{name}]", "has no rule with a positive weight"
                )
        return RuleSet(
            self.source,
            MappingProxyType(categories),
            MappingProxyType(thresholds),
            MappingProxyType(weights),
            tuple(rules),
            MappingProxyType(grouping),
        )

    def read_lists(self, raw: object) -> None:
        """[lists]: name = [phrases], each name usable as {name} in rules' phrases and patterns."""
        if not isinstance(raw, dict):
            raise _error(self.source, _LISTS, "must be a table of name = [phrases]")
        table = _RulesTable(self.source, _LISTS, raw)
        for name in raw:
            if not _NAME.match(name):
                raise table.fail("name must be lower-case letters, digits, _", name)
            self.lists[name] = [
                body
                for i, phrase in enumerate(table.lines(name))
                for body in self.phrase(phrase, table, f"{name}[{i}]")[1]
            ]

    def categories(
        self, raw: object
    ) -> tuple[dict[str, CategoryInfo], dict[str, float], dict[str, str]]:
        """[categories.NAME] tables → display details and thresholds, in file order."""
        if not isinstance(raw, dict) or not raw:
            raise _error(
                self.source,
                "[categories]",
                "missing: declare at least one [categories.NAME] table",
            )
        infos: dict[str, CategoryInfo] = {}
        thresholds: dict[str, float] = {}
        grouping: dict[str, str] = {}
        for name, value in raw.items():
            where = f"[categories.{name}]"
            if not _NAME.match(name) or name == "none":
                raise _error(
                    self.source, where, "name must be lower-case letters, digits, _ (not 'none')"
                )
            table = _RulesTable(self.source, where, value)
            table.reject_unknown((*_CATEGORY_KEYS, "events"))
            table.require(_CATEGORY_KEYS)
            grouping[name] = table.data.get("events", "actors")
            if grouping[name] not in EVENT_GROUPINGS:
                raise table.fail(f"must be one of {', '.join(EVENT_GROUPINGS)}", "events")
            thresholds[name] = table.number("threshold")
            if thresholds[name] <= 0:
                raise table.fail("must be greater than 0", "threshold")
            infos[name] = CategoryInfo(
                name=name,
                label=table.line("label"),
                emoji=table.line("emoji"),
                colour=self.colour(table),
                description=table.line("description"),
            )
        return infos, thresholds, grouping

    def colour(self, table: _RulesTable) -> int:
        """A category's colour: "#RRGGBB" or an integer."""
        value = table.data["colour"]
        if isinstance(value, str) and _HEX_COLOUR.match(value):
            return int(value[1:], 16)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFF:
            return value
        raise table.fail(
            f'must be "#RRGGBB" or an integer 0x000000-0xFFFFFF, not {value!r}', "colour"
        )

    def rules(self, raw: object, categories: Mapping[str, CategoryInfo]) -> list[Rule]:
        """[[rules]] → compiled rules, each id unique within its category."""
        if not isinstance(raw, list) or not raw:
            raise _error(self.source, "[[rules]]", "missing: add at least one [[rules]] table")
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, value in enumerate(raw, start=1):
            where = f"rule #{index}"
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                where = f"rule {value.get('category')}.{value['id']}"
            table = _RulesTable(self.source, where, value)
            table.reject_unknown(_RULE_KEYS)
            table.require(("id", "category", "weight"))
            rule_id, category = table.data["id"], table.data["category"]
            if not isinstance(rule_id, str) or not _NAME.match(rule_id):
                raise table.fail(f"id must be lower-case letters, digits, _ not {rule_id!r}")
            if category not in categories:
                raise table.fail(f"category {category!r} is not declared in [categories]")
            full_id = f"{category}.{rule_id}"
            if full_id in seen:
                raise table.fail("duplicate rule id")
            seen.add(full_id)
            rules.append(self.rule(table, full_id, category))
        return rules

    def rule(self, table: _RulesTable, full_id: str, category: str) -> Rule:
        """One [[rules]] table, named "rule category.id" in messages → a Rule."""
        weight = table.number("weight")
        veto = table.boolean("veto", False)
        if weight == 0 or (veto and weight > 0):
            raise table.fail("must be non-zero, and negative for a veto rule", "weight")
        fields = table.lines("fields", list(FIELDS))
        if not set(fields) <= set(FIELDS):
            raise table.fail(f"must name only {' and '.join(FIELDS)}", "fields")
        if "note" in table.data:
            table.line("note")
        if "phrases" not in table.data and "patterns" not in table.data:
            raise table.fail("needs 'phrases' or 'patterns'")
        units = []
        if "phrases" in table.data:
            for i, text in enumerate(table.lines("phrases")):
                start, bodies, end = self.phrase(text, table, f"phrases[{i}]")
                units += [at_word_start(body, end) if start else body + end for body in bodies]
        if "patterns" in table.data:
            for i, text in enumerate(table.lines("patterns")):
                units.append(self.pattern(text, table, f"patterns[{i}]"))
        # Not compiled here: phrases become regexes by construction (every character escaped)
        # and patterns were compiled once above to check them, so nothing can fail later.
        people = any(PERSON_TAG in unit or PARTY_TAG in unit for unit in units)
        return Rule(
            full_id, category, weight, veto, frozenset(fields), tuple(dict.fromkeys(units)), people
        )

    def placeholder(self, body: str, table: _RulesTable, key: str) -> str:
        """The regex for `{@body}`: a person with a role (and party), or a party."""
        if table.label == _LISTS:
            raise table.fail("lists cannot hold {@...} placeholders", key)
        role, _, party = body.partition(":")
        if role in _PARTY_TAGS and not party:
            return rf"{PARTY_TAG}[a-z]+{PARTY_TAG}{_PARTY_TAGS[role]}"
        code = party_code(party) if party else "[a-z]*"
        if role not in _ROLES or code is None:
            known = ", ".join(f"{{@{name}}}" for name in [*_ROLES, *_PARTY_TAGS])
            raise table.fail(
                f"unknown placeholder {{@{body}}} (known: {known}; a role may name a party,"
                " as in {@mp:labour})",
                key,
            )
        return rf"{PERSON_TAG}[a-z]*{_ROLES[role]}[a-z]*:{code}{PERSON_TAG}"

    def alternation(self, name: str, table: _RulesTable, key: str) -> str:
        """The regex for any phrase of list `name`."""
        if name not in self.lists:
            raise table.fail(f"unknown list {{{name}}} (declare it under [lists])", key)
        return "(?:" + "|".join(at_word_start(b, r"(?!\w)") for b in self.lists[name]) + ")"

    def pattern(self, pattern: str, table: _RulesTable, key: str) -> str:
        """A rule's regex, its {list} references expanded, checked to compile."""
        expanded = _PLACEHOLDER.sub(lambda m: self.placeholder(m.group(1), table, key), pattern)
        expanded = _LIST_REF.sub(lambda m: self.alternation(m.group(1), table, key), expanded)
        try:
            re.compile(expanded, re.IGNORECASE)
        except re.error as exc:
            raise table.fail(f"bad regex {pattern!r}: {exc}", key) from exc
        if expanded.startswith(r"\b") and lead(expanded[2:]):  # \bX is X at a word start
            return at_word_start(expanded[2:], "")
        return expanded

    def phrase(self, phrase: str, table: _RulesTable, key: str) -> tuple[bool, list[str], str]:
        """Phrase syntax → (starts at a word start, regexes, end check).

        `*` is any word ending, `[word]` an optional word, `{list}` any phrase of a list: one
        regex per list phrase, unless that would make too many.
        """
        tokens = phrase.replace("-", " ").split()
        if not tokens or tokens[-1].startswith("["):
            raise table.fail(f"bad phrase {phrase!r}: empty, or ends with an [optional] word", key)
        choices: list[list[str]] = []
        for i, token in enumerate(tokens):
            optional = token.startswith("[") and token.endswith("]") and len(token) > 2
            word = token[1:-1] if optional else token
            pieces = [[""]]
            for chunk in filter(None, _LIST_SPLIT.split(word)):
                if chunk.startswith("{@"):
                    pieces.append([self.placeholder(chunk[2:-1], table, key)])
                    continue
                name = chunk[1:-1] if _LIST_REF.fullmatch(chunk) else None
                if name is not None and table.label == _LISTS:
                    raise table.fail("lists cannot refer to other lists", key)
                pieces.append(
                    [literal(chunk.lower())] if name is None else self.lists.get(name) or []
                )
                if name is not None and not pieces[-1]:
                    self.alternation(name, table, key)  # raises: unknown list
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
