"""Replies as Discord text: escaped, links safe, split under the 2000-character limit."""

from __future__ import annotations

from bot.commands import Link, Reply
from bot.transports.discord.render import CONTENT_MAX, MAX_CHUNKS, render_line, render_reply


def test_text_is_escaped_and_spaces_between_segments_survive() -> None:
    line = ("🔀 ", Link("Tory **MP** defects", "https://news.example/a"), " — BBC, @everyone")
    assert render_line(line) == (
        "🔀 [Tory \\*\\*MP\\*\\* defects](<https://news.example/a>) — BBC, @\u200beveryone"
    )


def test_links_cannot_break_out_or_use_other_schemes() -> None:
    sneaky = Link("x](https://evil.example) [y", "https://news.example/a)b<c>")
    assert render_line((sneaky,)) == (
        "[x\\]\\(https://evil.example\\) \\[y](<https://news.example/a%29b%3Cc%3E>)"
    )
    assert render_line((Link("click", "javascript:alert(1)"),)) == "click"
    assert render_line((Link("", "https://news.example/b"),)) == (
        "[https://news.example/b](<https://news.example/b>)"
    )


def test_long_replies_are_split_between_lines_and_capped() -> None:
    lines = [f"• line {i} " + "x" * 300 for i in range(20)]
    chunks = render_reply(Reply.text(*lines))
    assert all(len(c) <= CONTENT_MAX for c in chunks)
    assert "\n".join(chunks).count("• line") == 20
    huge = render_reply(Reply.text(*(["y" * 1500] * 50)))
    assert len(huge) == MAX_CHUNKS
    assert huge[-1] == "… and 46 more message(s) left out."
