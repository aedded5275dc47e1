"""Golden table: headlines and the categories they must get.

Every future misclassification report adds a row here (title, summary, expected categories), so a
rule change that fixes one headline cannot quietly break another. The wording is invented in the
style of real headlines; the labelled corpus is scored separately in tests/test_evaluate.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.pipeline.classify import Classifier, _People
from bot.pipeline.rules import parse_ruleset, read_rules_text

# (title, summary, expected categories); an empty set means "must not alert".
GOLDEN: list[tuple[str, str, set[str]]] = [
    ("Tory MP Jane Doe defects to Reform UK", "", {"defection"}),
    (
        "Labour MP quits party to join the Greens",
        "The backbencher said Labour had lost its way.",
        {"defection"},
    ),
    ("Second Conservative MP crosses the floor in a week", "", {"defection"}),
    ("Reform gains its sixth MP after defection from Tories", "", {"defection"}),
    ("Why are so many Tory councillors defecting to Reform?", "", {"defection"}),
    ("Former minister switches from Conservatives to Lib Dems", "", {"defection"}),
    (
        "SNP MSP leaves party to sit as an independent",
        "She said she could no longer support the leadership's strategy.",
        {"defection"},
    ),
    ("Conservative peer joins Reform UK", "", {"defection"}),
    (
        "Blow for Badenoch as shadow minister quits the Conservatives to join Reform",
        "",
        {"defection"},
    ),
    ("Tory defector says party 'has lost touch with voters'", "", {"defection"}),
    ("Plaid Cymru councillor defects to Labour", "", {"defection"}),
    (
        "Labour MP set to defect",
        "Party sources say the MP has been in talks with the Liberal Democrats.",
        {"defection"},
    ),
    ("Welsh Conservative MS becomes latest to defect to Reform", "", {"defection"}),
    (
        "What the latest defection means for Starmer",
        "Another Labour MP has crossed the floor to the Greens.",
        {"defection"},
    ),
    (
        "Three Labour MPs resign from party over welfare cuts and will sit as independents",
        "",
        {"defection"},
    ),
    ("Conservative MP swaps Tories for Reform", "", {"defection"}),
    ("Golfer's defection to LIV tour leaves Ryder Cup in doubt", "", set()),
    ("North Korean soldier defects across demilitarised zone", "", set()),
    ("Birth defects linked to epilepsy drug, study finds", "", set()),
    (
        "Recall of cars over brake defects",
        "Thousands of vehicles have defects in their braking systems.",
        set(),
    ),
    ("Tory MP has whip suspended over bullying claims", "", set()),
    (
        "Labour restores whip to seven rebel MPs",
        "The MPs had sat as independents since voting against the two-child benefit cap.",
        set(),
    ),
    ("Poll: one in five Tory voters would switch to Reform", "", set()),
    ("US congressman switches parties to join Republicans", "", set()),
    ("Ex-footballer joins Reform UK as candidate", "", set()),
    ("MP steps away from party while complaint is investigated", "", set()),
    ("Tory MPs submit letters of no confidence in the prime minister", "", {"letters"}),
    ("1922 Committee chairman receives enough letters to trigger vote", "", {"letters"}),
    (
        "PM to face confidence vote on Monday evening",
        "Conservative MPs will vote in a secret ballot.",
        {"letters"},
    ),
    ("Prime minister survives confidence vote but 148 Tory MPs vote against", "", {"letters"}),
    ("How does a Conservative leadership challenge work?", "", {"letters"}),
    ("Rebels say no-confidence letters are flooding in", "", {"letters"}),
    (
        "Backbenchers rule out move against leader",
        "Tory MPs will not submit letters to the 1922 Committee until after May.",
        {"letters"},
    ),
    ("MPs sign open letter urging ban on conversion therapy", "", set()),
    ("Minister's resignation letter in full", "", set()),
    ("Readers' letters: your views on the Budget", "", set()),
    ("Opposition tables motion of no confidence in the government", "", set()),
    (
        "Government survives Commons confidence vote",
        "MPs rejected Labour's motion by 306 votes to 325.",
        set(),
    ),
    ("French government falls after losing confidence vote", "", set()),
    ("Police officers pass vote of no confidence in chief constable", "", set()),
    (
        "Island's leader ousted in assembly vote",
        "Guernsey's chief minister lost a vote of no confidence by 22 votes to 17.",
        set(),
    ),
    ("Isle of Man chief minister survives confidence vote in Tynwald", "", set()),
    ("Royal Mail letters delayed by strike", "", set()),
    ("PMQs: Starmer and Badenoch clash over grooming gangs", "", {"pmqs"}),
    ("Prime Minister's Questions: five things we learned", "", {"pmqs"}),
    (
        "PM under fire over NHS waiting lists",
        "Labour's leader pressed the prime minister at Prime Minister's Questions.",
        {"pmqs"},
    ),
    ("Who won PMQs this week?", "", {"pmqs"}),
    ("Heated PMQs clash over immigration figures", "", {"pmqs"}),
    ("Prime Minister's Questions returns after summer recess", "", {"pmqs"}),
    ("PMQs: PM refuses to say sorry before Sue Gray report", "", {"inquiry", "pmqs"}),
    ("Question Time audience member challenges minister over cost of living", "", set()),
    ("Chancellor faces questions over tax rise", "", set()),
    ("Your questions answered on the new pension rules", "", set()),
    ("Minister to make Commons statement on prisons", "", set()),
    ("Councillor defects to Reform minutes before PMQs", "", {"defection"}),
    ("Covid inquiry: former health secretary accused of 'lying'", "", {"inquiry"}),
    ("Post Office inquiry hears from former chief executive", "", {"inquiry"}),
    ("Privileges Committee finds former PM misled MPs", "", {"inquiry"}),
    ("Standards commissioner opens investigation into Labour MP", "", {"inquiry"}),
    ("Deputy PM referred to ethics adviser over tax affairs", "", {"inquiry"}),
    ("Public inquiry announced into grooming gangs", "", {"inquiry"}),
    ("Met Police to investigate Downing Street lockdown parties", "", {"inquiry"}),
    ("Cabinet Office launches leak inquiry after Budget details published early", "", {"inquiry"}),
    ("Infected blood inquiry: victims demand compensation", "", {"inquiry"}),
    ("Sue Gray report due next week, says No 10", "", {"inquiry"}),
    ("Minister found to have breached ministerial code", "", {"inquiry"}),
    (
        "MPs launch inquiry into collapse of steel firm",
        "The business select committee will take evidence from ministers.",
        {"inquiry"},
    ),
    ("Inquest opens into death of teenager", "", set()),
    ("French police investigate arson attack on mosque", "", set()),
    ("Ofwat launches investigation into water company", "", set()),
    ("BBC investigation reveals abuse at care home", "", set()),
    ("Police investigate MP over assault claim", "", set()),
    ("FA opens inquiry into racist abuse of player", "", set()),
    ("Man arrested after gas leak investigation in Leeds", "", set()),
    ("Regulator review finds energy firms overcharged customers", "", set()),
    ("US Senate committee opens inquiry into tech giant", "", set()),
    ("Reform UK gains first MP as Lee Anderson defects", "", {"defection"}),
    ("Whole Conservative council group defects to Reform", "", {"defection"}),
    ("Ex-Labour staffer joins Reform", "", set()),
    ("Voters defecting from Labour to Reform, poll suggests", "", set()),
    ("Tory candidate defects to Reform days before election", "", set()),
    ("Whistleblower says aircraft maker ignored defects", "", set()),
    ("Tory MPs to vote on Prime Minister's future tonight", "", {"letters"}),
    ("Sunak faces leadership challenge threat from right of party", "", {"letters"}),
    ("Unite members pass vote of no confidence in general secretary", "", set()),
    ("Tory association passes no-confidence motion in local MP", "", set()),
    ("Met Police investigation into Downing Street parties ends", "", {"inquiry"}),
    ("Durham police reopen beergate probe into Labour leader", "", {"inquiry"}),
    ("Southport inquiry: police missed chances, chair told", "", {"inquiry"}),
    ("Murder inquiry: man charged after stabbing in Leeds", "", set()),
    ("Johnson misled Parliament over parties, privileges committee finds", "", {"inquiry"}),
    ("Public accounts committee finds HS2 costs out of control", "", {"inquiry"}),
    ("Council leader survives confidence vote after budget row", "", set()),
    ("Investors give vote of confidence to UK economy", "", set()),
    ("Love letters from wartime soldier found in attic", "", set()),
    ("Strictly star answers viewers' questions", "", set()),
    ("Footballer defects to rival club in shock transfer", "", set()),
    ("Trading standards warn of fake chargers", "", set()),
    ("Fire service inquiry into blaze at flats", "", set()),
    ("Coroner's inquest into death of cyclist opens", "", set()),
    ("Charity Commission opens inquiry into animal charity", "", set()),
    ("Japan's prime minister survives no-confidence motion", "", set()),
    ("Scottish first minister faces no-confidence vote at Holyrood", "", set()),
    ("Lib Dems call for inquiry into water firms", "", set()),
    ("Hospital sent 1,000 letters to wrong patients", "", set()),
    ("Gas leak forces evacuation of street", "", set()),
    # Letters: a Commons confidence vote in the government is not the party's vote on its leader.
    ("Government clings on after losing Brexit vote and surviving confidence vote", "", set()),
    ("Tory MPs back government in knife-edge confidence vote", "", set()),
    ("Opposition forces no-confidence vote after welfare defeat", "", set()),
    ("What happens if the government loses a vote of confidence?", "", set()),
    (
        "Prime minister wins confidence vote",
        "MPs rejected Labour's motion by 321 votes to 298, sparing the country a general election.",
        set(),
    ),
    ("Confidence vote in the Commons: how your MP voted", "", set()),
    ("Government sources say PM will win confidence vote comfortably", "", {"letters"}),
    (
        "PM faces confidence vote tonight as Tory MPs pass the threshold",
        "The 1922 Committee chairman says enough letters have been received.",
        {"letters"},
    ),
    # Defection: joining without "defect", crossing by other words, the misspelling, the noun.
    ("Ex-Conservative MP to join Reform UK in boost for Farage", "", {"defection"}),
    (
        "Former minister makes the leap",
        "The former Conservative MP has joined Reform UK, saying the Tories cannot win again.",
        {"defection"},
    ),
    ("Tory MP crosses the Commons to join Labour during PMQs", "", {"defection"}),
    ("PMQs: Conservative MP crosses the floor to sit with Labour", "", {"defection"}),
    ("Bolton MP deflects from Conservatives to Labour", "", {"defection"}),
    ("Councillor deflects to Reform UK", "", {"defection"}),
    ("Kruger's defection: what it means for Badenoch", "", {"defection"}),
    ("Elphicke defection: what we know so far", "", {"defection"}),
    ("Chancellor deflects from Labour's tax row", "", set()),
    ("PM deflects questions on donations", "", set()),
    ("MPs cross the chamber to congratulate new Speaker", "", set()),
    ("Tory MP expelled from party will sit as an independent", "", set()),
    ("Whipless MP to sit as independent until inquiry ends", "", set()),
    ("Striker's defection to Saudi club confirmed", "", set()),
    ("Ballerina's defection remembered 50 years on", "", set()),
    # Inquiry: probes of ministers and MPs, standards advisers, devolved watchdogs, findings.
    ("Deputy PM faces bullying investigation", "", {"inquiry"}),
    ("Home secretary faces investigation over speeding course claims", "", {"inquiry"}),
    ("PM orders investigation into chancellor's tax affairs", "", {"inquiry"}),
    ("PM's adviser on standards clears minister over flat refurbishment", "", {"inquiry"}),
    ("Senedd standards commissioner investigates MS over expenses", "", {"inquiry"}),
    ("Holyrood watchdog to investigate MSP over lobbying claims", "", {"inquiry"}),
    ("Care home discharges were 'reckless', says inquiry", "", {"inquiry"}),
    ("Officials ignored warnings about contaminated plasma, inquiry told", "", {"inquiry"}),
    ("Former health secretary's evidence - live updates", "", {"inquiry"}),
    ("Key moments from the former chancellor's evidence", "", {"inquiry"}),
    ("Headteacher faces bullying investigation", "", set()),
    ("Football club opens bullying investigation into coach", "", set()),
    ("Police investigate MP over alleged drink-driving", "", set()),
    ("MP arrested on suspicion of fraud", "", set()),
    ("Labour MP faces investigation by party over social media posts", "", set()),
    ("Key moments from the singer's evidence in court", "", set()),
    ("Union general secretary faces investigation", "", set()),
    ("Inquiry into MP's death to open next month", "", set()),
    # PMQs: sketches, verdicts and the weekly session; debates and committees are not PMQs.
    ("Sketch: Starmer v Badenoch was a bruising affair", "", {"pmqs"}),
    ("Sketch: PM squirms at the despatch box", "", {"pmqs"}),
    ("Badenoch and Starmer: our verdict on today's clash", "", {"pmqs"}),
    ("PM faces MPs' questions at noon after weekend of chaos", "", {"pmqs"}),
    ("Weekly Commons clash turns nasty over grooming gangs", "", {"pmqs"}),
    ("Sketch: minister squirms before select committee", "", set()),
    ("Sketch: Chancellor's Budget lands with a thud in the Commons", "", set()),
    ("Sunak v Starmer TV debate: who won?", "", set()),
    ("PM faces MPs' questions on Ukraine aid", "", set()),
    ("Comedy sketch about the PM goes viral", "", set()),
]

# People-driven rows: who the named person was (seat, party, post) on the headline's date decides.
# (title, summary, published date, expected categories)
PEOPLE_GOLDEN: list[tuple[str, str, date, set[str]]] = [
    # Bullying and conduct investigations of named ministers, without "Westminster" or "standards"
    (
        "Deputy Prime Minister Dominic Raab resigns over bullying investigation",
        "",
        date(2023, 4, 21),
        {"inquiry"},
    ),
    (
        "Cabinet minister Dominic Raab under formal investigation after staff complaints",
        "",
        date(2022, 11, 20),
        {"inquiry"},
    ),
    # "<MP> joins <another party>": in a summary, or while sitting as an independent
    (
        "Dover MP's shock move stuns Tory whips",
        "Natalie Elphicke has joined Labour, saying the government has failed on housing.",
        date(2024, 5, 8),
        {"defection"},
    ),
    ("Lee Anderson, now an independent, to join Reform UK", "", date(2024, 3, 11), {"defection"}),
    # A politician with their own party is no defection
    (
        "Rishi Sunak joins Conservatives in Devon as battle bus tour begins",
        "",
        date(2024, 6, 1),
        set(),
    ),
    ("Angela Rayner joins Labour campaign launch in Manchester", "", date(2024, 5, 8), set()),
    # A suspended whip leaves the register saying "Independent": still no defection
    ("Diane Abbott has Labour whip suspended", "", date(2023, 4, 23), set()),
    (
        "Labour whip suspended: Diane Abbott to sit as an independent MP",
        "",
        date(2023, 4, 24),
        set(),
    ),
    # A named Conservative MP's letter
    ("Andrea Jenkyns submits letter calling for Sunak to go", "", date(2023, 11, 15), {"letters"}),
    # Namesakes: a headteacher who shares an MP's name; a name no politician of the day holds
    ("Headteacher Sarah Jones faces bullying investigation", "", date(2024, 5, 8), set()),
    ("Council worker John Smith faces bullying investigation", "", date(2024, 5, 8), set()),
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


@pytest.mark.parametrize(
    ("title", "summary", "expected"), GOLDEN, ids=[row[0][:60] for row in GOLDEN]
)
def test_golden_headline(
    classifier: Classifier, title: str, summary: str, expected: set[str]
) -> None:
    result = classifier.classify(title, summary)
    assert set(result.categories) == expected, classifier.explain(title, summary)


@pytest.mark.parametrize(
    ("title", "summary", "on", "expected"),
    PEOPLE_GOLDEN,
    ids=[row[0][:60] for row in PEOPLE_GOLDEN],
)
def test_people_golden_headline(
    classifier: Classifier, title: str, summary: str, on: date, expected: set[str]
) -> None:
    result = classifier.classify(title, summary, on)
    assert set(result.categories) == expected, classifier.explain(title, summary, on)


def test_people_rows_need_the_register() -> None:
    """Each positive people row is missed by the wording rules alone (so the rows test people)."""
    source, text = read_rules_text()
    wording = Classifier(parse_ruleset(source, text[: text.index("# PEOPLE RULES")]))
    for title, summary, on, expected in PEOPLE_GOLDEN:
        if expected and "Lee Anderson" not in title:
            assert not wording.classify(title, summary, on).categories, title


def test_table_covers_every_category_and_plenty_of_negatives() -> None:
    assert len(GOLDEN) >= 40
    assert len({row[0] for row in GOLDEN}) == len(GOLDEN)  # no duplicated rows
    for name in ("defection", "letters", "pmqs", "inquiry"):
        assert sum(name in row[2] for row in GOLDEN) >= 5
    assert sum(not row[2] for row in GOLDEN) >= 30


def test_skipping_names_for_decided_categories_changes_no_decision(
    classifier: Classifier,
) -> None:
    """classify() recognises people only where it can matter; trying every rule agrees with it."""
    rows = [(t, s, None) for t, s, _ in GOLDEN] + [(t, s, on) for t, s, on, _ in PEOPLE_GOLDEN]
    for title, summary, on in rows:
        every = classifier._matches(title, summary, _People(title, summary, on), complete=True)
        decided = classifier._decide(every)[2] if every else []
        assert list(classifier.classify(title, summary, on).categories) == decided, title
