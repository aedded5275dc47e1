"""Discord rendering: an Alert, Overflow, FollowUp or Digest as an embed and as execute-webhook
JSON.

Plain dicts, no discord.py import, so the webhook transport and the bot adapter share them.
"""

from __future__ import annotations

import re
from typing import Any

from bot.domain import Alert, CategoryInfo, Digest, FollowUp, Overflow, OverflowItem
from bot.transports.discord.digest import digest_embed
from bot.transports.discord.updates import (
    BREAKING,
    confirmed_field,
    event_fields,
    follow_up_embed,
    latest_field,
)
from bot.transports.events import confirmed, grown
from bot.transports.text import (
    after_label,
    as_utc,
    escape_discord,
    fit,
    join_fit,
    listing,
    safe_url,
    text_len,
)

# Discord's documented embed limits (message resource, "Embed Limits").
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
EMBED_TOTAL_MAX = 6000

FOOTER = "Division Bell"
USERNAME = "Division Bell"
OVERFLOW_COLOUR = 0x95A5A6
OVERFLOW_LISTED = 10
_FALLBACK = CategoryInfo("alert", "Alert", "🔔", 0x5865F2, "")
_ROLE_ID = re.compile(r"[0-9]{1,25}")
_SUMMARY_KEPT = 500  # of the summary, kept before the latest headlines get any room


def _category(alert: Alert) -> CategoryInfo:
    return alert.categories[0] if alert.categories else _FALLBACK


def _heading(emoji: str, label: str, title: str, *, breaking: bool = False) -> str:
    """'<emoji> <Label>: <title>' within the title limit; the feed text is cut, not the label."""
    show_label, text = after_label(label, title)
    prefix = fit(f"{emoji} {label}" if show_label else emoji, escape_discord, 64)
    if breaking:
        prefix = f"{BREAKING} · {prefix}"
    separator = ": " if show_label else " "
    body = fit(text, escape_discord, TITLE_MAX - text_len(prefix) - len(separator))
    return f"{prefix}{separator}{body}" if body else prefix


def _embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000 total: title, description, fields, footer."""
    total = text_len(embed.get("title", "")) + text_len(embed.get("description", ""))
    for field in embed.get("fields", []):
        total += text_len(field["name"]) + text_len(field["value"])
    return total + text_len(embed.get("footer", {}).get("text", ""))


def _fields(alert: Alert) -> list[dict[str, Any]]:
    """Outlet, categories, why, and either the event's coverage or "also reported by"."""
    fields = [
        {
            "name": "Outlet",
            "value": fit(alert.outlet, escape_discord, FIELD_VALUE_MAX) or "unknown",
            "inline": True,
        }
    ]
    if len(alert.categories) > 1:
        names = [f"{c.emoji} {c.label}" for c in alert.categories]
        value = join_fit(names, escape_discord, FIELD_VALUE_MAX, sep=", ")
        fields.append({"name": "Categories", "value": value, "inline": True})
    if alert.evidence:
        why = join_fit(alert.evidence, lambda e: "• " + escape_discord(e), FIELD_VALUE_MAX)
        fields.append({"name": "Why", "value": why, "inline": False})
    detail = confirmed(alert)
    if detail is not None:
        fields.append(confirmed_field(detail))
    event = grown(alert)
    if event is not None:
        fields.extend(event_fields(event))  # its outlets say who else reported it
    else:
        outlets = [o for o in alert.also_reported_by if o.strip()]
        if outlets:
            others = join_fit(outlets, escape_discord, FIELD_VALUE_MAX, sep=", ")
            fields.append({"name": "Also reported by", "value": others, "inline": False})
    return [f for f in fields if f["value"]]


def discord_embed(alert: Alert) -> dict[str, Any]:
    """One Discord embed for an alert, every feed string escaped and every limit respected."""
    category = _category(alert)
    event = grown(alert)
    embed: dict[str, Any] = {
        "title": _heading(
            category.emoji,
            category.label,
            alert.title,
            breaking=event is not None and event.breaking,
        ),
        "color": category.colour & 0xFFFFFF,
    }
    url = safe_url(alert.link)
    if url:
        embed["url"] = url
    embed["fields"] = _fields(alert)
    embed["timestamp"] = as_utc(alert.published).isoformat(timespec="seconds")
    embed["footer"] = {"text": FOOTER}
    if event is not None:
        # The latest headlines are cut first: the opening of the summary keeps its room.
        summary = text_len(fit(alert.summary, escape_discord, _SUMMARY_KEPT))
        room = EMBED_TOTAL_MAX - _embed_length(embed) - summary - len("Latest")
        latest = latest_field(event, room)
        if latest is not None:
            embed["fields"].append(latest)
    # Every other part has its own cap (title 256, ≤6 fields of ≤1024 plus a short one), so
    # they total under 6000 and trimming the summary alone brings the embed within 6000.
    room = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - _embed_length(embed))
    description = fit(alert.summary, escape_discord, room)
    if description:
        embed["description"] = description
    return embed


def _overflow_line(item: OverflowItem) -> str:
    text = fit(item.title, escape_discord, 200) or "(untitled)"
    # safe_url percent-encodes ')' and the like, so the URL cannot end the masked link early.
    url = safe_url(item.link)
    line = f"• [{text}]({url})" if url else f"• {text}"
    if item.category:
        line += " — " + fit(item.category, escape_discord, 40)
    return line


def _overflow_embed(overflow: Overflow) -> dict[str, Any]:
    """A compact embed naming the first titles past the per-poll cap, and how many more."""
    count = len(overflow.items)
    source = overflow.outlet or overflow.feed
    noun = "headline" if count == 1 else "headlines"
    title = fit(f"📰 {count} more {noun} from {source}", escape_discord, TITLE_MAX)
    items = (_overflow_line(item) for item in overflow.items[:OVERFLOW_LISTED])
    lines = listing(items, count, DESCRIPTION_MAX - 40)  # room kept for "and N more"
    embed: dict[str, Any] = {"title": title, "color": OVERFLOW_COLOUR, "footer": {"text": FOOTER}}
    if lines:  # Discord rejects an empty description
        embed["description"] = "\n".join(lines)
    return embed


def discord_webhook_payload(message: Alert | Overflow | FollowUp | Digest) -> dict[str, Any]:
    """Execute-webhook JSON: one embed, no pings except exactly the role routing asked for."""
    if isinstance(message, Digest):
        embed, mention = digest_embed(message, FOOTER), None  # a summary pings nobody
    elif isinstance(message, Overflow):
        embed, mention = _overflow_embed(message), None
    elif isinstance(message, FollowUp):
        colour = (message.categories[0] if message.categories else _FALLBACK).colour
        embed, mention = follow_up_embed(message, colour, FOOTER), None
    else:
        embed, mention = discord_embed(message), message.mention
    payload: dict[str, Any] = {
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
        "username": USERNAME,
    }
    # A malformed id is dropped rather than sent: it could only come from a bad subscription row,
    # and sending no ping is the safe failure.
    if mention and _ROLE_ID.fullmatch(mention):
        payload["content"] = f"<@&{mention}>"
        payload["allowed_mentions"] = {"parse": [], "roles": [mention]}
    return payload
