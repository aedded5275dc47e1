"""What a parse worker runs: parse one fetched document, then classify the entries it lists.

Classifying where the parsing is done takes it, and the actors of categorised headlines, off
the main process, whose event loop and write transaction every feed shares. Each worker builds
its own classifier from the rules file (once per process, cached by the file's text).
"""

from __future__ import annotations

import functools
import gc
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.domain import Classification, Headline, pickled_by_fields
from bot.knowledge.recognise import recognise
from bot.pipeline.actors import Actors, headline_actors
from bot.pipeline.actors import prepare as prepare_actors
from bot.pipeline.classify import Classifier, shared_register
from bot.pipeline.parse import ParsedFeed, load_feedparser, parse_feed

if TYPE_CHECKING:  # a worker need not import the planning modules for a type
    from bot.pipeline.plan import ActorsOf


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ClassifiedFeed:
    """A parsed document with each headline's classification and the actors of each
    categorised one (None for the others)."""

    parsed: ParsedFeed
    classifications: tuple[Classification, ...]
    actors: tuple[Actors | None, ...]


def parse_and_classify(
    feed_name: str,
    body: bytes,
    *,
    content_type: str | None,
    base_url: str | None,
    outlet: str | None,
    rules: Path | None,
    today: date,
) -> ClassifiedFeed:
    """parse_feed, then classify every headline and find the actors of the categorised."""
    parsed = parse_feed(
        feed_name, body, content_type=content_type, base_url=base_url, outlet=outlet
    )
    classifier = Classifier.load(rules)
    _settle()
    classifications = tuple(_classified(classifier, h, today) for h in parsed.headlines)
    actors = tuple(
        headline_actors(h, c) if c.categories else None
        for h, c in zip(parsed.headlines, classifications, strict=True)
    )
    return ClassifiedFeed(parsed, classifications, actors)


def prepare_worker(rules: Path | None) -> None:
    """A parse worker's warm-up when it will classify first readings: the feed parser, the
    classifier and the register loaded before the first feed arrives, not with it."""
    load_feedparser()
    Classifier.load(rules)
    _settle()
    prepare_actors()


@functools.cache  # once per worker: its first job
def _settle() -> None:
    """Everything the worker keeps (classifier, register, name index) built, then exempt from
    the cyclic garbage collector, whose full collections would walk it again and again."""
    recognise("", "", shared_register())  # the register and its name index, which actors use
    gc.freeze()


def _classified(classifier: Classifier, headline: Headline, today: date) -> Classification:
    """As the poller classifies: on the day it was published, `today` for undated ones."""
    on = headline.published.date() if headline.published else today
    return classifier.classify(headline.title, headline.summary, on)


def actors_given(given: ClassifiedFeed | None) -> ActorsOf:
    """Actors as the workers found them, else found here."""
    if given is None:
        return headline_actors
    # By the headline's value: actors depend on nothing else.
    found = {h: a for h, a in zip(given.parsed.headlines, given.actors, strict=True) if a}

    def actors_of(headline: Headline, result: Classification) -> Actors:
        actors = found.get(headline)
        return actors if actors is not None else headline_actors(headline, result)

    return actors_of


def prepare_classifying(classifier: Classifier) -> None:
    """Everything a process classifying and placing entries builds on first use, built now."""
    classifier.prepare()
    prepare_actors()
