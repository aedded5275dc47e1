"""The effective settings as TOML-like text, secrets masked (for `check-config`)."""

from __future__ import annotations

import json

from bot.config import Settings
from bot.config.control import control_pairs
from bot.config.load import webhook_mention_text
from bot.config.schema import Table
from bot.config.types import (
    CONSOLE,
    DISCORD,
    DISPLAY,
    EVENTS,
    HTTP,
    PARLIAMENT,
    POLLING,
    SLACK,
    STORAGE,
    DiscordSettings,
)
from bot.redact import mask_token, mask_url
from bot.store.urls import mask_password


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _table(header: str, *pairs: tuple[str, object]) -> list[str]:
    return ["", header] + [f"{key} = {_value(value)}" for key, value in pairs]


def _plain(table: Table, holder: object) -> list[str]:
    """A table of plain keys, each read from the settings field it fills."""
    return _table(
        f"[{table.name}]", *((key.name, getattr(holder, key.attribute)) for key in table.keys)
    )


def _shards(discord: DiscordSettings) -> list[str]:
    """shard_ids / shard_count as set, or a comment saying sharding is automatic; and whether
    this process registers the slash commands."""
    if discord.shard_ids is None:
        lines = ["# shard_ids, shard_count: not set (this process runs every shard, automatically)"]
    else:
        lines = [
            f"shard_ids = {_value(discord.shard_ids)}",
            f"shard_count = {_value(discord.shard_count)}",
        ]
    if discord.registers_commands:
        return [*lines, "# slash commands: registered by this process"]
    return [*lines, "# slash commands: registered by the replica running shard 0, not this one"]


def render_settings(settings: Settings) -> str:
    """Every effective setting, with tokens and webhook URLs masked."""
    lines = [f"# config: {settings.source or 'none (built-in defaults)'}"]
    lines += _plain(STORAGE, settings.storage)
    if settings.storage.url:
        # PostgreSQL: `path` is then unused, and the URL's password never printed.
        lines.append(f"url = {_value(mask_password(settings.storage.url))}")
    lines += _plain(POLLING, settings.polling)
    lines += _table("[classifier]", ("rules", settings.rules or "(packaged rules)"))
    lines.append(f"# categories: {', '.join(settings.categories)}")
    lines += _plain(EVENTS, settings.events)
    lines += _plain(CONSOLE, settings) + _plain(DISCORD, settings.discord)
    lines += _shards(settings.discord)
    lines += _plain(SLACK, settings.slack) + _plain(HTTP, settings)
    lines += _plain(PARLIAMENT, settings.parliament) + _plain(DISPLAY, settings.display)
    if settings.ops is not None:
        lines += _table(
            "[ops]",
            ("webhook_platform", settings.ops.platform),
            ("webhook_url", mask_url(settings.ops.url)),
        )
    for feed in settings.feeds:
        lines += _table("[[feeds]]", ("name", feed.name), ("url", feed.url))
        if feed.interval is not None:
            lines.append(f"interval = {_value(feed.interval)}")
        if feed.outlet:
            lines.append(f"outlet = {_value(feed.outlet)}")
    zone = settings.display.timezone  # a webhook without its own timezone uses this one
    for hook in settings.webhooks:
        lines += _table(
            "[[webhooks]]",
            ("name", hook.name),
            ("platform", hook.platform),
            ("url", mask_url(hook.url)),
            ("categories", hook.categories or settings.categories),
            ("updates", hook.updates),
        )
        if hook.mention is not None:
            lines.append(f"mention = {_value(webhook_mention_text(hook))}")
        if hook.recent:
            lines.append("recent = true")
        lines += [f"{k} = {_value(v)}" for k, v in control_pairs(hook.control, zone)]
    secrets = settings.secrets
    lines += [
        "",
        "# environment",
        f"# DISCORD_TOKEN: {mask_token(secrets.discord_token)}",
        f"# SLACK_BOT_TOKEN: {mask_token(secrets.slack_bot_token)}",
        f"# SLACK_APP_TOKEN: {mask_token(secrets.slack_app_token)}",
        f"# SLACK_SIGNING_SECRET: {mask_token(secrets.slack_signing_secret)}",
    ]
    return "\n".join(lines) + "\n"
