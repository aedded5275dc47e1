"""The optional [ops] section: a webhook that hears when a feed or a subscription breaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config.schema import EnvUnset, Section
from bot.errors import ConfigError

OPS_PLATFORMS = ("discord", "slack")


@dataclass(frozen=True, slots=True)
class OpsSettings:
    """Where ops notices go: a Discord or Slack-format incoming webhook."""

    platform: str
    url: str  # secret: holds the webhook token
    name: str = "ops webhook"  # what logs say instead of the URL


def read_ops(
    section: Section, environ: Mapping[str, str], notices: list[str]
) -> OpsSettings | None:
    """[ops] webhook_platform, webhook_url / webhook_url_env; None when no webhook is given."""
    section.reject_unknown(["webhook_platform", "webhook_url", "webhook_url_env"])
    platform = section.string("webhook_platform", "discord")
    if platform not in OPS_PLATFORMS:
        raise ConfigError(
            f"{section.where('webhook_platform')}: must be one of {', '.join(OPS_PLATFORMS)}"
        )
    url = section.url_or_env("webhook_url", "webhook_url_env", environ)
    if isinstance(url, EnvUnset):
        notices.append(url.notice("the ops webhook"))
        return None
    return None if url is None else OpsSettings(platform, url)
