"""The Slack app: Block Kit alerts via chat.postMessage and the /westminster slash command."""

from bot.transports.slack.app import SlackTransport, build

__all__ = ["SlackTransport", "build"]
