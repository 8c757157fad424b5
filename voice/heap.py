"""The C heap of a long-running process: fewer malloc arenas, and freed memory handed back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


LIBC = _libc()


def limit_arenas(arenas: int = ARENAS) -> bool:
    """glibc gives each thread that meets contention an arena of its own, up to 8 per core, and
    memory freed in one is not reused by another: a server whose calls run speech on pool threads
    grows that way (issue 21's soak). Call before the threads start; False where there is no glibc."""
    mallopt = getattr(LIBC, "mallopt", None)
    return bool(mallopt and mallopt(M_ARENA_MAX, arenas) == 1)


def give_back_freed() -> bool:
    """Return the free pages of every arena to the system (glibc's malloc_trim); after a call ends,
    what its audio and transcripts held is RSS no longer. True when some was returned."""
    trim = getattr(LIBC, "malloc_trim", None)
    return bool(trim and trim(0) == 1)
