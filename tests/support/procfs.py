"""What Linux's /proc says about the processes a test started: children, liveness, peak memory."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes `pid` started (any of its threads), as /proc lists them."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue  # the thread or process ended while we looked
    return found


def descendants(pid: int) -> list[int]:
    """Children, their children, and so on."""
    pending, found = [pid], []
    while pending:
        kids = children(pending.pop())
        found += kids
        pending += kids
    return found


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The command name may hold spaces and parentheses; the fields after its last ")" don't.
    return stat.rpartition(")")[2].split()[0] != "Z"


def vm_hwm_kb(pid: int) -> int:
    """Peak RSS of a live process in KiB, 0 where unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0
