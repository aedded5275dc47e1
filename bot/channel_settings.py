"""Channel control from chat, platform-neutral: /westminster settings, watch, mute and unmute.

Changing a channel's settings takes the same permission as subscribing it; reading them takes
none. A channel with no destination yet gets one (as subscribing would): a channel may watch
people without subscribing to any category. Every typed value is read by bot.control.settings,
the same validators the config uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import available_timezones

from bot.commands import REFUSAL, Caller, Channel, Commands, Reply
from bot.control import describe as said
from bot.control import settings as check
from bot.control.schedule import in_quiet_hours, muted
from bot.domain import ChannelControl
from bot.store import destinations as dest_store
from bot.store.holding import held_count

NOTHING = ("none", "nothing", "off", "-")  # `except none`: no exceptions
DEFAULT_ZONE_WORDS = ("default", "off", "reset")
# Validators start some messages with the config key ("min_reports: …"); a reply in chat, where
# the command already says which setting it is, does without.
SETTING_NAMES = ("min_reports", "watch", "digest", "except")
_ZONES: dict[str, str] = {}  # lower-cased zone name → the name; filled on first need


@dataclass(frozen=True, slots=True)
class Changed:
    """A channel's settings before and after one change, and what it has held now."""

    label: str
    before: ChannelControl
    after: ChannelControl
    held: int
    zone: str  # the channel's effective time zone after the change


@dataclass
class ChannelSettings:
    """The use cases behind /westminster settings, and the change every control command makes."""

    commands: Commands

    async def show(self, caller: Caller, channel: Channel) -> Reply:
        """Every setting of a channel in words, with what it has held; anyone may read them."""
        conn = self.commands.db.conn
        found = await dest_store.find_destination(conn, channel.key(caller))
        control = found.control if found is not None else ChannelControl()
        held = await held_count(conn, found.id) if found is not None else 0
        return Reply.text(*self.describe(channel.label, control, held))

    def describe(self, label: str, control: ChannelControl, held: int) -> list[str]:
        """The lines of `/westminster settings`."""
        now, zone = self.now(), self.zone(control)
        quiet = "off"
        if control.quiet_hours is not None:
            quiet = f"{said.span(control.quiet_hours)} {zone}" + self._except(control.quiet_except)
            quiet += " (quiet now)" if in_quiet_hours(control, now, self._default()) else ""
        digest = "off (each event alerts at once)"
        if control.digest:
            digest = said.digest_times(control.digest, zone) + self._except(control.digest_except)
        floor = "every event alerts at its first report"
        if control.min_reports > 1:
            floor = f"an event alerts once {said.outlets(control.min_reports)} have reported it"
        own = "" if control.timezone else " (the bot's default)"
        watching = ", ".join(control.watch) or "nothing (/westminster watch add)"
        mute = "no"
        if muted(control, now) and control.muted_until is not None:
            until = said.local_time(control.muted_until, zone, now)
            mute = f"until {until} (/westminster unmute ends it)"
        return [
            f"Settings of {label} (change them with /westminster settings, watch or mute):",
            f"• Quiet hours: {quiet}",
            f"• Digest: {digest}",
            f"• Noise floor: {floor}",
            f"• Time zone: {zone}{own}",
            f"• Watching: {watching}",
            f"• Muted: {mute}",
            f"• Held: {said.held(held) if held else 'nothing'}",
        ]

    async def quiet(
        self, caller: Caller, channel: Channel, hours: str, excepted: str | None = None
    ) -> Reply:
        """Set or turn off quiet hours; `excepted` (categories, or "none") replaces the
        categories that still alert at once, and is kept when not given."""
        try:
            chosen = check.quiet_hours(hours)
            names = self._names(excepted, breaking=False)
        except ValueError as exc:
            return error_reply(exc)

        def change(control: ChannelControl) -> ChannelControl:
            if chosen is None:
                return replace(control, quiet_hours=None, quiet_except=())
            kept = control.quiet_except if names is None else names
            return replace(control, quiet_hours=chosen, quiet_except=kept)

        done = await self.change(caller, channel, change)
        if isinstance(done, Reply):
            return done
        after = done.after
        if after.quiet_hours is None:
            head = f"Quiet hours off in {done.label}."
            if not after.digest and not muted(after, self.now()):
                head = f"Quiet hours off in {done.label}: alerts come at once again."
            return self.answer(done, head, same=done.before.quiet_hours is None)
        head = (
            f"Quiet hours {said.span(after.quiet_hours)} {done.zone} in {done.label}"
            f"{self._except(after.quiet_except)}. Alerts in those hours are held and come as "
            "one message when they end."
        )
        if in_quiet_hours(after, self.now(), self._default()):
            head += f" It is quiet hours now, until {after.quiet_hours.partition('-')[2]}."
        return self.answer(done, head)

    async def digest(
        self, caller: Caller, channel: Channel, value: str, excepted: str | None = None
    ) -> Reply:
        """Set or turn off a channel's digest; `excepted` (categories or "breaking", or "none")
        replaces what still alerts at once, and is kept when not given."""
        try:
            chosen = check.digest(value)
            names = self._names(excepted, breaking=True)
        except ValueError as exc:
            return error_reply(exc)

        def change(control: ChannelControl) -> ChannelControl:
            if not chosen:
                return replace(control, digest=(), digest_except=())
            kept = control.digest_except if names is None else names
            return replace(control, digest=chosen, digest_except=kept)

        done = await self.change(caller, channel, change)
        if isinstance(done, Reply):
            return done
        after = done.after
        if not after.digest:
            head = f"Digest off in {done.label}: each event alerts on its own again."
            return self.answer(done, head, same=not done.before.digest)
        head = (
            f"Digest {said.digest_times(after.digest, done.zone)} in {done.label}"
            f"{self._except(after.digest_except)}. Instead of an alert per event, one message "
            "per period lists its events, most reported first; a quiet period sends nothing."
        )
        return self.answer(done, head)

    async def min_reports(self, caller: Caller, channel: Channel, value: str | int) -> Reply:
        """Set the noise floor: how many outlets an event needs before it alerts here."""
        try:
            number = check.min_reports(value.strip() if isinstance(value, str) else value)
        except ValueError as exc:
            return error_reply(exc)
        done = await self.change(caller, channel, lambda c: replace(c, min_reports=number))
        if isinstance(done, Reply):
            return done
        if number == 1:
            head = f"In {done.label} every event alerts at its first report."
        else:
            head = (
                f"In {done.label} an event now alerts once {said.outlets(number)} have "
                "reported it, listing them all."
            )
        return self.answer(done, head, same=done.before.min_reports == number)

    async def timezone(self, caller: Caller, channel: Channel, name: str) -> Reply:
        """Set the zone a channel's quiet hours and digest times are read in ("default" resets)."""
        try:
            typed = name.strip()
            chosen = None if typed.lower() in DEFAULT_ZONE_WORDS else check.timezone(_cased(typed))
        except ValueError as exc:
            return error_reply(exc)
        done = await self.change(caller, channel, lambda c: replace(c, timezone=chosen))
        if isinstance(done, Reply):
            return done
        if chosen is None:
            head = f"{done.label} uses the bot's time zone: {done.zone}."
        else:
            head = f"Time zone of {done.label}: {chosen}."
        if done.after.quiet_hours or done.after.digest:
            head += f" Its quiet hours and digest times are {done.zone} times."
        return self.answer(done, head, same=done.before.timezone == chosen)

    async def change(
        self,
        caller: Caller,
        channel: Channel,
        change: Callable[[ChannelControl], ChannelControl],
    ) -> Changed | Reply:
        """Apply `change` to a channel's settings (making its destination when it has none)."""
        if not caller.can_manage:
            return Reply.text(REFUSAL, ok=False)
        key = channel.key(caller)
        try:
            async with self.commands.db.transaction() as conn:
                dest_id = await dest_store.upsert_destination(
                    conn,
                    key=key,
                    kind=caller.platform,
                    label=channel.label,
                    scope=caller.scope,
                    channel=channel.id,
                    now=self.now(),
                )
                found = await dest_store.find_destination(conn, key)
                before = found.control if found is not None else ChannelControl()
                after = change(before)  # may raise ValueError: nothing is written then
                if after != before:
                    await dest_store.set_control(conn, dest_id, after)
                held = await held_count(conn, dest_id)
        except ValueError as exc:
            return error_reply(exc)
        return Changed(channel.label, before, after, held, self.zone(after))

    def answer(self, done: Changed, head: str, *, same: bool = False) -> Reply:
        """A change's reply: what it means, and what is held; "already" when nothing changed."""
        if same or done.after == done.before:
            return Reply.text(f"Already so. {head}")
        held = self.held_line(done.after, done.held)
        return Reply.text(head, *([held] if held else []), ephemeral=False)

    def held_line(self, control: ChannelControl, held: int) -> str | None:
        """What becomes of the messages a channel has held, under its settings now."""
        if not held:
            return None
        now = self.now()
        if muted(control, now):
            return f"{said.held(held)} so far; they come as one message when the mute ends."
        if in_quiet_hours(control, now, self._default()):
            return f"{said.held(held)} so far; they come as one message when quiet hours end."
        if control.digest:
            return f"{said.held(held)} for the next digest."
        return f"{said.held(held)} until now; they come as one message at the next cycle."

    def _names(self, text: str | None, *, breaking: bool) -> tuple[str, ...] | None:
        """Categories typed after `except` (commas or spaces); None when none were typed."""
        if text is None or not text.strip():
            return None
        words = text.replace(",", " ").split()
        if len(words) == 1 and words[0].lower() in NOTHING:
            return ()
        return check.categories(
            words, self.commands.categories, setting="except", breaking=breaking
        )

    def _except(self, names: tuple[str, ...]) -> str:
        return said.excepted(names, self.commands.label)

    def _default(self) -> str:
        return self.commands.display.timezone

    def zone(self, control: ChannelControl) -> str:
        """The channel's effective time zone: its own, else the [display] one."""
        return control.timezone or self._default()

    def now(self) -> datetime:
        """The use cases' clock (injected in tests)."""
        return self.commands.clock()


def _cased(zone: str) -> str:
    """ "europe/london" as the zone database writes it (Slack has no list to pick from)."""
    if not _ZONES:
        _ZONES.update((z.lower(), z) for z in available_timezones())
    return _ZONES.get(zone.lower().replace(" ", "_"), zone)


def error_reply(exc: ValueError) -> Reply:
    """A validator's message as a sentence that refuses (without the config key it names)."""
    text = str(exc)
    for key in SETTING_NAMES:
        text = text.removeprefix(f"{key}: ")
    return Reply.text(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."), ok=False)
