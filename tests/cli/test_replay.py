"""`division-bell replay FILE.jsonl`: an archive through the real pipeline on a virtual clock."""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.replay import run_replay
from bot.cli.replay_feeds import RollingFeed
from bot.cli.replay_input import ArchivedEntry, ReplayInputError, group_feeds, read_archive
from bot.config import load_settings
from tests.support.chat_server import ChatServer
from tests.support.cli import run_cli, write_config

WIRE = "https://westminster-wire.example/"
GAZETTE = "https://lobby-gazette.example/"
DOE = "Conservative MP Jane Doe defects to Labour"
DOE_AGAIN = "Jane Doe defects to Labour"
DOE_WHY = "Jane Doe defects to Labour, saying the Tories have lost their way"
ROE = "Labour MP John Roe defects to the Liberal Democrats"
FETE = "Village fete raises record sum for church roof"
HEAT = "Heatwave to continue into the weekend"
INQUIRY = "Covid inquiry hears evidence from former health secretary"


def _entry(title: str, site: str, slug: str, published: str, **extra: Any) -> dict[str, Any]:
    outlet = "Westminster Wire" if site == WIRE else "Lobby Gazette"
    record = {"title": title, "link": site + slug, "published": published, "outlet": outlet}
    return {**record, "feed": site + "rss", **extra}


# Wednesday 11 June 2025 (BST): a defection reported three times within the hour by both
# outlets, a second defection whose outlet is first polled five minutes after it, an ordinary
# item, one at 23:30 UTC (Thursday in London), and an inquiry story the next morning.
ARCHIVE = [
    _entry(DOE, WIRE, "doe", "2025-06-11T10:00:00+00:00", summary="<p>Tories &amp; <b>PM</b></p>"),
    _entry(ROE, GAZETTE, "roe", "2025-06-11T10:05:00+00:00", summary=None),
    _entry(DOE_AGAIN, GAZETTE, "doe", "2025-06-11T10:20:00+00:00", summary=""),
    _entry(FETE, GAZETTE, "fete", "2025-06-11T10:30:00+00:00", summary="Cakes <and> ale"),
    _entry(DOE_WHY, WIRE, "doe-why", "2025-06-11T11:50:00+01:00"),
    _entry(HEAT, WIRE, "heat", "2025-06-11T23:30:00Z"),
    _entry(INQUIRY, GAZETTE, "inquiry", "2025-06-12T09:00:00+00:00"),
]
TABLE_ROW = re.compile(
    r"^(\w{3} \d{4}-\d{2}-\d{2}|total) +([\d,]+) +([\d,]+) +([\d,]+) +([\d,]+) +([\d,]+)$"
)


def write_archive(path: Path, records: list[dict[str, Any]], *, blank_lines: bool = True) -> Path:
    """One JSON object per line, with blank lines between some (which replay skips)."""
    lines = [json.dumps(r) for r in records]
    if blank_lines:
        lines.insert(2, "")
        lines.append("   ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def day_rows(stdout: str) -> dict[str, tuple[int, ...]]:
    """The closing table: day (or total) → headlines, categorised, alerts, updates, follow-ups."""
    rows = {}
    for line in stdout.splitlines():
        match = TABLE_ROW.match(line)
        if match:
            rows[match.group(1)] = tuple(int(v.replace(",", "")) for v in match.groups()[1:])
    return rows


def assert_in_order(text: str, *pieces: str) -> None:
    """Each piece occurs in `text`, each after the one before."""
    position = 0
    for piece in pieces:
        found = text.find(piece, position)
        assert found >= 0, f"{piece!r} not found after position {position} in:\n{text}"
        position = found + len(piece)


def test_alerts_print_in_order_under_their_virtual_times_with_a_count_per_day(
    tmp_path: Path, chat: ChatServer
) -> None:
    archive = write_archive(tmp_path / "archive.jsonl", ARCHIVE)
    # The user's config names a webhook, and a Discord token is in the environment: replay
    # must reach neither, nor touch the configured database.
    write_config(
        tmp_path,
        feeds={"Real feed": chat.url("/feed.xml")},
        webhooks=[{"platform": "discord", "url": chat.url("/discord/desk"), "name": "desk"}],
        extra=f'[discord]\napi_base = "{chat.url("/api")}"\n',
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch), "DISCORD_TOKEN": "Bot.replay-must-not-use-this"}
    result = run_cli(
        ["--config", "division-bell.toml", "replay", str(archive)], cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Replaying 7 entries from 2 feeds (2 outlets)")
    assert "polled every 300 s" in out
    assert_in_order(
        out,
        "── Wed 11 Jun 11:00 BST ──\n🔀 Defection: " + DOE,
        WIRE + "doe",
        "Westminster Wire · 2025-06-11 11:00 BST",
        "── Wed 11 Jun 11:05 BST ──\n🔀 Defection: " + ROE,
        "Lobby Gazette · 2025-06-11 11:05 BST",
        "── Thu 12 Jun 10:00 BST ──\n🔎 Inquiry: " + INQUIRY,
    )
    # One alert per event: the later reports of Doe's defection update it instead.
    assert out.count("\n🔀 Defection: ") - out.count("↻ UPDATE\n🔀 Defection: ") == 2
    assert "↻ UPDATE\n🔀 Defection: " + DOE in out
    assert FETE not in out
    assert HEAT not in out
    rows = day_rows(out)
    # Days in Europe/London: the 23:30 UTC item is Thursday's.
    assert list(rows) == ["Wed 2025-06-11", "Thu 2025-06-12", "total"]
    assert rows["Wed 2025-06-11"] == (5, 4, 2, 2, 0)  # two edits as Doe's event grew
    assert rows["Thu 2025-06-12"] == (2, 1, 1, 0, 0)
    days = [rows["Wed 2025-06-11"], rows["Thu 2025-06-12"]]
    assert rows["total"] == tuple(map(sum, zip(*days, strict=True)))
    # Logs stay off stdout, and below WARNING off stderr too.
    assert " INFO " not in result.stderr
    assert "Traceback" not in result.stderr
    assert list(scratch.iterdir()) == []  # the throwaway database is gone
    assert not (tmp_path / "db.sqlite3").exists()
    assert chat.attempts("/discord/desk") == []
    assert chat.attempts("/feed.xml") == []


def test_a_feed_first_polled_after_the_backfill_window_stays_silent(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive.jsonl", ARCHIVE)
    # Polled every 30 minutes with a 10-minute backfill window: the Gazette is first polled at
    # 10:30 UTC, when Roe's 10:05 defection is older than the window, as a new user's would be.
    write_config(tmp_path, feeds={}, extra="[polling]\nbackfill = 600\n")
    result = run_cli(
        ["--config", "division-bell.toml", "replay", str(archive), "--every", "1800", "-v"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert " INFO bot.pipeline.poller: feed Lobby Gazette: " in result.stderr  # -v: logs on
    assert "INFO" not in result.stdout
    assert "polled every 1800 s" in result.stdout
    assert_in_order(result.stdout, "── Wed 11 Jun 11:00 BST ──\n🔀 Defection: " + DOE, INQUIRY)
    assert ROE not in result.stdout
    assert day_rows(result.stdout)["Wed 2025-06-11"][:3] == (5, 4, 1)


def test_categories_narrow_what_the_console_is_sent(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "archive.jsonl", ARCHIVE)
    write_config(tmp_path, feeds={})
    result = run_cli(
        ["--config", "division-bell.toml", "replay", str(archive), "--categories", "inquiry"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Console subscribed to: inquiry." in result.stdout
    assert "── Thu 12 Jun 10:00 BST ──\n🔎 Inquiry: " + INQUIRY in result.stdout
    assert "Defection" not in result.stdout
    rows = day_rows(result.stdout)
    assert rows["Wed 2025-06-11"][:3] == (5, 4, 0)  # still classified, just not sent
    assert rows["total"][2] == 1
    unknown = run_cli(
        ["--config", "division-bell.toml", "replay", str(archive), "--categories", "inquiry,cats"],
        cwd=tmp_path,
    )
    assert unknown.returncode == 2
    assert "unknown 'cats'" in unknown.stderr
    assert "defection" in unknown.stderr  # what the rules do define
    assert unknown.stdout == ""


@pytest.mark.parametrize("every", ["5", "9.5", "nan", "often"])
def test_every_must_be_ten_seconds_or_more(tmp_path: Path, every: str) -> None:
    archive = write_archive(tmp_path / "archive.jsonl", ARCHIVE)
    result = run_cli(["replay", str(archive), "--every", every], cwd=tmp_path)
    assert result.returncode == 2
    assert "--every" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ({"title": DOE, "link": WIRE + "x"}, "no 'published'"),
        ({"title": DOE, "link": WIRE + "x", "published": "yesterday"}, "'yesterday' is not an ISO"),
        ({"link": WIRE + "x", "published": "2025-06-11T10:00:00Z"}, "no 'title'"),
        ({"title": "  ", "link": WIRE + "x", "published": "2025-06-11T10:00:00Z"}, "no 'title'"),
        ({"title": DOE, "published": "2025-06-11T10:00:00Z"}, "no 'link'"),
        ({"title": DOE, "link": "/x", "published": "2025-06-11T10:00:00Z"}, "not an http(s) URL"),
        ({"title": DOE, "link": WIRE, "published": "2025-06-11T10:00Z", "summary": 3}, "'summary'"),
        ("{not json", "not JSON"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_a_malformed_line_is_named_with_its_line_number(
    tmp_path: Path, bad: object, said: str
) -> None:
    line = bad if isinstance(bad, str) else json.dumps(bad)
    archive = tmp_path / "archive.jsonl"
    good = [json.dumps(r) for r in ARCHIVE[:2]]
    archive.write_text("\n".join([good[0], "", line, good[1]]) + "\n", encoding="utf-8")
    result = run_cli(["replay", str(archive)], cwd=tmp_path)
    assert result.returncode == 2
    assert f"{archive}, line 3: " in result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_unreadable_or_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = run_cli(["replay", str(tmp_path / "nowhere.jsonl")], cwd=tmp_path)
    assert missing.returncode == 2
    assert "nowhere.jsonl: cannot read the file" in missing.stderr
    (tmp_path / "latin1.jsonl").write_bytes(b'{"title": "caf\xe9"}\n')
    undecodable = run_cli(["replay", "latin1.jsonl"], cwd=tmp_path)
    assert undecodable.returncode == 2
    assert "latin1.jsonl: cannot read the file" in undecodable.stderr
    (tmp_path / "blank.jsonl").write_text("\n \n", encoding="utf-8")
    blank = run_cli(["replay", "blank.jsonl"], cwd=tmp_path)
    assert blank.returncode == 2
    assert "blank.jsonl: no entries" in blank.stderr


def test_nothing_but_loopback_is_contacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = write_archive(tmp_path / "archive.jsonl", ARCHIVE)
    config = write_config(
        tmp_path,
        feeds={"Real feed": "https://feeds.example/rss"},
        webhooks=[{"platform": "slack", "url": "https://hooks.slack.example/x", "name": "s"}],
    )
    settings = load_settings(config)
    contacted: list[object] = []
    resolved: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        contacted.append(address)
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        resolved.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stdout, stderr = io.StringIO(), io.StringIO()
    replay = run_replay(
        settings, archive, every=None, categories=None, stdout=stdout, stderr=stderr
    )
    status = asyncio.run(replay)
    assert status == 0, stderr.getvalue()
    assert DOE in stdout.getvalue()
    assert contacted  # the feeds were fetched over a socket, so this test can see a stray one
    assert {address[0] for address in contacted} == {"127.0.0.1"}  # type: ignore[index]
    assert set(resolved) <= {"127.0.0.1"}
    assert not any(p.name.startswith("division-bell-replay-") for p in tmp_path.iterdir())


def _xml(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - the replay's own document, not untrusted


def _archived(title: str, published: datetime, **extra: str) -> ArchivedEntry:
    link = extra.pop("link", "https://x.example/" + title.replace(" ", "-"))
    fields = {"summary": "", "outlet": "X", "feed": "", "guid": link, **extra}
    return ArchivedEntry(title=title, link=link, published=published, **fields)


def test_a_rolling_feed_serves_the_newest_hundred_of_the_last_day_escaped() -> None:
    noon = datetime(2025, 6, 11, 12, tzinfo=UTC)
    odd = _archived(
        "Fish & chips <tax> \x07row",
        noon,
        summary="<p>MPs & peers say ]]> “no”</p>",
        guid="urn:x:1",
    )
    stale = _archived("Yesterday's news", noon - timedelta(hours=25))
    many = [_archived(f"Item {n}", noon + timedelta(minutes=n)) for n in range(1, 121)]
    (feed,) = group_feeds([odd, stale, *many])
    rolling = RollingFeed(feed)
    assert _xml(rolling.document(noon - timedelta(days=2))).find("channel/item") is None
    at_noon = _xml(rolling.document(noon))
    items = at_noon.findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Fish & chips <tax> row"]  # stale is gone
    (item,) = items
    assert item.findtext("description") == "<p>MPs & peers say ]]> “no”</p>"
    assert item.findtext("guid") == "urn:x:1"
    assert item.find("guid").get("isPermaLink") == "false"  # type: ignore[union-attr]
    assert item.findtext("pubDate") == "Wed, 11 Jun 2025 12:00:00 GMT"
    later = _xml(rolling.document(noon + timedelta(hours=3)))
    titles = [i.findtext("title") for i in later.findall("channel/item")]
    assert len(titles) == 100
    assert titles[0] == "Item 120"
    assert titles[-1] == "Item 21"


def test_archive_fields_default_and_feeds_are_named_by_outlet(tmp_path: Path) -> None:
    records = [
        {"title": "A", "link": "https://news.example/a", "published": "2025-06-11T10:00:00"},
        {
            "title": "B",
            "link": "https://t.example/b",
            "published": "2025-06-11T10:00:00+01:00",
            "outlet": "The T",
            "feed": "https://t.example/rss",
            "id": 17,
        },
        {
            "title": "C",
            "link": "https://t.example/c",
            "published": "2025-06-11T08:00:00Z",
            "outlet": "The T",
            "feed": "https://t.example/news/rss",
        },
    ]
    entries = read_archive(write_archive(tmp_path / "a.jsonl", records))
    first, second, _ = entries
    assert first.outlet == "news.example"  # no outlet: the link's host
    assert first.published == datetime(2025, 6, 11, 10, tzinfo=UTC)  # no offset: UTC
    assert first.guid == first.link
    assert second.guid == "17"
    assert second.published == datetime(2025, 6, 11, 9, tzinfo=UTC)
    feeds = group_feeds(entries)
    assert [(f.name, f.outlet) for f in feeds] == [
        ("The T 1", "The T"),
        ("The T 2", "The T"),
        ("news.example", "news.example"),
    ]
    with pytest.raises(ReplayInputError, match="line 1: no 'title'"):
        read_archive(write_archive(tmp_path / "b.jsonl", [{"link": "https://x.example/"}]))


@pytest.mark.shared
def test_the_2024_days_replay_to_the_end_with_every_day_counted(
    tmp_path: Path, shared_dir: Path
) -> None:
    corpus = shared_dir / "corpus" / "days-2024.jsonl"
    if not corpus.is_file():
        pytest.skip("../shared/corpus/days-2024.jsonl is not present")
    days = sorted({json.loads(line)["day"] for line in corpus.read_text("utf-8").splitlines()})
    assert len(days) == 10
    result = run_cli(["replay", str(corpus)], cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Replaying 1,029 entries from 4 feeds (3 outlets)")
    rows = day_rows(result.stdout)
    listed = {label.split()[1] for label in rows if label != "total"}
    assert set(days) <= listed
    assert rows["total"][0] == 1029
    assert rows["total"][2] >= len(days) - 3  # most days hold an event that alerts
    assert result.stdout.count("── ") >= rows["total"][2]
