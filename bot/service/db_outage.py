"""A database outage, told once: the first failure and the recovery, not every poll between.

With PostgreSQL the database is a server that can restart or drop off the network; every feed's
poll and every delivery pass would otherwise log the same traceback until it is back.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class DatabaseOutage:
    """Whether the database is failing, and the log lines for its start and end."""

    def __init__(self, location: str) -> None:
        self.location = location  # a file path, or a URL with its password masked
        self.down = False

    def failed(self, error: BaseException, doing: str) -> None:
        """A storage error while `doing` something: said once until the database answers."""
        if not self.down:
            log.warning(
                "database %s: %s failed (%s); polls and sends wait until it answers, nothing "
                "queued is lost",
                self.location,
                doing,
                error,
            )
        self.down = True

    def answered(self) -> None:
        """The database answered again: say so once."""
        if self.down:
            log.info("database %s: answering again; polls and sends resume", self.location)
        self.down = False
