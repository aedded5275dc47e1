"""`subscriptions export` / `import`: chat subscriptions as JSON, for moving to another host.

Only Discord and Slack channels travel, with their subscriptions and settings: config
destinations (console, webhooks) come from the config file, which moves on its own.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.config.types import UPDATE_MODES
from bot.control import settings as check
from bot.domain import ChannelControl
from bot.store import transfer
from bot.store.opening import open_store
from bot.store.sql import Store

FORMAT = "division-bell-subscriptions"
VERSION = 1
CHAT_KINDS = ("discord", "slack")


EXIT_BAD_FILE = 2


class ImportFileError(ValueError):
    """The file is not a subscriptions export this version can read."""


def run_subscriptions(action: str, file: str | None, settings: Settings, *, stdin: TextIO) -> int:
    """`subscriptions export` (JSON on stdout) or `subscriptions import FILE`; exit status."""
    if action == "export":
        sys.stdout.write(asyncio.run(_export(settings)))
        return 0
    assert file is not None  # noqa: S101 - argparse requires FILE for import
    try:
        text = stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        records, warnings = parse_export(text, settings.categories)
    except (OSError, UnicodeDecodeError, ImportFileError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        print(f"division-bell: {file}: {reason}", file=sys.stderr)
        return EXIT_BAD_FILE
    written = asyncio.run(_import(settings, records))
    for warning in warnings:
        print(f"division-bell: {warning}", file=sys.stderr)
    print(f"imported {written} subscriptions for {len(records)} channels from {file}")
    return 0


async def _export(settings: Settings) -> str:
    db = await open_store(settings.storage.path, settings.storage.url)
    try:
        return await export_json(db, datetime.now(UTC))
    finally:
        await db.close()


async def _import(settings: Settings, records: list[transfer.ChannelRecord]) -> int:
    db = await open_store(settings.storage.path, settings.storage.url)
    try:
        return await import_records(db, records)
    finally:
        await db.close()


async def export_json(db: Store, now: datetime) -> str:
    """Every chat channel's subscriptions as a JSON document."""
    channels = await transfer.chat_channels(db.conn, CHAT_KINDS)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _stamp(now),
        "channels": [
            {
                "key": c.key,
                "kind": c.kind,
                "label": c.label,
                "scope": c.scope,
                "channel": c.channel,
                "created_at": _stamp(c.created_at),
                "updates": c.updates,
                "control": (c.control or ChannelControl()).to_json(),
                "subscriptions": [
                    {
                        "category": s.category,
                        "mention": s.mention,
                        "created_by": s.created_by,
                        "created_at": _stamp(s.created_at),
                    }
                    for s in c.subscriptions
                ],
            }
            for c in channels
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def parse_export(
    text: str, categories: Collection[str]
) -> tuple[list[transfer.ChannelRecord], list[str]]:
    """The channels in an export, and a warning for each subscription this host cannot take."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ImportFileError(f"not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportFileError(f'not a subscriptions export (no "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise ImportFileError(f"export version {document.get('version')!r}; this reads {VERSION}")
    channels = document.get("channels")
    if not isinstance(channels, list):
        raise ImportFileError('"channels" must be a list')
    records: list[transfer.ChannelRecord] = []
    warnings: list[str] = []
    for number, raw in enumerate(channels, start=1):
        record, skipped = _channel(raw, number, categories)
        warnings += skipped
        if record.subscriptions or (record.control or ChannelControl()) != ChannelControl():
            records.append(record)
    return records, warnings


async def import_records(db: Store, records: list[transfer.ChannelRecord]) -> int:
    """Write the channels in one transaction; returns the subscriptions written."""
    written = 0
    async with db.transaction() as conn:
        for record in records:
            written += await transfer.import_channel(conn, record)
    return written


def _channel(
    raw: Any, number: int, categories: Collection[str]
) -> tuple[transfer.ChannelRecord, list[str]]:
    where = f"channel #{number}"
    if not isinstance(raw, dict):
        raise ImportFileError(f"{where}: must be an object")
    kind = _text(raw, "kind", where)
    if kind not in CHAT_KINDS:
        raise ImportFileError(f"{where}: kind must be one of {', '.join(CHAT_KINDS)}")
    key, label = _text(raw, "key", where), _text(raw, "label", where)
    updates = raw.get("updates", "edit")  # files exported before updates existed: the default
    if updates not in UPDATE_MODES:
        raise ImportFileError(f"{where}: updates must be one of {', '.join(UPDATE_MODES)}")
    subs = raw.get("subscriptions")
    if not isinstance(subs, list):
        raise ImportFileError(f"{where}: subscriptions must be a list")
    kept: list[transfer.SubscriptionRecord] = []
    skipped: list[str] = []
    for index, sub in enumerate(subs, start=1):
        at = f"{where} subscription #{index}"
        if not isinstance(sub, dict):
            raise ImportFileError(f"{at}: must be an object")
        category = _text(sub, "category", at)
        if category not in categories:
            skipped.append(f"{label} ({key}): category {category!r} is unknown here; skipped")
            continue
        mention = sub.get("mention")
        if mention is not None and not isinstance(mention, str):
            raise ImportFileError(f"{at}: mention must be a string or null")
        kept.append(
            transfer.SubscriptionRecord(
                category, mention, _text(sub, "created_by", at), _time(sub, "created_at", at)
            )
        )
    control, dropped = _control(raw.get("control"), where, categories)
    skipped += [f"{label} ({key}): {reason}" for reason in dropped]
    record = transfer.ChannelRecord(
        key=key,
        kind=kind,
        label=label,
        scope=_text(raw, "scope", where),
        channel=_text(raw, "channel", where),
        created_at=_time(raw, "created_at", where),
        subscriptions=tuple(kept),
        updates=updates,
        control=control,
    )
    return record, skipped


def _control(
    raw: object, where: str, categories: Collection[str]
) -> tuple[ChannelControl | None, list[str]]:
    """A channel's settings, checked as the config and slash commands check them; categories
    this host does not have are dropped with a warning each. None: the file has none."""
    if raw is None:  # exported before channel control: the channel's settings here stay
        return None, []
    if not isinstance(raw, dict):
        raise ImportFileError(f"{where}: control must be an object")
    dropped: list[str] = []

    def known(key: str, *, breaking: bool = False) -> tuple[str, ...]:
        names = _strings(raw, key, where)
        allowed = {*categories, *([check.BREAKING] if breaking else [])}
        for name in names:
            if name not in allowed:
                dropped.append(f"{key} category {name!r} is unknown here; dropped")
        kept = [name for name in names if name in allowed]
        return check.categories(kept, categories, setting=key, breaking=breaking)

    try:
        control = ChannelControl(
            quiet_hours=check.quiet_hours(_optional(raw, "quiet_hours", where)),
            quiet_except=known("quiet_except"),
            timezone=check.timezone(_optional(raw, "timezone", where)),
            digest=check.digest(_strings(raw, "digest", where)),
            digest_except=known("digest_except", breaking=True),
            watch=check.watch_terms(_strings(raw, "watch", where)),
            min_reports=check.min_reports(raw.get("min_reports", 1)),
            muted_until=_muted(raw, where),
        )
    except ImportFileError:
        raise
    except ValueError as exc:  # a validator's message
        raise ImportFileError(f"{where}: control: {exc}") from None
    return control, dropped


def _optional(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ImportFileError(f"{where}: control {key} must be a string")
    return value


def _strings(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImportFileError(f"{where}: control {key} must be a list of strings")
    return value


def _muted(raw: dict[str, Any], where: str) -> datetime | None:
    if raw.get("muted_until") is None:
        return None
    return _time(raw, "muted_until", f"{where} control")


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise ImportFileError(f"{where}: {key} must be a string")
    return value


def _time(raw: dict[str, Any], key: str, where: str) -> datetime:
    text = _text(raw, key, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ImportFileError(f"{where}: {key} is not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ImportFileError(f"{where}: {key} has no time zone: {text!r}")
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
