"""Reading `/westminster` text: the subcommand, plain words, and Slack's escaped references.

With `should_escape: true` Slack sends a picked channel as <#C123|name>, a user group as
<!subteam^S123|@name>, a link as <https://…|label>, and &, <, > as HTML entities.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"<[^<>\s]*(?:\|[^<>]*)?>|\S+")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]{2,40})(?:\|([^<>]*))?>")
_USER_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]{2,40})(?:\|[^<>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|<>]+)(?:\|[^<>]*)?>")
_OTHER_REFERENCE = re.compile(r"<[@!#][^<>]*>")  # a user, @here, an unknown channel type
_BARE_NAME = re.compile(r"[#@]\S+")  # typed, not picked from Slack's list: no id to act on


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel named in the command text."""

    id: str
    name: str  # "" when Slack did not send one (private channels may arrive bare)


@dataclass(frozen=True, slots=True)
class Parsed:
    """One `/westminster` invocation, taken apart."""

    verb: str
    words: tuple[str, ...] = ()
    channels: tuple[ChannelRef, ...] = ()
    user_groups: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # references we cannot act on: users, @here, bare #name

    def number(self) -> int | None:
        """The first plain word that is a whole number."""
        return next((int(w) for w in self.words if w.isdigit()), None)

    def names(self) -> tuple[str, ...]:
        """The plain words that are not numbers, lowercased (category names)."""
        return tuple(w.lower() for w in self.words if not w.isdigit())


def parse_command(text: str) -> Parsed:
    """Split `/westminster` text into its verb and arguments; the verb is "" for no text."""
    words: list[str] = []
    channels: list[ChannelRef] = []
    groups: list[str] = []
    links: list[str] = []
    unknown: list[str] = []
    for token in _TOKEN.findall(text):
        if match := _CHANNEL.fullmatch(token):
            channels.append(ChannelRef(match[1], html.unescape(match[2] or "").strip()))
        elif match := _USER_GROUP.fullmatch(token):
            groups.append(match[1])
        elif match := _LINK.fullmatch(token):
            links.append(html.unescape(match[1]))
        elif _OTHER_REFERENCE.fullmatch(token) or _BARE_NAME.fullmatch(token):
            unknown.append(html.unescape(token))
        else:
            words.append(html.unescape(token))
    verb = words.pop(0).lower() if words else ""
    return Parsed(verb, tuple(words), tuple(channels), tuple(groups), tuple(links), tuple(unknown))
