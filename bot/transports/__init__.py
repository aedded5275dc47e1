"""Transports: thin adapters from the outbox to the console, webhooks, Discord and Slack."""
