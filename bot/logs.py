"""Log output on stderr: one line per event, plain text or JSON, with known secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.config import Secrets, Settings

REDACTED = "[redacted]"
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MIN_SECRET = 8  # shorter values would redact ordinary words
_MIN_URL_PART = 16  # webhook URL path segments this long are (or contain) the token
# Structured context a caller may pass with `extra=`; JSON lines carry it as fields.
_CONTEXT_FIELDS = ("feed", "destination")


class RedactSecrets(logging.Filter):
    """Defence in depth: replaces every configured token and webhook URL in a record.

    The code never logs secrets on purpose; this catches the accidents (a library's exception
    message that quotes a URL, a token echoed in an error body).
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []

    def add(self, values: Iterable[str | None]) -> None:
        """Redact these values from now on (URLs: also their long path segments)."""
        found = set(self._secrets)
        for value in values:
            if not value or len(value) < _MIN_SECRET:
                continue
            found.add(value)
            if "://" in value:
                found.update(s for s in urlsplit(value).path.split("/") if len(s) >= _MIN_URL_PART)
        # Longest first, so a URL is replaced whole before its parts.
        self._secrets = sorted(found, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: let the handler report it as usual
            return True
        record.msg, record.args = self.scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and feed/destination if given."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise one record; newlines in messages and tracebacks stay escaped."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _CONTEXT_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str = "text") -> RedactSecrets:
    """Log to stderr in `fmt`; returns the redactor, already holding the environment's tokens."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    redactor = RedactSecrets()
    env = Secrets.from_env()
    redactor.add(
        [env.discord_token, env.slack_bot_token, env.slack_app_token, env.slack_signing_secret]
    )
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level))
    # APScheduler logs every job run at INFO: noise beside our own one line per poll.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return redactor


def secrets_of(settings: Settings) -> list[str | None]:
    """Every secret a config can carry: tokens and webhook URLs (feeds' and ops')."""
    found: list[str | None] = [
        settings.secrets.discord_token,
        settings.secrets.slack_bot_token,
        settings.secrets.slack_app_token,
        settings.secrets.slack_signing_secret,
    ]
    found += [hook.url for hook in settings.webhooks]
    if settings.ops is not None:
        found.append(settings.ops.url)
    return found
