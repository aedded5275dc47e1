"""The Slack app: Block Kit alerts via chat.postMessage and the /westminster slash command.

This package's own import stays light (no slack_bolt): webhooks use its format module.
"""
