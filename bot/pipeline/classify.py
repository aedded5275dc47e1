"""Stage 3: Headline text → categories with evidence.

Rules come from a TOML file (bot/pipeline/rules.py reads it). Each rule that matches the title or
the summary adds its weight, times that field's weight, to its category's score; a category is
assigned when its score reaches the category's threshold and no veto rule of that category matched.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from pathlib import Path

from bot.domain import CategoryInfo, Classification, Match
from bot.pipeline.patterns import Prefilter, compile_regex, lower
from bot.pipeline.rules import FIELDS, RuleSet, parse_ruleset, read_rules_text

_EPSILON = 1e-9  # 0.7 * 1.5 must count as reaching a threshold of 1.05


class Classifier:
    """Multi-label headline classifier driven by a rules file."""

    def __init__(self, ruleset: RuleSet) -> None:
        """Index the compiled rules of `ruleset` for fast matching."""
        self._ruleset = ruleset
        self._rules = {rule.id: rule for rule in ruleset.rules}
        self._order = {rule.id: index for index, rule in enumerate(ruleset.rules)}
        # Every regex of every rule, numbered in rule order, with the rule it belongs to.
        self._units = [(i, unit) for i, rule in enumerate(ruleset.rules) for unit in rule.units]
        # Each compiled when first searched: compiling all ~800 is noticeable, and a `poll` whose
        # feeds are all unchanged classifies nothing. The prefilter skips most regexes for
        # most headlines, so many are compiled late or never in a short-lived process.
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self._units)
        self._prefilters: dict[str, Prefilter] | None = None
        self._prefilters_lock = threading.Lock()

    def prepare(self) -> None:
        """Compile every regex and build the matching index now, not on the first headlines."""
        self._index()
        for unit in range(len(self._units)):
            self._regex(unit)

    def _regex(self, unit: int) -> re.Pattern[str]:
        regex = self._compiled[unit]
        if regex is None:  # two threads may both compile it: harmless, and no lock per search
            regex = self._compiled[unit] = compile_regex(self._units[unit][1])
        return regex

    def _index(self) -> dict[str, Prefilter]:
        # Built on first use, like the regexes: analysing them costs as much again. `run`
        # calls prepare() before polling, so its first cold cycle does not stall the event
        # loop doing this.
        if self._prefilters is None:
            with self._prefilters_lock:
                if self._prefilters is None:
                    self._prefilters = {
                        field: Prefilter(
                            [
                                u if field in self._ruleset.rules[i].fields else None
                                for i, u in self._units
                            ]
                        )
                        for field in FIELDS
                    }
        return self._prefilters

    @classmethod
    def load(cls, path: Path | None = None) -> Classifier:
        """Build a classifier from a rules file; None means the packaged rules."""
        return _built(*read_rules_text(path))

    @property
    def categories(self) -> Mapping[str, CategoryInfo]:
        """The categories of the rules file, in file order."""
        return self._ruleset.categories

    def _matches(self, title: str, summary: str, *, complete: bool) -> list[Match]:
        """The rules that matched, with their weighted contributions.

        Exclusions can only lower a score, so unless `complete` they are tried only for the
        categories whose positive evidence reaches the threshold: the decisions are the same.
        """
        rules, units, prefilters = self._ruleset.rules, self._units, self._index()
        compiled = self._compiled
        found: list[Match] = []
        exclusions = []
        for field, text in (("title", title), ("summary", summary)):
            if not text:
                continue
            lowered = lower(text)
            weight = self._ruleset.field_weights[field]
            done = -1  # a rule counts once per field: skip its other regexes once one matched
            for unit in sorted(prefilters[field].candidates(lowered)):
                index = units[unit][0]
                rule = rules[index]
                if index == done:
                    continue
                regex = compiled[unit] or self._regex(unit)
                if rule.weight < 0 and not complete:
                    exclusions.append((rule, regex, field, text, lowered, weight))
                elif hit := regex.search(lowered):
                    done = index
                    words = text[hit.start() : hit.end()]
                    found.append(Match(rule.category, rule.id, field, words, rule.weight * weight))
        if exclusions:
            scores = dict.fromkeys(self.categories, 0.0)
            for match in found:
                scores[match.category] += match.weight
            thresholds = self._ruleset.thresholds
            matched = set()
            for rule, regex, field, text, lowered, weight in exclusions:
                if scores[rule.category] + _EPSILON < thresholds[rule.category]:
                    continue
                if (rule.id, field) not in matched and (hit := regex.search(lowered)):
                    matched.add((rule.id, field))
                    words = text[hit.start() : hit.end()]
                    found.append(Match(rule.category, rule.id, field, words, rule.weight * weight))
        found.sort(key=lambda m: (self._order[m.rule], m.field != "title"))
        return found

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

    def classify(self, title: str, summary: str = "") -> Classification:
        """The categories of one headline, with the matches behind them and the scores.

        Exclusion rules appear among the matches only for categories that had enough positive
        evidence to be in question; explain() shows every rule.
        """
        found = self._matches(title, summary, complete=False)
        if not found:
            return Classification(categories=())
        scores, _, chosen = self._decide(found)
        ordered = tuple(
            (name, round(scores[name], 6)) for name in self.categories if name in scores
        )
        return Classification(categories=tuple(chosen), matches=tuple(found), scores=ordered)

    def explain(self, title: str, summary: str = "") -> str:
        """A human-readable account: every matching rule, its words and weight, each decision."""
        found = self._matches(title, summary, complete=True)
        scores, vetoes, chosen = self._decide(found)
        weights = self._ruleset.field_weights
        lines = [f"Title:      {title}", f"Summary:    {summary or '(none)'}"]
        lines.append(f"Categories: {', '.join(chosen) or 'none'}")
        weighting = f"title x{weights['title']:g}, summary x{weights['summary']:g}"
        lines.append(f"Rules:      {self._ruleset.source} ({weighting})")
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
                )
        return "\n".join(lines)


# Reading the config checks the rules (and compiles their patterns to do it), then the runtime
# needs the classifier: the same text is built once per process, not twice. A
# Classifier only ever fills in caches of what its rules determine, so sharing one is safe; an
# edited file is new text and builds anew.
@functools.lru_cache(maxsize=4)
def _built(source: str, text: str) -> Classifier:
    return Classifier(parse_ruleset(source, text))
