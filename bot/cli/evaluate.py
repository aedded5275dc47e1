"""Score the classifier on labelled headlines, and classify headlines given on the command line.

The platform-neutral bodies of `division-bell eval FILE` and `division-bell classify [TEXT]`.
A labelled file is JSON Lines: {"id", "title", "summary"?, "labels": [...], "note"?}, where the
label "none" means no category; an optional "published" dates an item for the people rules.
Items whose note starts "Implicit:" need context the text does not state; they are scored on a
line of their own and kept out of the main figures.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.domain import Classification
from bot.errors import ConfigError
from bot.knowledge.recognise import Mention
from bot.pipeline.classify import Classifier

IMPLICIT_PREFIX = "Implicit:"
NONE_LABEL = "none"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One line of a labelled file."""

    id: str
    title: str
    summary: str
    labels: frozenset[str]  # empty = "none"
    implicit: bool
    on: date | None = None  # from an optional "published" (ISO date or date-time)


def published_date(raw: Mapping[str, Any]) -> date | None:
    """The date of an optional "published" field (ISO date or date-time); None if absent or bad."""
    value = raw.get("published")
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def read_labelled(path: Path, categories: Collection[str]) -> list[LabelledItem]:
    """Read a labelled JSON Lines file; ConfigError names the file and line of any fault."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read labelled headlines: {exc}") from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: each line must be a JSON object")
        title, summary, labels, note = (raw.get(k) for k in ("title", "summary", "labels", "note"))
        if not isinstance(title, str) or not isinstance(summary, str | None):
            raise ConfigError(f"{where}: 'title' must be a string, 'summary' a string if given")
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) for x in labels)
        ):
            raise ConfigError(f"{where}: 'labels' must be a non-empty list of strings")
        unknown = sorted(set(labels) - set(categories) - {NONE_LABEL})
        if unknown:
            known = ", ".join([*categories, NONE_LABEL])
            raise ConfigError(f"{where}: unknown label {unknown[0]!r} (known: {known})")
        if NONE_LABEL in labels and len(labels) > 1:
            raise ConfigError(f"{where}: 'none' cannot be combined with other labels")
        items.append(
            LabelledItem(
                id=str(raw.get("id", f"line {number}")),
                title=title,
                summary=summary or "",
                labels=frozenset(labels) - {NONE_LABEL},
                implicit=isinstance(note, str) and note.startswith(IMPLICIT_PREFIX),
                on=published_date(raw),
            )
        )
    return items


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _figures(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _evidence(result: Classification, categories: Collection[str]) -> dict[str, Any]:
    scores = dict(result.scores)
    return {
        name: {
            "score": round(scores[name], 4),
            "matches": [
                {"rule": m.rule, "field": m.field, "text": m.text, "weight": round(m.weight, 4)}
                for m in result.matches
                if m.category == name
            ],
        }
        for name in categories
        if name in scores
    }


def score(items: list[LabelledItem], classifier: Classifier) -> dict[str, Any]:
    """Precision, recall and F1 per category, micro and macro figures, and the misclassified."""
    names = list(classifier.categories)
    counts = {part: {n: [0, 0, 0] for n in names} for part in ("main", "implicit")}
    exact = {"main": 0, "implicit": 0}
    misclassified: list[dict[str, Any]] = []
    with_people = 0
    for item in items:
        result = classifier.classify(item.title, item.summary, item.on)
        mentions = classifier.people(item.title, item.summary, item.on)
        people = list(dict.fromkeys(describe_mention(m, item.on) for m in mentions))
        with_people += bool(people)
        predicted = frozenset(result.categories)
        part = "implicit" if item.implicit else "main"
        for name in names:
            tally = counts[part][name]
            tally[0] += name in predicted and name in item.labels
            tally[1] += name in predicted and name not in item.labels
            tally[2] += name not in predicted and name in item.labels
        if predicted == item.labels:
            exact[part] += 1
            continue
        misclassified.append(
            {
                "id": item.id,
                "title": item.title,
                "summary": item.summary,
                "expected": sorted(item.labels, key=names.index) or [NONE_LABEL],
                "predicted": list(result.categories) or [NONE_LABEL],
                "implicit": item.implicit,
                "evidence": _evidence(result, names),
                "people": people,
            }
        )
    per_category = {n: _figures(*counts["main"][n]) for n in names}
    totals = [sum(counts["main"][n][i] for n in names) for i in range(3)]
    implicit_totals = [sum(counts["implicit"][n][i] for n in names) for i in range(3)]
    n_main = sum(not i.implicit for i in items)
    n_implicit = len(items) - n_main
    misclassified.sort(key=lambda m: m["implicit"])
    return {
        "items": len(items),
        "scored": n_main,
        "categories": per_category,
        "micro": {k: _figures(*totals)[k] for k in ("precision", "recall", "f1")},
        "macro": {
            k: _mean([f[k] for f in per_category.values()]) for k in ("precision", "recall", "f1")
        },
        "exact_match": _ratio(exact["main"], n_main),
        "implicit": {
            "items": n_implicit,
            "exact_match": _ratio(exact["implicit"], n_implicit),
            **_figures(*implicit_totals),
        },
        "people": {"items": with_people},
        "misclassified": misclassified,
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(report: Mapping[str, Any], path: Path) -> str:
    """The text form of a `score` report: table, summary, then the misclassified items."""
    header = f"{'category':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"
    lines = [
        f"{path}: {report['items']} items; {report['scored']} scored, "
        f"{report['implicit']['items']} implicit (scored on their own line)",
        "",
        header + f"{'tp':>5}{'fp':>5}{'fn':>5}",
    ]

    def row(name: str, f: Mapping[str, Any], counts: bool = True) -> str:
        text = f"{name:<14}{_fmt(f['precision']):>10}{_fmt(f['recall']):>8}{_fmt(f['f1']):>8}"
        if counts:
            text += f"{f['support']:>9}{f['tp']:>5}{f['fp']:>5}{f['fn']:>5}"
        return text

    lines += [row(name, f) for name, f in report["categories"].items()]
    lines += [row("micro", report["micro"], counts=False), row("macro", report["macro"], False)]
    lines.append(f"exact match   {_fmt(report['exact_match'])} of {report['scored']} items")
    lines.append(row("implicit", report["implicit"]) + "  (notes starting 'Implicit:')")
    lines.append(
        f"people        {report['people']['items']} of {report['items']} items name someone"
        " in the register of Westminster people"
    )
    lines += ["", f"Misclassified ({len(report['misclassified'])}):"]
    for miss in report["misclassified"]:
        tag = " [implicit]" if miss["implicit"] else ""
        expected, predicted = ", ".join(miss["expected"]), ", ".join(miss["predicted"])
        lines.append(f"  {miss['id']}{tag}  expected: {expected}  got: {predicted}")
        lines.append(f"    title:   {miss['title']}")
        if miss["summary"]:
            lines.append(f"    summary: {miss['summary']}")
        lines += [f"    person:  {person}" for person in miss["people"]]
        if not miss["evidence"]:
            lines.append("    no rule fired")
        for name, found in miss["evidence"].items():
            shown = "; ".join(
                f"{m['rule']} {m['field']} {m['text']!r} {m['weight']:+.2f}"
                for m in found["matches"]
            )
            lines.append(f"    {name} {found['score']:.2f}: {shown}")
    return "\n".join(lines) + "\n"


def run_eval(path: Path, classifier: Classifier, *, as_json: bool, out: TextIO) -> int:
    """`division-bell eval FILE`: print the scores; ConfigError (exit 2) if FILE is unusable."""
    report = score(read_labelled(path, classifier.categories), classifier)
    if as_json:
        out.write(json.dumps({"file": str(path), **report}, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render(report, path))
    return 0


def classify_line(line: str, classifier: Classifier) -> dict[str, Any]:
    """One `classify` input line → its output object (an "error" object for a bad line)."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"not JSON: {exc}"}
    if not isinstance(raw, dict):
        return {"id": None, "error": "each line must be a JSON object"}
    ident, title, summary = raw.get("id"), raw.get("title"), raw.get("summary", "")
    if not isinstance(title, str):
        return {"id": ident, "error": "'title' must be a string"}
    if not isinstance(summary, str | None):
        return {"id": ident, "error": "'summary' must be a string"}
    result = classifier.classify(title, summary or "", published_date(raw))
    evidence = {
        name: [
            {"rule": m.rule, "field": m.field, "text": m.text, "weight": round(m.weight, 4)}
            for m in result.evidence_for(name)
        ]
        for name in result.categories
    }
    return {"id": ident, "categories": list(result.categories), "evidence": evidence}


def describe_mention(mention: Mention, on: date | None) -> str:
    """One line on a recognised name: who it is (or could be) on `on`."""
    described = "; or ".join(person.describe(on) for person in mention.candidates)
    return f"{mention.text!r}: {described}"


def run_classify(
    text: str | None,
    classifier: Classifier,
    *,
    stdin: TextIO,
    out: TextIO,
    on: date | None = None,
) -> int:
    """`division-bell classify [TEXT]`: explain TEXT, or classify JSON Lines from stdin.

    `on` dates TEXT (default today); JSON lines may carry their own "published".
    Returns 0, or 1 when any input line was bad (each bad line still gets an "error" line).
    """
    if text is not None:
        out.write(classifier.explain(text, on=on) + "\n")
        return 0
    status = 0
    for line in stdin:
        if not line.strip():
            continue
        result = classify_line(line, classifier)
        status = 1 if "error" in result else status
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()  # a pipeline reading our output sees each answer as soon as it is ready
    return status
