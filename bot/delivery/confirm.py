"""Confirmed by Parliament: open party watches checked against the Members API's records.

After each poll cycle (`poll`) and on a schedule (`run`), one batched `GET
/api/Members/History` for every watched MP. A watch is confirmed only by a party history
entry for the party the report named (through the gazetteer's aliases: Tory = Conservative)
that starts no earlier than the day before the first report; "Independent", how Parliament
records a suspended whip, never confirms. A confirmation is stored and every destination told
of the event gets one update saying so. A watch Parliament does not confirm within its week
closes silently. The API being down is logged once per outage and loses nothing: the watches
stay open for the next check. Parliament's data is under the Open Parliament Licence v3.0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from bot.config import ParliamentSettings
from bot.delivery.updates import arm_confirmation
from bot.domain import CONFIRMED_BY_PARLIAMENT, confirmation_text
from bot.knowledge.members_api import MembersApi, MembersApiError, OutageLog
from bot.knowledge.members_records import MemberHistory, PartyEntry
from bot.knowledge.parties import resolve
from bot.store import watches
from bot.store.sql import Store

log = logging.getLogger(__name__)

# A move recorded as starting the day before the first report still confirms it: Parliament
# dates a defection from when it happened, and reports of an evening move come the next day.
_RECORDED_EARLY_BY = timedelta(days=1)


class _Outages(OutageLog):
    """The Members API's outages as the checker meets them: once each, saying what waits."""

    def failed(self, error: MembersApiError) -> None:
        """One WARNING when an outage starts, naming the watches that wait for it."""
        super().failed(MembersApiError(f"{error}; party watches stay open until it answers"))


def confirming_entry(watch: watches.Watch, history: MemberHistory | None) -> PartyEntry | None:
    """The party history entry that confirms the watch's claim, if Parliament records one."""
    if history is None:
        return None
    earliest = (watch.first_report.date() - _RECORDED_EARLY_BY).isoformat()
    for entry in sorted(history.parties, key=lambda e: e.start, reverse=True):
        # resolve() knows no "Independent": a suspended whip is no party anyone joins.
        if entry.start >= earliest and resolve(entry.party.name) == watch.party:
            return entry
    return None


class Confirmer:
    """Checks the open party watches; `check()` never raises."""

    def __init__(
        self,
        db: Store,
        parliament: ParliamentSettings,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.parliament = parliament
        self.clock = clock
        self.outages = _Outages(log)

    async def check(self) -> int:
        """Expire the week-old watches, ask Parliament about the rest; how many it confirmed."""
        if not self.parliament.enabled:
            return 0
        try:
            return await self._check()
        except Exception:
            # A bug or a locked database must not take the poll cycle down: next time.
            log.exception("party watches: check failed; trying again next cycle")
            return 0

    async def _check(self) -> int:
        now = self.clock()
        async with self.db.transaction() as conn:
            expired = await watches.expire_watches(conn, now)
            watching = await watches.open_watches(conn, now)
        for watch in expired:
            log.info(
                "event %d: Parliament recorded no move of %s within a week; watch closed",
                watch.event_id,
                watch.person_name,
            )
        if not watching:
            return 0
        try:
            histories = await self._histories([w.person_id for w in watching])
        except MembersApiError:
            return 0  # the outage log said so, once; every watch stays open
        confirmed = 0
        for watch in watching:
            entry = confirming_entry(watch, histories.get(watch.person_id))
            if entry is not None and await self._confirm(watch, entry, now):
                confirmed += 1
        return confirmed

    async def _histories(self, person_ids: Sequence[int]) -> dict[int, MemberHistory]:
        async with MembersApi.open(
            self.parliament.members_api,
            request_timeout=self.parliament.timeout,
            outages=self.outages,
        ) as api:
            return {history.id: history for history in await api.history(person_ids)}

    async def _confirm(self, watch: watches.Watch, entry: PartyEntry, now: datetime) -> bool:
        recorded = date.fromisoformat(entry.start)
        async with self.db.transaction() as conn:
            if not await watches.confirm_watch(
                conn, watch.event_id, entry.party.name, recorded, now
            ):
                return False  # another process confirmed it first
            queued = await arm_confirmation(conn, watch.event_id, now=now)
        log.info(
            "event %d: %s: %s; %d updates queued",
            watch.event_id,
            CONFIRMED_BY_PARLIAMENT,
            confirmation_text(watch.person_name, entry.party.name, recorded),
            queued,
        )
        return True
