"""Story matching: same people doing the same thing is one story; anything else is two."""

from __future__ import annotations

import pytest

from bot.domain import Signature
from bot.pipeline.stories import same_story, signature

SAME = [
    (
        "Tory MP Christian Wakeford defects to Labour",
        "Christian Wakeford: Tory MP defects to Labour in blow to Boris Johnson",
    ),
    (
        "Bury South MP Christian Wakeford quits Tories to join Labour",
        "Christian Wakeford: Tory MP defects to Labour in blow to Boris Johnson",
    ),
    ("Wakeford defects to Labour", "Christian Wakeford defects to Labour"),
    (
        "Boris Johnson to face confidence vote after 54 letters",
        "Johnson faces no-confidence vote as 1922 Committee threshold reached",
    ),
    ("PMQs: Starmer and Sunak clash over NHS", "PMQs live: Sunak and Starmer clash on NHS waiting"),
    ("Sue Gray report published", "UPDATE 2- Sue Gray report: full findings published"),
    ("Natalie Elphicke defects to Labour", "Dover MP Natalie Elphicke crosses the floor to Labour"),
]

DIFFERENT = [
    # Two MPs defecting the same day: two stories, though the wording is the same.
    ("Tory MP Christian Wakeford defects to Labour", "Tory MP Dan Poulter defects to Labour"),
    ("Dan Poulter defects to Labour", "Tory MP Christian Wakeford defects to Labour"),
    # Same person, different events.
    ("Boris Johnson faces confidence vote tonight", "Boris Johnson wins confidence vote"),
    # Nobody named: the parties decide.
    ("Tory MP defects to Labour", "Tory MP defects to Reform"),
    ("Second Tory MP defects to Labour in a week", "Tory MP defects to Reform"),
    ("Covid inquiry: Hancock gives evidence", "Boris Johnson gives evidence to Covid inquiry"),
    # Numbers that disagree are different events.
    ("Johnson survives vote by 211 to 148", "Johnson survives vote by 150 to 120"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_story_both_directions(a: str, b: str) -> None:
    assert same_story(signature(a), signature(b))
    assert same_story(signature(b), signature(a))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_stories_both_directions(a: str, b: str) -> None:
    assert not same_story(signature(a), signature(b))
    assert not same_story(signature(b), signature(a))


def test_signature_round_trips_through_json() -> None:
    sig = signature("Sue Gray report: Johnson faces 12 fines")
    assert Signature.from_json(sig.to_json()) == sig


def test_wire_prefix_and_possessive_are_ignored() -> None:
    assert signature("LIVE: Sue Gray's report") == signature("Sue Gray report")
