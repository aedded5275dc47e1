"""Lease holders: taken back only when certainly dead on this host."""

from __future__ import annotations

import subprocess
import sys

from bot.delivery.leases import LeaseOwner, holder_is_dead


def test_owner_round_trips_even_with_colons_in_the_host() -> None:
    owner = LeaseOwner("host:with:colons", 42, 1_700_000_000_000)
    assert LeaseOwner.parse(str(owner)) == owner
    assert LeaseOwner.parse("garbage") is None
    assert LeaseOwner.parse("host:pid:start") is None


def test_a_finished_process_on_this_host_is_dead() -> None:
    me = LeaseOwner.this_process()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = LeaseOwner(me.host, int(child.stdout), me.started_ms - 1)
    assert holder_is_dead(gone, me)


def test_live_self_and_other_hosts_are_not_taken_back() -> None:
    me = LeaseOwner.this_process()
    assert not holder_is_dead(me, me)
    assert not holder_is_dead(LeaseOwner("elsewhere", 1, 1), me)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        try:
            assert not holder_is_dead(LeaseOwner(me.host, alive.pid, 1), me)
        finally:
            alive.kill()


def test_an_earlier_process_with_our_pid_is_dead() -> None:
    me = LeaseOwner.this_process()
    assert holder_is_dead(LeaseOwner(me.host, me.pid, me.started_ms - 60_000), me)
