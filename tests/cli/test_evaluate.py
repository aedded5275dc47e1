"""`division-bell eval` and `classify` bodies: scoring labelled headlines, JSON Lines in and out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli.evaluate import read_labelled, run_classify, run_eval, score
from bot.errors import ConfigError
from bot.pipeline.classify import Classifier

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dev.jsonl"

ITEMS = [
    {"id": "a1", "title": "Tory MP defects to Labour", "summary": "", "labels": ["defection"]},
    {"id": "a2", "title": "PMQs: Starmer v Badenoch", "labels": ["pmqs"]},
    {"id": "a3", "title": "Weather: sunny spells", "summary": "", "labels": ["none"]},
    {"id": "a4", "title": "Chancellor faces questions over plan", "labels": ["pmqs"]},
    {"id": "a5", "title": "Covid inquiry hears from adviser", "labels": ["none"]},
    {
        "id": "a6",
        "title": "Leader denies jibe",
        "labels": ["pmqs"],
        "note": "Implicit: said at PMQs",
    },
    {"id": "a7", "title": "Tory MPs submit letters of no confidence", "labels": ["letters"]},
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in ITEMS) + "\n\n", encoding="utf-8")
    return path


def test_eval_prints_table_summary_and_misses(labelled: Path, classifier: Classifier) -> None:
    out = io.StringIO()
    assert run_eval(labelled, classifier, as_json=False, out=out) == 0
    text = out.getvalue()
    assert "7 items; 6 scored, 1 implicit" in text
    lines = text.splitlines()
    assert any(
        line.split()[:5] == ["category", "precision", "recall", "f1", "support"] for line in lines
    )
    rows = {
        line.split()[0]: line.split()[1:] for line in lines if line and not line.startswith(" ")
    }
    assert rows["defection"] == ["1.000", "1.000", "1.000", "1", "1", "0", "0"]
    assert rows["pmqs"] == ["1.000", "0.500", "0.667", "2", "1", "0", "1"]
    assert rows["inquiry"] == ["0.000", "-", "-", "0", "0", "1", "0"]
    assert rows["implicit"][:7] == ["-", "0.000", "-", "1", "0", "0", "1"]
    assert rows["micro"] == ["0.750", "0.750", "0.750"]
    assert "exact match   0.667 of 6 items" in text
    assert "Misclassified (3):" in text
    miss = text[text.index("a4") :]
    assert "no rule fired" in miss.splitlines()[2]
    assert "inquiry.named_inquiry title 'Covid inquiry' +2.00" in text
    assert "a6 [implicit]  expected: pmqs  got: none" in text


def test_eval_json_has_the_same_figures(labelled: Path, classifier: Classifier) -> None:
    out = io.StringIO()
    assert run_eval(labelled, classifier, as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    assert report["file"] == str(labelled)
    assert (report["items"], report["scored"]) == (7, 6)
    assert report["categories"]["pmqs"]["recall"] == 0.5
    assert report["categories"]["inquiry"]["precision"] == 0.0
    assert report["categories"]["inquiry"]["recall"] is None
    assert report["implicit"]["items"] == 1
    assert report["implicit"]["recall"] == 0.0
    assert report["micro"]["f1"] == pytest.approx(0.75)
    misses = {m["id"]: m for m in report["misclassified"]}
    assert set(misses) == {"a4", "a5", "a6"}
    assert misses["a4"]["evidence"] == {}
    assert misses["a5"]["predicted"] == ["inquiry"]
    assert misses["a5"]["evidence"]["inquiry"]["matches"][0]["rule"] == "inquiry.named_inquiry"
    assert misses["a6"]["implicit"] is True


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", r"labelled.jsonl:2: not JSON"),
        ('["a list"]', r"labelled.jsonl:2: each line must be a JSON object"),
        ('{"id": "x", "title": "T", "labels": []}', "'labels' must be a non-empty list"),
        ('{"id": "x", "title": "T", "labels": ["gossip"]}', "unknown label 'gossip'"),
        ('{"id": "x", "title": "T", "labels": ["none", "pmqs"]}', "'none' cannot be combined"),
        ('{"id": "x", "title": 3, "labels": ["pmqs"]}', "'title' must be a string"),
    ],
)
def test_bad_labelled_lines_name_file_and_line(
    tmp_path: Path, classifier: Classifier, line: str, message: str
) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        run_eval(path, classifier, as_json=False, out=io.StringIO())


def test_missing_labelled_file_is_a_config_error(tmp_path: Path, classifier: Classifier) -> None:
    with pytest.raises(ConfigError, match=r"missing\.jsonl: cannot read labelled headlines"):
        run_eval(tmp_path / "missing.jsonl", classifier, as_json=True, out=io.StringIO())


def test_classify_text_prints_the_explanation(classifier: Classifier) -> None:
    out = io.StringIO()
    code = run_classify("Tory MP defects to Labour", classifier, stdin=io.StringIO(), out=out)
    assert code == 0
    assert out.getvalue() == classifier.explain("Tory MP defects to Labour") + "\n"


def test_classify_json_lines_with_bad_lines(classifier: Classifier) -> None:
    stdin = io.StringIO(
        "\n".join(
            [
                json.dumps({"id": 1, "title": "PMQs: Starmer v Badenoch", "summary": ""}),
                "{broken",
                json.dumps({"id": "no-title", "summary": "x"}),
                "",
                json.dumps(["not", "an", "object"]),
                json.dumps({"id": "b", "title": "Weather", "summary": None}),
                json.dumps({"id": "c", "title": "Weather", "summary": 7}),
            ]
        )
    )
    out = io.StringIO()
    assert run_classify(None, classifier, stdin=stdin, out=out) == 1
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 6
    assert rows[0]["id"] == 1
    assert rows[0]["categories"] == ["pmqs"]
    assert rows[0]["evidence"]["pmqs"] == [
        {"rule": "pmqs.pmqs", "field": "title", "text": "PMQs", "weight": 2.0}
    ]
    assert rows[1]["id"] is None
    assert "not JSON" in rows[1]["error"]
    assert rows[2] == {"id": "no-title", "error": "'title' must be a string"}
    assert "JSON object" in rows[3]["error"]
    assert rows[4] == {"id": "b", "categories": [], "evidence": {}}
    assert rows[5]["error"] == "'summary' must be a string"


def test_classify_json_lines_all_good_returns_zero(classifier: Classifier) -> None:
    stdin = io.StringIO(json.dumps({"id": "x", "title": "Covid inquiry: day one"}) + "\n")
    out = io.StringIO()
    assert run_classify(None, classifier, stdin=stdin, out=out) == 0
    assert json.loads(out.getvalue())["categories"] == ["inquiry"]


@pytest.mark.shared
def test_dev_corpus_meets_the_targets(classifier: Classifier) -> None:
    if not DEV.is_file():
        pytest.skip("../shared/corpus/dev.jsonl is not present")
    report = score(read_labelled(DEV, classifier.categories), classifier)
    for name, figures in report["categories"].items():
        assert figures["precision"] >= 0.95, (name, figures)
        assert figures["recall"] >= 0.90, (name, figures)
