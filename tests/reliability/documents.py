"""Hostile and odd feed documents for the reliability tests, as bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.rss import Item, rss_feed

NAMES = ("Ashworth", "Blackwood", "Cartwright", "Donnelly", "Ellison", "Fairbairn", "Gillespie")


def now() -> datetime:
    """The real clock: the pipeline under test runs on it too."""
    return datetime.now(UTC)


def defection(key: str, index: int = 0, *, minutes_ago: float = 5, link_host: str = "news") -> Item:
    """A categorised headline naming its own MP, so each one is its own story."""
    first = NAMES[index % len(NAMES)]
    return Item(
        f"Tory MP {first} {key.title()}{index} defects to Labour",
        f"https://{link_host}.example/{key}/{index}",
        guid=f"{key}-{index}",
        published=now() - timedelta(minutes=minutes_ago),
    )


def good_feed(key: str) -> bytes:
    """The healthy neighbour of every faulty feed: one recent defection."""
    return rss_feed("Good", [defection(f"good{key}")])


def billion_laughs() -> bytes:
    """Nine levels of entities: 3 GB of "lol" if anything ever expanded them."""
    levels = ['<!ENTITY lol0 "lol">']
    levels += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    entities = "".join(levels)
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
        "<title>Laughs</title><item><title>&lol9;</title><link>https://laughs.example/1</link>"
        '<guid isPermaLink="false">laugh-1</guid></item></channel></rss>'
    ).encode()


def external_entity(file_uri: str, url: str) -> bytes:
    """Entities naming a local file and a URL: neither may be read, fetched or shown."""
    return (
        '<?xml version="1.0"?><!DOCTYPE rss ['
        f'<!ENTITY file SYSTEM "{file_uri}"><!ENTITY web SYSTEM "{url}">]>'
        '<rss version="2.0"><channel><title>XXE</title>'
        "<item><title>Leak &file; &web;</title><link>https://xxe.example/1</link>"
        '<guid isPermaLink="false">xxe-1</guid></item></channel></rss>'
    ).encode()


def missing_encoding() -> bytes:
    """Latin-1 bytes with no XML declaration (and, served, no charset): the parser must guess."""
    return (
        '<rss version="2.0"><channel><title>Unlabelled</title>'
        "<item><title>Café owner’s £2m donation to party</title>"
        '<link>https://latin.example/1</link><guid isPermaLink="false">latin-1</guid></item>'
        "</channel></rss>"
    ).encode("cp1252")


def many_items(count: int, categorised: int) -> bytes:
    """`count` items, recent; the first `categorised` are distinct defections, the rest notices."""
    items = [defection("flood", i, minutes_ago=1 + i / 100) for i in range(categorised)]
    items += [
        Item(
            f"Parish notice {i}: hedge trimming on Mill Lane",
            f"https://archive.example/notice/{i}",
            guid=f"notice-{i}",
            published=now() - timedelta(minutes=2, seconds=i),
        )
        for i in range(count - categorised)
    ]
    return rss_feed("Archive", items)


def empty_feed() -> bytes:
    """A valid channel with no items at all."""
    return rss_feed("Empty", [])


def odd_dates() -> bytes:
    """One item dated in 2100 (counts as now: alerts once) and one in 1970 (too old: silent)."""
    future = defection("future", 1)
    ancient = defection("ancient", 2)
    future.published = datetime(2100, 1, 1, tzinfo=UTC)
    ancient.published = datetime(1970, 1, 1, tzinfo=UTC)
    return rss_feed("Dates", [future, ancient])
