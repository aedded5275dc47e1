"""What a slash command answers: lines of text and links, rendered safely by each platform.

Replies are structured rather than markup, so feed text shown by `latest` or `why` can never ping
or inject markup: each transport escapes the text and renders the links itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a reply; the platform renders it safely."""

    text: str
    url: str


Segment = str | Link
ReplyLines = list[tuple[Segment, ...]]  # named: inside Commands, `list` is a method


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: lines of text and links, and whether only the caller sees it."""

    lines: tuple[tuple[Segment, ...], ...]
    ephemeral: bool = True
    ok: bool = True

    @classmethod
    def text(cls, *lines: str, ephemeral: bool = True, ok: bool = True) -> Reply:
        """A reply made only of plain lines."""
        return cls(tuple((line,) for line in lines), ephemeral=ephemeral, ok=ok)

    def plain(self) -> str:
        """The reply as plain text (for logs and tests)."""
        return "\n".join(
            "".join(s if isinstance(s, str) else f"{s.text} <{s.url}>" for s in line)
            for line in self.lines
        )
