"""`check-config`: validate the config and what it points at, then print it with secrets masked.

Beyond reading the file: every rule regex is compiled (as `run` will), the database's folder must
be creatable and writable (exit 2 naming [storage] path otherwise) or the PostgreSQL server must
answer (without changing the database), and a listen address already
taken is a warning, since the `run` that will use it may be the one holding it now.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
from urllib.parse import urlsplit

from bot.config import Settings
from bot.config.show import render_settings
from bot.errors import ConfigError
from bot.pipeline.classify import Classifier
from bot.store.connection import folder_advice, folder_problem
from bot.store.opening import postgres_problem

log = logging.getLogger(__name__)


def run_check(settings: Settings) -> int:
    """Check and print the effective config; 0 when it will work, ConfigError otherwise."""
    Classifier.load(settings.rules).prepare()
    if settings.storage.url:
        problem = asyncio.run(postgres_problem(settings.storage.url))
        if problem is not None:
            raise ConfigError(f"[storage] {problem}")
    else:
        problem = folder_problem(settings.storage.path, create=False)
        if problem is not None:
            raise ConfigError(folder_advice(settings.storage.path, problem))
    taken = listen_taken(settings.http_listen)
    if taken is not None:
        log.warning(
            "[http] listen %s is in use right now (%s): `run` will fail there unless what holds "
            "it (perhaps a running division-bell) stops first",
            settings.http_listen,
            taken,
        )
    for warning in platform_mismatches(settings):
        log.warning("%s", warning)
    sys.stdout.write(render_settings(settings))
    return 0


# Hosts that only ever serve one platform's webhooks (Mattermost and Rocket.Chat live anywhere,
# so a host not listed here says nothing).
_PLATFORM_HOSTS = {
    "discord": ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"),
    "slack": ("hooks.slack.com",),
}


def platform_mismatches(settings: Settings) -> list[str]:
    """A warning per webhook whose URL's host belongs to the other platform (never the URL)."""
    warnings = []
    for hook in settings.webhooks:
        host = (urlsplit(hook.url).hostname or "").lower()
        for platform, hosts in _PLATFORM_HOSTS.items():
            if platform != hook.platform and host in hosts:
                warnings.append(
                    f"webhook {hook.name!r}: platform = {hook.platform!r} but its URL is a "
                    f"{platform.capitalize()} webhook ({host}); set platform = {platform!r}, or "
                    "its alerts will be refused"
                )
    return warnings


def listen_taken(listen: str) -> str | None:
    """Why HOST:PORT cannot be bound right now (already in use), or None."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option aiohttp sets, so a port in TIME_WAIT is not reported as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return exc.strerror or "address in use"
    return None
