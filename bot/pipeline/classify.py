"""Stage 3: Headline text → categories with evidence.

Rules come from a TOML file (bot/pipeline/rules.py reads it). Each rule that matches the title or
the summary adds its weight, times that field's weight, to its category's score; a category is
assigned when its score reaches the category's threshold and no veto rule of that category matched.
People rules ({@mp}, {@other_party}…) match the text with the register's people and the parties
tagged (bot.knowledge.tags); names are recognised only when the prefilter says such a rule could
match, and the register is loaded on first need.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from bot.domain import CategoryInfo, Classification, Match
from bot.knowledge.parties import alias_pattern
from bot.knowledge.recognise import Mention, recognise
from bot.knowledge.register import Register
from bot.knowledge.tags import PERSON, Tagged, related, tag_field
from bot.pipeline import rules_cache
from bot.pipeline.patterns import Prefilter, compile_regex, lower, required
from bot.pipeline.rules import FIELDS, RuleSet, parse_ruleset, read_rules_text

_EPSILON = 1e-9  # 0.7 * 1.5 must count as reaching a threshold of 1.05
_REGISTER_LOCK = threading.Lock()
_REGISTER: list[Register] = []  # one per process, loaded on first need; shared by classifiers


def shared_register() -> Register:
    """The packaged register of people, loaded once per process."""
    if not _REGISTER:
        with _REGISTER_LOCK:
            if not _REGISTER:
                _REGISTER.append(Register.load())
    return _REGISTER[0]


class _People:
    """The names of one headline, recognised and tagged only if a people rule asks."""

    def __init__(self, title: str, summary: str, on: date | None) -> None:
        self.texts = {"title": title, "summary": summary}
        self._on = on  # today is looked up only if a people rule needs the date
        self.mentions: list[Mention] | None = None
        self._tagged: dict[str, Tagged] = {}

    @property
    def on(self) -> date:
        """The headline's date (today if it has none)."""
        return self._on or datetime.now(UTC).date()

    def tagged(self, field: str, lowered: str, needs_person: bool) -> Tagged | None:
        """The field's lower-cased text with its people and parties tagged; None when the
        rule needs a person and the field names none (most fields: no tagging then)."""
        if self.mentions is None:
            self._on = self.on
            self.mentions = recognise(
                self.texts["title"], self.texts["summary"], shared_register(), self._on
            )
        tagged = self._tagged.get(field)
        if tagged is None:
            mine = [m for m in self.mentions if m.field == field]
            if needs_person and not mine:
                return None
            tagged = self._tagged[field] = tag_field(self.texts[field], lowered, mine, self.on)
        return tagged


# Prefilter groups: the wording rules that add to a score are searched in every headline; the
# exclusions and the people rules only for the categories where they can matter.
_WORDING, _EXCLUSIONS, _PEOPLE = range(3)
# One field of a headline: its name, text, lower-cased text, weight and what the prefilter found.
_Field = tuple[str, str, str, float, set[str]]


class Classifier:
    """Multi-label headline classifier driven by a rules file."""

    def __init__(self, ruleset: RuleSet) -> None:
        """Index the compiled rules of `ruleset` for fast matching."""
        self._ruleset = ruleset
        self._rules = {rule.id: rule for rule in ruleset.rules}
        self._order = {rule.id: index for index, rule in enumerate(ruleset.rules)}
        # Every regex of every rule, numbered in rule order, with the rule it belongs to.
        self._units = [(i, unit) for i, rule in enumerate(ruleset.rules) for unit in rule.units]
        # Each compiled when first searched (~800 take a while), unless the rules cache held
        # them all compiled (rules_cache: a process after the first compiles none).
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self._units)
        self._prefilters: dict[str, Prefilter] | None = None
        self._prefilters_lock = threading.Lock()
        rules = ruleset.rules
        self._people_units = frozenset(u for u, (i, _) in enumerate(self._units) if rules[i].people)
        self._unit_rules = [(i, rules[i]) for i, _ in self._units]  # looked up once per candidate
        self._groups = [
            _EXCLUSIONS if rule.weight < 0 else _PEOPLE if rule.people else _WORDING
            for _, rule in self._unit_rules
        ]
        self._needs: list[tuple[str, ...]] = []  # see patterns.required; built with the index
        self._cache_as: tuple[str, str] | None = None  # (source, text): store the index built
        # Units with {@other_party} / {@own_party}: a match must also relate party and person.
        self._relations = {
            u: "(?#own)" in source
            for u, (_, source) in enumerate(self._units)
            if "(?#own)" in source or "(?#other)" in source
        }

    def prepare(self) -> None:
        """Compile every regex and build the matching index now, not on the first headlines."""
        self._index()
        for unit in range(len(self._units)):
            self._regex(unit)
        if self._people_units:  # the register and its name index, not on the first headline
            recognise("", "", shared_register())
            alias_pattern()  # people rules search text with party names tagged

    def _regex(self, unit: int) -> re.Pattern[str]:
        regex = self._compiled[unit]
        if regex is None:  # two threads may both compile it: harmless, and no lock per search
            regex = self._compiled[unit] = compile_regex(self._units[unit][1])
        return regex

    def _index(self) -> dict[str, Prefilter]:
        # Built on first use, like the regexes (analysing them costs as much again); `run` and
        # `poll` call prepare() early, so no cycle stalls the event loop doing this.
        if self._prefilters is None:
            with self._prefilters_lock:
                if self._prefilters is None:
                    # People regexes are searched in tagged text, which their strings may not be.
                    self._needs = [
                        () if u in self._people_units else required(source)
                        for u, (_, source) in enumerate(self._units)
                    ]
                    rules = self._ruleset.rules
                    self._prefilters = {
                        field: Prefilter(
                            [u if field in rules[i].fields else None for i, u in self._units],
                            self._groups,
                            count=3,
                        )
                        for field in FIELDS
                    }
                    if self._cache_as is not None:  # every regex compiled, for the cache
                        compiled = tuple(self._regex(u) for u in range(len(self._units)))
                        built = rules_cache.Built(
                            self._ruleset, self._needs, self._prefilters, compiled
                        )
                        rules_cache.save(*self._cache_as, built)
        return self._prefilters

    @classmethod
    def load(cls, path: Path | None = None) -> Classifier:
        """Build a classifier from a rules file; None means the packaged rules."""
        return _built(*read_rules_text(path))

    @property
    def categories(self) -> Mapping[str, CategoryInfo]:
        """The categories of the rules file, in file order."""
        return self._ruleset.categories

    @property
    def grouping(self) -> Mapping[str, str]:
        """How each category's reports group into events: "actors" or "day"."""
        return self._ruleset.grouping

    def _matches(self, title: str, summary: str, people: _People, *, complete: bool) -> list[Match]:
        """The rules that matched, with their weighted contributions.

        Exclusions can only lower a score, so unless `complete` they are tried only for the
        categories whose positive evidence reaches the threshold: the decisions are the same.
        """
        prefilters, weights = self._index(), self._ruleset.field_weights
        fields: list[_Field] = []
        for field, text in (("title", title), ("summary", summary)):
            if text:
                lowered = lower(text)
                found = prefilters[field].found(lowered)
                fields.append((field, text, lowered, weights[field], found))
        matches = self._wording(fields)
        if complete:
            every = set(self.categories)
            matches += self._searched(fields, (_EXCLUSIONS, _PEOPLE), every, people)
        elif fields:
            matches += self._settle(matches, fields, people)
        matches.sort(key=lambda m: (self._order[m.rule], m.field != "title"))
        return matches

    def _wording(self, fields: list[_Field]) -> list[Match]:
        """The matches of the wording rules that add to a score: searched in every headline."""
        prefilters, compiled, unit_rules, needs = (
            self._index(),
            self._compiled,
            self._unit_rules,
            self._needs,
        )
        found: list[Match] = []
        for field, text, lowered, weight, scanned in fields:
            done = -1  # a rule counts once per field: skip its other regexes once one matched
            for unit in sorted(prefilters[field].group(scanned, _WORDING)):
                index, rule = unit_rules[unit]
                if index == done:
                    continue
                for need in needs[unit]:  # a string the regex needs is missing: no search
                    if need not in lowered:
                        break
                else:
                    if hit := (compiled[unit] or self._regex(unit)).search(lowered):
                        done = index
                        words = text[hit.start() : hit.end()]
                        found.append(
                            Match(rule.category, rule.id, field, words, rule.weight * weight)
                        )
        return found

    def _searched(
        self, fields: list[_Field], groups: tuple[int, ...], categories: set[str], people: _People
    ) -> list[Match]:
        """The matches of the regexes in prefilter `groups` of rules of `categories`, each rule
        once per field."""
        if not categories:
            return []
        prefilters, unit_rules = self._index(), self._unit_rules
        found: list[Match] = []
        for field, text, lowered, weight, scanned in fields:
            units = prefilters[field].group(scanned, *groups)
            done = -1  # a rule's regexes are numbered together: skip the rest once one matched
            for unit in sorted(units):
                index, rule = unit_rules[unit]
                if (
                    index != done
                    and rule.category in categories
                    and (said := self._search(unit, text, lowered, field, people)) is not None
                ):
                    done = index
                    found.append(Match(rule.category, rule.id, field, said, rule.weight * weight))
        return found

    def _settle(self, found: list[Match], fields: list[_Field], people: _People) -> list[Match]:
        """Exclusion and people-rule matches, with names recognised only where they can matter.

        Positive rules only raise a score, so a category the wording alone decided, with no
        exclusion against it, keeps its decision without the people rules: recognising names
        (the costly part) is skipped for it. Everywhere else the result is what trying every
        rule would give.
        """
        thresholds = self._ruleset.thresholds
        wording = self._scores(found)
        reached = {c for c, s in wording.items() if s + _EPSILON >= thresholds[c]}
        excluded = self._searched(fields, (_EXCLUSIONS,), reached, people)
        decided = reached - {match.category for match in excluded}
        named = self._searched(fields, (_PEOPLE,), set(wording) - decided, people)
        if not named:
            return excluded
        # Categories the people rules lifted to their threshold still face their exclusions.
        lifted = {
            c
            for c, s in self._scores([*found, *named]).items()
            if s + _EPSILON >= thresholds[c] and wording[c] + _EPSILON < thresholds[c]
        }
        return excluded + named + self._searched(fields, (_EXCLUSIONS,), lifted, people)

    def _scores(self, matches: list[Match]) -> dict[str, float]:
        scores = dict.fromkeys(self.categories, 0.0)
        for match in matches:
            scores[match.category] += match.weight
        return scores

    def _search(
        self, unit: int, text: str, lowered: str, field: str, people: _People
    ) -> str | None:
        """The words of `text` that regex `unit` matches, if any; people tagged if it asks."""
        # Compiled only once it is sure to be searched: a short-lived `poll` compiles no more
        # regexes than its headlines need.
        if unit not in self._people_units:
            for need in self._needs[unit]:  # as in _wording
                if need not in lowered:
                    return None
            hit = (self._compiled[unit] or self._regex(unit)).search(lowered)
            return text[hit.start() : hit.end()] if hit else None
        tagged = people.tagged(field, lowered, PERSON in self._units[unit][1])
        if tagged is None:
            return None
        same = self._relations.get(unit)
        for hit in (self._compiled[unit] or self._regex(unit)).finditer(tagged.text):
            if same is None or related(hit.group(), same):
                start, end = tagged.original(hit.start()), tagged.original(hit.end(), end=True)
                return text[start:end]
        return None

    def _decide(self, found: list[Match]) -> tuple[dict[str, float], dict[str, Match], list[str]]:
        scores: dict[str, float] = {}
        vetoes: dict[str, Match] = {}
        for match in found:
            scores[match.category] = scores.get(match.category, 0.0) + match.weight
            if self._rules[match.rule].veto:
                vetoes.setdefault(match.category, match)
        chosen = [
            name
            for name, threshold in self._ruleset.thresholds.items()
            if name in scores and name not in vetoes and scores[name] + _EPSILON >= threshold
        ]
        return scores, vetoes, chosen

    def classify(self, title: str, summary: str = "", on: date | None = None) -> Classification:
        """The categories of one headline, with the matches behind them and the scores.

        Exclusion rules appear among the matches only for categories that had enough positive
        evidence to be in question; explain() shows every rule. `on` is the headline's date,
        for who held which seat, party and post (None: today).
        """
        found = self._matches(title, summary, _People(title, summary, on), complete=False)
        if not found:
            return Classification(categories=())
        scores, _, chosen = self._decide(found)
        ordered = tuple(
            (name, round(scores[name], 6)) for name in self.categories if name in scores
        )
        return Classification(categories=tuple(chosen), matches=tuple(found), scores=ordered)

    def people(self, title: str, summary: str = "", on: date | None = None) -> list[Mention]:
        """The register's people named in a headline (recognised whether or not a rule asks)."""
        if not self._people_units:
            return []
        return recognise(title, summary, shared_register(), on)

    def explain(self, title: str, summary: str = "", on: date | None = None) -> str:
        """A human-readable account: every matching rule, its words and weight, each decision."""
        people = _People(title, summary, on)
        found = self._matches(title, summary, people, complete=True)
        scores, vetoes, chosen = self._decide(found)
        weights = self._ruleset.field_weights
        lines = [f"Title:      {title}", f"Summary:    {summary or '(none)'}"]
        lines.append(f"Categories: {', '.join(chosen) or 'none'}")
        weighting = f"title x{weights['title']:g}, summary x{weights['summary']:g}"
        lines.append(f"Rules:      {self._ruleset.source} ({weighting})")
        lines += self._people_lines(title, summary, people.on)
        for name, threshold in self._ruleset.thresholds.items():
            mine = [m for m in found if m.category == name]
            score = scores.get(name, 0.0)
            verdict = (
                "YES"
                if name in chosen
                else "no - "
                + (
                    f"vetoed by {vetoes[name].rule}"
                    if name in vetoes
                    else "below threshold"
                    if mine
                    else "no rule matched"
                )
            )
            relation = ">=" if score + _EPSILON >= threshold else "<"
            lines += [
                "",
                f"{name}: {verdict} (score {score:.2f} {relation} threshold {threshold:g})",
            ]
            for m in mine:
                rule = self._rules[m.rule]
                kind = "veto" if rule.veto else "include" if rule.weight > 0 else "exclude"
                lines.append(
                    f"  {m.weight:+.2f}  {m.rule} [{kind}] {m.field} {m.text!r}"
                    f" (weight {rule.weight:g} x {m.field} {weights[m.field]:g})"
                    + (" people rule" if rule.people else "")
                )
        return "\n".join(lines)

    def _people_lines(self, title: str, summary: str, on: date) -> list[str]:
        """'People:' lines for explain(): who was recognised and what they were on `on`."""
        mentions = self.people(title, summary, on)
        if not self._people_units:
            return []
        found = "" if mentions else " none recognised"
        lines = [f"People:    {found} (as of {on})"]
        for mention in mentions:
            if mention.person is not None:
                lines.append(f"  {mention.text!r} ({mention.field}): {mention.person.describe(on)}")
            else:
                names = "; ".join(p.describe(on) for p in mention.candidates)
                lines.append(f"  {mention.text!r} ({mention.field}): ambiguous: {names}")
        return lines


# Reading the config checks the rules, then the runtime needs the classifier: the same text is
# built once per process. A Classifier only fills in caches of what its rules determine, so
# sharing one is safe; an edited file is new text and builds anew.
@functools.lru_cache(maxsize=4)
def _built(source: str, text: str) -> Classifier:
    cached = rules_cache.load(source, text)
    if cached is not None:  # validated and indexed by an earlier process
        classifier = Classifier(cached.ruleset)
        classifier._needs, classifier._prefilters = cached.needs, cached.prefilters
        classifier._compiled = list(cached.compiled)
        return classifier
    classifier = Classifier(parse_ruleset(source, text))
    classifier._cache_as = (source, text)
    return classifier
