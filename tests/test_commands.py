"""The platform-neutral slash-command use cases, over a real store (SQLite, then PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands import REFUSAL, Caller, Channel, Commands, Link
from bot.config import PollingSettings
from bot.delivery.messages import Message
from bot.domain import Alert, Classification, Destination, Headline, Match
from bot.errors import DeliveryError
from bot.pipeline.classify import Classifier
from bot.pipeline.decide import decide_new
from bot.store import destinations as dest_store
from bot.store import feeds as feed_store
from bot.store.sql import Store

NOW = datetime(2022, 1, 19, 12, 0, tzinfo=UTC)
ADMIN = Caller("discord", "guild-1", "u1", "Ada", can_manage=True)
MEMBER = Caller("discord", "guild-1", "u2", "Bob", can_manage=False)
OTHER_GUILD = Caller("discord", "guild-2", "u3", "Cy", can_manage=True)
POLITICS = Channel("111", "#politics")


@pytest.fixture
def commands(db: Store) -> Commands:
    """The use cases over the `db` fixture's store: each test runs on both backends."""
    return Commands(db, Classifier.load().categories, (), lambda: NOW)


async def test_subscribe_list_unsubscribe(commands: Commands) -> None:
    reply = await commands.subscribe(ADMIN, POLITICS, "defection")
    assert reply.ok
    assert not reply.ephemeral
    assert "Subscribed #politics" in reply.plain()
    again = await commands.subscribe(ADMIN, POLITICS, "defection")
    assert "already subscribed" in again.plain()

    listing = (await commands.list(ADMIN)).plain()
    assert "#politics" in listing
    assert "by Ada on 19 Jan 2022" in listing
    assert "#politics" not in (await commands.list(OTHER_GUILD)).plain()

    gone = await commands.unsubscribe(ADMIN, POLITICS, None)
    assert "Unsubscribed #politics" in gone.plain()
    assert "No channel here is subscribed" in (await commands.list(ADMIN)).plain()


async def test_subscribe_all_categories_and_with_mention(commands: Commands) -> None:
    await commands.subscribe(ADMIN, POLITICS, None, mention="999")
    rows = await dest_store.scope_subscriptions(commands.db.conn, "discord", "guild-1")
    assert {r.category for r in rows} == set(commands.categories)
    assert {r.mention for r in rows} == {"999"}


async def test_members_without_permission_are_refused(commands: Commands) -> None:
    for reply in (
        await commands.subscribe(MEMBER, POLITICS, "pmqs"),
        await commands.unsubscribe(MEMBER, POLITICS, "pmqs"),
    ):
        assert not reply.ok
        assert reply.ephemeral
        assert reply.plain() == REFUSAL
    assert await dest_store.scope_subscriptions(commands.db.conn, "discord", "guild-1") == []


async def test_unknown_category_and_sql_metacharacters_are_plain_errors(commands: Commands) -> None:
    reply = await commands.subscribe(ADMIN, POLITICS, "x'; DROP TABLE subscriptions; --")
    assert not reply.ok
    assert "Unknown category" in reply.plain()
    odd = Channel("1'); DELETE FROM destinations; --", "#odd")
    assert (await commands.subscribe(ADMIN, odd, "pmqs")).ok
    assert (await commands.unsubscribe(ADMIN, odd, "pmqs")).ok
    async with commands.db.conn.execute("SELECT COUNT(*) FROM destinations") as cur:
        assert (await cur.fetchone())[0] == 1


async def test_categories_reply_lists_every_category(commands: Commands) -> None:
    text = commands.categories_reply().plain()
    for info in commands.categories.values():
        assert info.label in text
        assert info.emoji in text


async def _store_headline(commands: Commands, title: str, link: str, category: str) -> None:
    headline = Headline("BBC", f"guid:{link}", link, title, "", NOW - timedelta(minutes=5), "BBC")
    match = Match(category, f"{category}.rule", "title", "defects to", 1.0)
    async with commands.db.transaction() as conn:
        await feed_store.sync_feeds(conn, [("BBC", "http://feed/")])
        await decide_new(
            conn,
            "BBC",
            [(headline, Classification((category,), (match,)))],
            categories=commands.categories,
            polling=PollingSettings(),
            catch_up=False,
            now=NOW,
        )


async def test_latest_and_why(commands: Commands) -> None:
    assert "Nothing has alerted yet" in (await commands.latest(None)).plain()
    await _store_headline(
        commands, "Tory MP Jane Marchmont defects to Labour", "https://news.example/m", "defection"
    )
    latest = await commands.latest("defection", 50)
    links = [s for line in latest.lines for s in line if isinstance(s, Link)]
    assert [link.url for link in links] == ["https://news.example/m"]
    assert "Nothing" in (await commands.latest("pmqs")).plain()

    why = (await commands.why("https://news.example/m?utm_source=x#frag")).plain()
    assert "Decision: it alerted" in why
    assert "defects to" in why
    never = (await commands.why("https://elsewhere.example/")).plain()
    assert "Never seen" in never
    assert not (await commands.why("javascript:alert(1)")).ok


async def test_status_shows_feeds_paused_subscriptions_and_outbox(commands: Commands) -> None:
    await commands.subscribe(ADMIN, POLITICS, "pmqs")
    async with commands.db.transaction() as conn:
        await feed_store.sync_feeds(conn, [("BBC", "http://feed/")])
        await feed_store.record_failure(
            conn, "BBC", now=NOW, error="HTTP 500", next_poll_at=NOW + timedelta(minutes=5)
        )
        dest = await dest_store.find_destination(conn, "discord:111")
        assert dest is not None
        await dest_store.mark_broken(conn, dest.id, "missing permission", NOW)
    text = (await commands.status(ADMIN)).plain()
    assert "BBC: last success never" in text
    assert "FAILING (1× in a row): HTTP 500" in text
    assert "#politics: missing permission" in text
    assert "Alerts waiting to be sent: 0" in text


def test_sample_alert_is_harmless(tmp_path: Path) -> None:
    classifier = Classifier.load()
    alert = Commands(None, classifier.categories).sample_alert()  # type: ignore[arg-type]
    assert alert.story_id == 0
    assert alert.mention is None


class RecordingSender:
    """A transport's sender stand-in: records what it was asked to post, or fails as told."""

    def __init__(self, failure: DeliveryError | None = None) -> None:
        self.sent: list[tuple[Destination, Message]] = []
        self.failure = failure

    async def __call__(self, destination: Destination, message: Message) -> str | None:
        self.sent.append((destination, message))
        if self.failure is not None:
            raise self.failure
        return "m1"


async def test_test_posts_a_sample_alert_to_the_channel(commands: Commands) -> None:
    send = RecordingSender()
    reply = await commands.test(ADMIN, POLITICS, send)
    assert (reply.ok, reply.ephemeral, reply.plain()) == (
        True,
        True,
        "Posted a test alert in #politics.",
    )
    [(destination, message)] = send.sent
    assert (destination.key, destination.kind, destination.channel, destination.label) == (
        "discord:111",
        "discord",
        "111",
        "#politics",
    )
    assert isinstance(message, Alert)
    assert message.story_id == 0
    # A test is not a subscription: nothing is recorded.
    assert await dest_store.scope_subscriptions(commands.db.conn, "discord", "guild-1") == []


async def test_test_is_for_managers_only_and_says_why_a_post_failed(commands: Commands) -> None:
    send = RecordingSender()
    refused = await commands.test(MEMBER, POLITICS, send)
    assert (refused.ok, refused.ephemeral, refused.plain()) == (False, True, REFUSAL)
    assert send.sent == []
    failing = RecordingSender(DeliveryError("#politics", "missing permission", retryable=False))
    reply = await commands.test(ADMIN, POLITICS, failing, advice="Give me Send Messages.")
    assert not reply.ok
    assert reply.plain() == (
        "I couldn't post the test alert in #politics: missing permission. Give me Send Messages."
    )
    without_advice = await commands.test(ADMIN, POLITICS, failing)
    assert without_advice.plain().endswith("missing permission.")


async def test_subscribe_with_recent_catches_a_new_channel_up_on_the_last_day(
    commands: Commands,
) -> None:
    await commands.subscribe(ADMIN, POLITICS, None)
    await _store_headline(commands, "Tory MP defects to Labour", "https://n.example/1", "defection")
    desk = Channel("222", "#desk")
    reply = await commands.subscribe(ADMIN, desk, "defection", mention="777", recent=True)
    assert "Queued 1 alert from the last 24 hours." in reply.plain()
    letters = Channel("333", "#letters")
    other = await commands.subscribe(ADMIN, letters, "letters", recent=True)
    assert "Nothing from the last 24 hours to catch up on." in other.plain()
    quiet = await commands.subscribe(ADMIN, Channel("444", "#quiet"), "defection")
    assert "24 hours" not in quiet.plain()  # off unless asked for
    again = await commands.subscribe(ADMIN, desk, "defection", mention="777", recent=True)
    assert "Nothing from the last 24 hours" in again.plain()  # never queued twice
    rows = await commands.db.conn.execute_fetchall(
        "SELECT d.key, o.message FROM outbox o JOIN destinations d ON d.id = o.destination_id "
        "ORDER BY o.id"
    )
    by_key = {row[0]: row[1] for row in rows}
    assert set(by_key) == {"discord:111", "discord:222"}
    assert '"mention":"777"' in by_key["discord:222"]  # this channel's mention, not the first's
    assert '"mention":null' in by_key["discord:111"]


async def updates_here(commands: Commands) -> str | None:
    destination = await dest_store.find_destination(commands.db.conn, POLITICS.key(ADMIN))
    return None if destination is None else destination.updates


async def test_set_updates_is_for_managers_of_a_subscribed_channel(commands: Commands) -> None:
    unsubscribed = await commands.set_updates(ADMIN, POLITICS, "thread")
    assert not unsubscribed.ok
    assert "#politics is not subscribed to anything" in unsubscribed.plain()
    assert await updates_here(commands) is None  # no destination was made for it
    await commands.subscribe(ADMIN, POLITICS, "defection")
    refused = await commands.set_updates(MEMBER, POLITICS, "thread")
    assert (refused.ok, refused.ephemeral, refused.plain()) == (False, True, REFUSAL)
    assert await updates_here(commands) == "edit"
    for mode, said in [
        ("thread", "later reports go in a thread under the event's alert"),
        (" OFF ", "later reports are not posted (one alert per event)"),
        ("edit", "later reports edit the event's alert in place"),
    ]:
        reply = await commands.set_updates(ADMIN, POLITICS, mode)
        assert (reply.ok, reply.ephemeral) == (True, False)
        assert reply.plain() == f"From now on in #politics, {said}."
        assert await updates_here(commands) == mode.strip().lower()
    same = await commands.set_updates(ADMIN, POLITICS, "edit")
    assert same.ok
    assert same.plain().startswith("Already so in #politics:")


async def test_set_updates_refuses_an_unknown_mode_and_keeps_the_last(commands: Commands) -> None:
    await commands.subscribe(ADMIN, POLITICS, "pmqs")
    await commands.set_updates(ADMIN, POLITICS, "thread")
    for mode in ("sometimes", "", "edit'; DROP TABLE destinations; --"):
        reply = await commands.set_updates(ADMIN, POLITICS, mode)
        assert not reply.ok
        assert reply.plain() == (f"Unknown updates mode {mode!r}. Try one of: edit, thread, off.")
    assert await updates_here(commands) == "thread"


async def test_list_shows_each_channels_updates_mode_once(commands: Commands) -> None:
    lobby = Channel("222", "#lobby")
    await commands.subscribe(ADMIN, POLITICS, None)  # every category: four rows, one channel
    await commands.subscribe(ADMIN, lobby, "pmqs")
    await commands.set_updates(ADMIN, lobby, "off")
    listing = (await commands.list(MEMBER)).plain().splitlines()
    start = listing.index("Updates to alerts (/westminster updates):")
    assert listing[start + 1 :] == [
        "• #lobby: off — later reports are not posted (one alert per event)",
        "• #politics: edit — later reports edit the event's alert in place",
    ]
    # Unsubscribing keeps the choice: subscribing again brings it back.
    await commands.unsubscribe(ADMIN, lobby, None)
    assert "#lobby" not in (await commands.list(MEMBER)).plain()
    await commands.subscribe(ADMIN, lobby, "pmqs")
    assert "• #lobby: off" in (await commands.list(MEMBER)).plain()
