"""Each /westminster subcommand's reply, as it arrives at the response_url stand-in."""

from __future__ import annotations

from bot.store import destinations as dest_store
from tests.support.slack_data import MEMBER, TEAM_ID, Failure
from tests.transports.slack.helpers import HttpClient, Rig, run_command


async def test_subscribe_another_channel_with_a_user_group_then_list_and_unsubscribe(
    rig: Rig, http: HttpClient
) -> None:
    reply = await run_command(
        rig, http, "subscribe PMQs <#C0LOBBY|lobby> <!subteam^S0WHIPS|@whips>"
    )
    assert reply["text"] == "Subscribed #lobby to 🎙️ PMQs (with a mention)."
    destination = await dest_store.find_destination(rig.db.conn, f"slack:{TEAM_ID}:C0LOBBY")
    assert destination is not None
    assert destination.channel == "C0LOBBY"
    assert destination.subscriptions == {"pmqs": "S0WHIPS"}

    listing = await run_command(rig, http, "list", user=MEMBER)
    assert listing["response_type"] == "ephemeral"
    assert "#lobby: 🎙️ PMQs (mentions), by Ada on 06 Mar 2024" in listing["text"]

    gone = await run_command(rig, http, "unsubscribe <#C0LOBBY|lobby>")
    assert gone["text"] == "Unsubscribed #lobby from 🎙️ PMQs."
    assert gone["response_type"] == "in_channel"
    empty = await run_command(rig, http, "list")
    assert empty["text"].startswith("No channel here is subscribed yet")


async def test_subscribe_recent_is_a_word_not_a_category(rig: Rig, http: HttpClient) -> None:
    reply = await run_command(rig, http, "subscribe letters recent")
    assert reply["text"].startswith("Subscribed #politics to ✉️ No-confidence letters.")
    assert reply["text"].endswith("Nothing from the last 24 hours to catch up on.")
    plain = await run_command(rig, http, "subscribe pmqs")
    assert "24 hours" not in plain["text"]


async def test_subscribe_refuses_what_it_cannot_act_on(rig: Rig, http: HttpClient) -> None:
    bare = await run_command(rig, http, "subscribe defection #lobby")
    assert "Pick channels and user groups from Slack's list" in bare["text"]
    dm = await run_command(rig, http, "subscribe", channel="D0ADA", channel_name="directmessage")
    assert "not direct messages" in dm["text"]
    unknown = await run_command(rig, http, "subscribe gossip")
    assert "Unknown category 'gossip'" in unknown["text"]
    two = await run_command(rig, http, "subscribe pmqs letters")
    assert two["text"] == "One category, channel and user group at a time."
    assert await dest_store.scope_subscriptions(rig.db.conn, "slack", TEAM_ID) == []


async def test_categories_latest_why_status_help_and_unknown(rig: Rig, http: HttpClient) -> None:
    categories = await run_command(rig, http, "categories", user=MEMBER)
    assert "🔀 Defection (defection): A UK MP" in categories["text"]
    latest = await run_command(rig, http, "latest defection 3", user=MEMBER)
    assert latest["text"] == "Nothing has alerted yet."
    why = await run_command(rig, http, "why <https://news.example/story?a=1&amp;b=2>", user=MEMBER)
    assert why["text"].startswith("Never seen: no polled feed has carried that link.")
    usage = await run_command(rig, http, "why", user=MEMBER)
    assert usage["text"] == "Usage: /westminster why &lt;\u2060link to an article&gt;"
    status = await run_command(rig, http, "status", user=MEMBER)
    assert "Paused subscriptions: none" in status["text"]
    assert "Alerts waiting to be sent: 0" in status["text"]
    assert "/westminster — UK politics alerts" in (await run_command(rig, http, ""))["text"]
    unknown = await run_command(rig, http, "frobnicate", user=MEMBER)
    assert unknown["text"].startswith("Unknown subcommand 'frobnicate'.")


async def test_test_posts_a_sample_alert_or_says_why_it_cannot(rig: Rig, http: HttpClient) -> None:
    sent = await run_command(rig, http, "test")
    assert sent["text"] == "Posted a test alert in #politics."
    [post] = rig.slack.posts("C0POLITICS")
    assert "Test alert from Division Bell" in post["blocks"][0]["text"]["text"]

    rig.slack.fail("C0SECRET", Failure("not_in_channel"))
    refused = await run_command(rig, http, "test <#C0SECRET|>")
    assert refused["text"].startswith(
        "I couldn't post the test alert in channel C0SECRET: Division Bell is not"
    )
    # A test is not a subscription: nothing is paused by it.
    assert await dest_store.scope_subscriptions(rig.db.conn, "slack", TEAM_ID) == []


async def test_status_shows_a_paused_subscription_with_its_reason(
    rig: Rig, http: HttpClient
) -> None:
    await run_command(rig, http, "subscribe")
    destination = await dest_store.find_destination(rig.db.conn, f"slack:{TEAM_ID}:C0POLITICS")
    assert destination is not None
    async with rig.db.transaction() as conn:
        await dest_store.mark_broken(conn, destination.id, "the channel is archived", rig.clock())
    status = await run_command(rig, http, "status")
    assert "• #politics: the channel is archived" in status["text"]


async def test_updates_sets_a_subscribed_channels_mode_for_admins_only(
    rig: Rig, http: HttpClient
) -> None:
    key = f"slack:{TEAM_ID}:C0POLITICS"
    unsubscribed = await run_command(rig, http, "updates thread")
    assert "#politics is not subscribed to anything" in unsubscribed["text"]
    await run_command(rig, http, "subscribe pmqs")
    refused = await run_command(rig, http, "updates thread", user=MEMBER)
    assert refused["text"].startswith("Sorry, you can't change alerts here.")
    changed = await run_command(rig, http, "updates Thread")
    assert changed["text"] == (
        "From now on in #politics, later reports go in a thread under the event's alert."
    )
    assert changed["response_type"] == "in_channel"
    destination = await dest_store.find_destination(rig.db.conn, key)
    assert destination is not None
    assert destination.updates == "thread"
    listing = await run_command(rig, http, "list", user=MEMBER)
    assert "• #politics: thread — later reports go in a thread" in listing["text"]
    again = await run_command(rig, http, "updates thread")
    assert again["text"].startswith("Already so in #politics:")
    # Another channel, picked from Slack's list.
    await run_command(rig, http, "subscribe <#C0LOBBY|lobby>")
    off = await run_command(rig, http, "updates off <#C0LOBBY|lobby>")
    assert (
        off["text"] == "From now on in #lobby, later reports are not posted (one alert per event)."
    )
    lobby = await dest_store.find_destination(rig.db.conn, f"slack:{TEAM_ID}:C0LOBBY")
    assert lobby is not None
    assert lobby.updates == "off"


async def test_updates_without_a_mode_or_with_a_wrong_one_says_how(
    rig: Rig, http: HttpClient
) -> None:
    await run_command(rig, http, "subscribe")
    asked = len(rig.slack.calls("users.info"))
    usage = "Usage: /westminster updates &lt;\u2060edit|thread|off&gt; [#channel]"
    bare = await run_command(rig, http, "updates", user=MEMBER)
    assert bare["text"] == usage
    assert len(rig.slack.calls("users.info")) == asked  # nothing to check permission for
    assert (await run_command(rig, http, "updates edit off"))["text"] == usage
    grouped = await run_command(rig, http, "updates edit <!subteam^S0WHIPS|@whips>")
    assert grouped["text"] == usage
    wrong = await run_command(rig, http, "updates sometimes")
    assert wrong["text"] == "Unknown updates mode 'sometimes'. Try one of: edit, thread, off."
    help_text = (await run_command(rig, http, "help"))["text"]
    assert "• updates &lt;\u2060edit|thread|off&gt; [#channel]: what later reports" in help_text
    destination = await dest_store.find_destination(rig.db.conn, f"slack:{TEAM_ID}:C0POLITICS")
    assert destination is not None
    assert destination.updates == "edit"
