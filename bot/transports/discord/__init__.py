"""Discord bot transport: /westminster slash commands and alerts posted by the bot.

`transport.build(context)` is what bot.app calls when DISCORD_TOKEN is set. Modules: client
(discord.py client and clean-up events), slash (the command group), access (callers and
permissions), render (replies as Discord text), sender (alerts over REST), transport (lifecycle
and build), format (the embed webhooks share). This package's own import stays light, without
discord.py, because webhooks use its format module.
"""
