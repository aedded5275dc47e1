"""Slack rendering: an Alert, Overflow, FollowUp or Digest as Block Kit and incoming-webhook JSON.

Plain dicts, no slack_sdk import, so the webhook transport and the Slack app adapter share them.
The same JSON also serves Mattermost and Rocket.Chat, which read only the top-level "text".
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import Alert, CategoryInfo, Digest, FollowUp, Overflow, OverflowItem
from bot.transports.events import confirmed, grown
from bot.transports.slack.digest import digest_blocks, digest_text
from bot.transports.slack.updates import (
    BREAKING,
    confirmed_text,
    coverage,
    follow_up_blocks,
    follow_up_text,
    latest_text,
)
from bot.transports.text import (
    after_label,
    as_utc,
    escape_slack,
    fit,
    join_fit,
    listing,
    safe_url,
    text_len,
)

TEXT_MAX = 3000  # Block Kit text object limit (section text, context element)
_MENTION_ROOM = 40  # kept free in the first section for a "<!subteam^ID> " prefix
BLOCKS_MAX = 50
HEADLINE_MAX = 500  # our choice: a readable title, far inside TEXT_MAX
OVERFLOW_LISTED = 10
_FALLBACK = CategoryInfo("alert", "Alert", "🔔", 0, "")
_USER_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}")
HERE = "here"  # a Slack-format webhook's `mention = "@here"`
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not auto-link bare URLs or #channel names in feed text; our own
    # <url|label>, <!date…> and <!subteam…> strings are still parsed.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _category(alert: Alert) -> CategoryInfo:
    return alert.categories[0] if alert.categories else _FALLBACK


def _link(url: str | None, title: str, limit: int) -> str:
    """'<url|escaped title>' within limit, or just the escaped title when the URL is unsafe."""
    if url is None or text_len(url) + 10 > limit:
        return fit(title, escape_slack, limit)
    label = fit(title, escape_slack, min(HEADLINE_MAX, limit - text_len(url) - 3))
    return f"<{url}|{label}>" if label else f"<{url}>"


def _mention(message: Alert | Overflow | FollowUp | Digest) -> str:
    """'<!subteam^ID> ' or '<!here> ' for the mention routing set (from a subscription or a
    webhook's config, never from feed text), else nothing: a digest is a summary, never a ping."""
    mention = message.mention if isinstance(message, Alert) else None
    if mention == HERE:
        return "<!here> "
    # A malformed id is dropped, never sent: sending no ping is the safe failure.
    if mention and _USER_GROUP_ID.fullmatch(mention):
        return f"<!subteam^{mention}> "
    return ""


def _date(alert: Alert) -> str:
    """Slack's localised date token, with a UTC fallback for clients that cannot render it."""
    when = as_utc(alert.published)
    fallback = f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year} {when:%H:%M} UTC"
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _heading(alert: Alert) -> str:
    category = _category(alert)
    show_label, title = after_label(category.label, alert.title)
    if show_label:
        prefix = fit(f"{category.emoji} {category.label}", escape_slack, 100) + ": "
    else:
        prefix = fit(category.emoji, escape_slack, 100) + " "
    event = grown(alert)
    if event is not None and event.breaking:
        prefix = f"{BREAKING} · {prefix}"
    room = TEXT_MAX - _MENTION_ROOM - text_len(prefix)
    return prefix + _link(safe_url(alert.link), title, room)


def slack_blocks(alert: Alert) -> list[dict[str, Any]]:
    """Block Kit for an alert: linked title, summary, and a context line with outlet, time, why."""
    category = _category(alert)
    blocks = [_section(_heading(alert))]
    summary = fit(alert.summary, escape_slack, TEXT_MAX)
    if summary:
        blocks.append(_section(summary))
    detail = confirmed(alert)
    if detail is not None:
        blocks.append(_section(confirmed_text(detail)))
    event = grown(alert)
    if event is not None:
        blocks.append(_section(coverage(event)))
        latest = latest_text(event)
        if latest:
            blocks.append(_section(latest))
    outlet = fit(alert.outlet, escape_slack, 200) or "unknown outlet"
    context = [_mrkdwn(f"{category.emoji} {outlet}"), _mrkdwn(_date(alert))]
    if alert.evidence:
        why = join_fit(alert.evidence, escape_slack, TEXT_MAX - 5, sep="; ")
        context.append(_mrkdwn("Why: " + why))
    outlets = [o for o in alert.also_reported_by if o.strip()]
    if outlets and event is None:  # a grown event's coverage already names its outlets
        others = join_fit(outlets, escape_slack, TEXT_MAX - 20, sep=", ")
        context.append(_mrkdwn("Also reported by " + others))
    blocks.append({"type": "context", "elements": context})
    return blocks[:BLOCKS_MAX]


def _overflow_listing(overflow: Overflow) -> str:
    """Up to ten linked titles, one a line, then "and N more"."""
    items = (_overflow_line(item) for item in overflow.items[:OVERFLOW_LISTED])
    return "\n".join(listing(items, len(overflow.items), TEXT_MAX - 40))  # room: "and N more"


def _overflow_line(item: OverflowItem) -> str:
    line = "• " + _link(safe_url(item.link), item.title or "(untitled)", 400)
    if item.category:
        line += " — " + fit(item.category, escape_slack, 40)
    return line


def _overflow_blocks(overflow: Overflow) -> list[dict[str, Any]]:
    blocks = [_section(_overflow_heading(overflow))]
    listing = _overflow_listing(overflow)
    if listing:
        blocks.append(_section(listing))
    return blocks


def _overflow_heading(overflow: Overflow) -> str:
    count = len(overflow.items)
    noun = "headline" if count == 1 else "headlines"
    source = fit(overflow.outlet or overflow.feed, escape_slack, 200)
    return f"📰 {count} more {noun} from {source}"


def slack_text(message: Alert | Overflow | FollowUp | Digest) -> str:
    """The top-level fallback text: notifications, and all that Mattermost/Rocket.Chat show."""
    if isinstance(message, Digest):
        return digest_text(message)
    if isinstance(message, FollowUp):
        return follow_up_text(message)
    if isinstance(message, Overflow):
        # Mattermost and Rocket.Chat show only this text, so it carries the listing too.
        listing = _overflow_listing(message)
        heading = _overflow_heading(message)
        return f"{heading}\n{listing}" if listing else heading
    outlet = fit(message.outlet, escape_slack, 200)
    heading = _heading(message)
    if outlet and text_len(heading) + text_len(outlet) + 3 <= TEXT_MAX:
        heading = f"{heading} — {outlet}"
    detail = confirmed(message)
    if detail is not None:  # Mattermost and Rocket.Chat show only this text
        line = confirmed_text(detail)
        if text_len(heading) + text_len(line) + 1 > TEXT_MAX:
            # A very long link gives way: the title alone, unlinked, keeps the confirmation.
            heading = fit(message.title, escape_slack, TEXT_MAX - text_len(line) - 1)
        heading = f"{heading}\n{line}"
    event = grown(message)
    if event is None:
        return heading
    # Mattermost and Rocket.Chat show only this text: the event goes in it, latest cut first.
    room = TEXT_MAX - text_len(heading) - 1
    state = coverage(event, room)
    if text_len(state) > room:
        return heading
    text = f"{heading}\n{state}"
    latest = latest_text(event, TEXT_MAX - text_len(text) - 1)
    return f"{text}\n{latest}" if latest else text


def slack_webhook_payload(message: Alert | Overflow | FollowUp | Digest) -> dict[str, Any]:
    """Incoming-webhook JSON: fallback text, blocks, no unfurls; one user-group ping if routed."""
    if isinstance(message, Digest):
        blocks = digest_blocks(message)
    elif isinstance(message, Overflow):
        blocks = _overflow_blocks(message)
    elif isinstance(message, FollowUp):
        blocks = follow_up_blocks(message)
    else:
        blocks = slack_blocks(message)
    mention = _mention(message)
    text = slack_text(message)
    if mention:
        text = mention + text
        blocks[0]["text"]["text"] = mention + blocks[0]["text"]["text"]
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
