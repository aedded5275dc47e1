"""Slack rendering of a digest: a heading section, one section per event, and a plain-text
fallback that carries the listing too (all that Mattermost and Rocket.Chat show).

Times go out as <!date^…> tokens, each reader's own time zone, with a UTC fallback.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import Digest, DigestItem
from bot.transports.digest import (
    ITEM_MAX,
    ItemStyle,
    fit_items,
    heading,
    item_text,
    more_events,
    spans_days,
)
from bot.transports.slack.updates import TEXT_MAX, clock
from bot.transports.text import as_utc, escape_slack, text_len

BLOCKS_MAX = 50
_ITEM_BLOCKS_MAX = BLOCKS_MAX - 2  # the heading, and a closing "and N more events"


def _link(url: str, title: str) -> str:
    # safe_url percent-encodes '|' and '>', so the URL cannot end the link early.
    return f"*<{url}|{title}>*"


def _bold(title: str) -> str:
    return f"*{title}*"


STYLE = ItemStyle(escape=escape_slack, link=_link, plain=_bold)


def _dated(moment: datetime) -> str:
    """'<!date^…^{date_short} {time}|06 Mar 22:00 UTC>' for a period of a day or more."""
    when = as_utc(moment)
    return f"<!date^{int(when.timestamp())}^{{date_short}} {{time}}|{when:%d %b %H:%M} UTC>"


def digest_heading(digest: Digest) -> str:
    """The shared heading in bold, with the period's times in each reader's zone."""
    show = _dated if spans_days(digest) else clock
    return f"*{heading(digest, f'{show(digest.since)}–{show(digest.until)}')}*"


def _render(item: DigestItem, room: int) -> str | None:
    return item_text(item, STYLE, room)


def _section(text: str) -> dict[str, Any]:
    # verbatim: Slack must not auto-link bare URLs or #channel names in feed text.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    """Block Kit: the heading, each event as a section, then "and N more events" if any."""
    blocks = [_section(digest_heading(digest))]
    left_out = max(0, len(digest.items) - _ITEM_BLOCKS_MAX)
    for index, item in enumerate(digest.items[:_ITEM_BLOCKS_MAX]):
        text = _render(item, min(ITEM_MAX, TEXT_MAX))
        if text is None:  # only a title that cannot be shown at all; never expected
            left_out += len(digest.items[:_ITEM_BLOCKS_MAX]) - index
            break
        blocks.append(_section(text))
    if left_out:
        note = {"type": "mrkdwn", "text": more_events(left_out), "verbatim": True}
        blocks.append({"type": "context", "elements": [note]})
    return blocks


def digest_text(digest: Digest) -> str:
    """The fallback text: heading and as many events as fit in 3000 characters."""
    head = digest_heading(digest)
    lines, left_out = fit_items(digest.items, _render, TEXT_MAX - text_len(head) - 1)
    if left_out:
        lines.append(more_events(left_out))
    return "\n".join([head, *lines])
