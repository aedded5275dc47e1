"""Who holds an outbox lease, and whether that sender is still alive on this machine.

A sender killed mid-send leaves its rows leased. Waiting for the lease to expire delays those
alerts by a minute after every crash; a process that can see the holder is gone takes them back
at once. Anything it cannot be sure of (another host, a live PID) waits for the lease as before.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LeaseOwner:
    """host:pid:start — unique per process, even when a container restarts as PID 1 again."""

    host: str
    pid: int
    started_ms: int

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started_ms}"

    @classmethod
    def this_process(cls) -> LeaseOwner:
        """The identity this process leases rows under."""
        return cls(socket.gethostname(), os.getpid(), time.time_ns() // 1_000_000)

    @classmethod
    def parse(cls, text: str) -> LeaseOwner | None:
        """The inverse of str(); None for anything malformed."""
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit() or not rest.isdigit():
            return None
        return cls(host, int(pid), int(rest))


def holder_is_dead(holder: LeaseOwner, me: LeaseOwner) -> bool:
    """True only when certain: the holder ran on this host and that process no longer exists."""
    if holder == me or holder.host != me.host:
        return False
    if holder.pid == me.pid:
        return True  # our PID, but an earlier process (a restarted container's PID 1)
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's live process
    return False
