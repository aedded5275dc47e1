"""The effective settings as TOML-like text, secrets masked (for `check-config`)."""

from __future__ import annotations

import json

from bot.config import Settings
from bot.redact import mask_token, mask_url


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def render_settings(settings: Settings) -> str:
    """Every effective setting, with tokens and webhook URLs masked."""
    polling = settings.polling
    lines = [
        f"# config: {settings.source or 'none (built-in defaults)'}",
        "",
        "[storage]",
        f"path = {_value(settings.storage.path)}",
        f"retention_days = {settings.storage.retention_days}",
        "",
        "[polling]",
    ]
    for key in (
        "interval",
        "jitter",
        "timeout",
        "max_bytes",
        "backfill",
        "max_age",
        "max_alerts_per_poll",
    ):
        lines.append(f"{key} = {_value(getattr(polling, key))}")
    rules = settings.rules or "(packaged rules)"
    lines += [
        "",
        "[classifier]",
        f"rules = {_value(rules)}",
        f"# categories: {', '.join(settings.categories)}",
    ]
    lines += ["", "[console]", f"enabled = {_value(settings.console)}"]
    lines += [
        "",
        "[discord]",
        f"api_base = {_value(settings.discord.api_base)}",
        f"manager_roles = {_value(settings.discord.manager_roles)}",
    ]
    lines += [
        "",
        "[slack]",
        f"api_base = {_value(settings.slack.api_base)}",
        f"managers = {_value(settings.slack.managers)}",
    ]
    lines += ["", "[http]", f"listen = {_value(settings.http_listen)}"]
    if settings.ops is not None:
        lines += [
            "",
            "[ops]",
            f"webhook_platform = {_value(settings.ops.platform)}",
            f"webhook_url = {_value(mask_url(settings.ops.url))}",
        ]
    for feed in settings.feeds:
        lines += ["", "[[feeds]]", f"name = {_value(feed.name)}", f"url = {_value(feed.url)}"]
        if feed.interval is not None:
            lines.append(f"interval = {_value(feed.interval)}")
    for hook in settings.webhooks:
        lines += [
            "",
            "[[webhooks]]",
            f"name = {_value(hook.name)}",
            f"platform = {_value(hook.platform)}",
            f"url = {_value(mask_url(hook.url))}",
            f"categories = {_value(hook.categories or settings.categories)}",
        ]
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
