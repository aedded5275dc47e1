"""Parse workers spawned without running the parent's main script again.

A spawned process normally re-runs the parent's `__main__` (as `__mp_main__`) so that functions
defined there can be unpickled. Ours is the `division-bell` script, which imports the whole CLI:
every worker would pay for modules it never uses. The pool's jobs are module-level functions of
bot.pipeline, found by module name, so the workers need nothing from `__main__`.

Imported only when a pool starts (see workers._start_pool), and by each worker as it unpickles
its process object.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

_MAIN_NAMES = ("__file__", "__spec__")  # what multiprocessing reads to re-run the main script


@contextmanager
def _main_hidden() -> Iterator[None]:
    """The main module without the names that say where to find it, for one process start."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {name: main.__dict__[name] for name in _MAIN_NAMES if name in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class _LeanProcess(SpawnProcess):
    """A spawned process that starts from a bare interpreter plus what its job imports."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        # Process starts are serialised by the pool (its submit lock), and nothing else reads
        # these two names meanwhile.
        with _main_hidden():
            return SpawnProcess._Popen(process_obj)


class LeanSpawnContext(SpawnContext):
    """The "spawn" start method, with processes that skip the parent's main script."""

    Process = _LeanProcess
