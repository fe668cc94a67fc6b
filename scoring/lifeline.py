"""A worker process ends when the process that started it is gone.

Killed with ``kill -9`` (or by the out-of-memory killer), a batch's parent can
neither stop its workers nor collect their results; without this they went on
scoring the files they had, then waited for more work forever (each keeps the
task pipe open for the others, so none ever saw it close). Two mechanisms:

* Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel sends SIGTERM to the
  worker the moment its parent (the thread that forked it) exits;
* everywhere: a daemon thread that looks at ``os.getppid()`` twice a second; an
  orphan is adopted by another process (init or a sub-reaper), so the parent id changes.

Either way the worker runs its clean-up (its temporary folder) and leaves with
``os._exit``, without finishing the file in hand: nobody would collect it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
ORPHANED = 128 + signal.SIGTERM  # exit status of a worker that outlived its parent, as if terminated
CHECK_EVERY = 0.5  # seconds between two looks at the parent id


def exit_with_parent(parent_pid: int, cleanup: Callable[[], None]) -> None:
    """Make the calling process (a freshly started worker) end when ``parent_pid`` does."""

    def leave(*_: Any) -> None:
        with contextlib.suppress(Exception):
            cleanup()
        os._exit(ORPHANED)

    signal.signal(signal.SIGTERM, leave)  # also how a broken process pool stops its workers
    _ask_kernel(signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        leave()
    threading.Thread(target=_watch, args=(parent_pid, leave), name="zwgk-parent-watch", daemon=True).start()


def _ask_kernel(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc symbol (unusual libc): the thread still watches
        return False


def _watch(parent_pid: int, leave: Callable[[], None]) -> None:
    while os.getppid() == parent_pid:
        time.sleep(CHECK_EVERY)
    leave()
