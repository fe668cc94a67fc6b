"""One private temporary folder per process, removed when the process ends.

WeasyPrint's ``FontConfiguration`` copies every @font-face file into a
``weasyprint-*`` folder of its own (about 40 MB for the scorecard's faces) and
removes it only in ``__del__``, which does not run in a batch worker (it leaves
through ``os._exit``) or on SIGTERM: a day of batches filled an office PC's disk.
The renderer therefore puts that folder inside :func:`private_dir`, which is
removed

* at the end of the command (:func:`cleanup`, called by the CLI and by batch
  workers' exit finalizers and signal handlers), and
* by the next process that starts, for any process that was killed outright
  (``kill -9``, power cut): :func:`sweep_stale` removes the folders whose
  process no longer exists.

This module is an edge: it reads the temporary-folder setting (``TMPDIR``) through
:mod:`tempfile`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

PREFIX = "zwgk-scoring-"
_NAME = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")

_dir: Path | None = None
_owner = 0  # the pid that created _dir: a forked child inherits the variable, not the folder


def private_dir() -> Path:
    """This process's folder, created on first use (after sweeping dead processes' folders)."""
    global _dir, _owner
    if _dir is None or _owner != os.getpid():
        sweep_stale()
        _dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        _owner = os.getpid()
    return _dir


def cleanup() -> None:
    """Remove this process's folder (if it made one). Safe to call more than once, and from a
    signal handler: no locks, no allocation beyond the walk."""
    global _dir
    if _dir is not None and _owner == os.getpid():
        shutil.rmtree(_dir, ignore_errors=True)
        _dir = None


def sweep_stale(parent: Path | None = None) -> int:
    """Remove the folders of processes that are gone (killed before they could clean up)."""
    base = Path(parent or tempfile.gettempdir())
    removed = 0
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            match = _NAME.match(entry.name)
            if not match or not _is_ours(entry) or _alive(int(match.group(1))):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _is_ours(entry: Path) -> bool:
    try:
        st = entry.lstat()
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(st.st_mode) and (not hasattr(os, "geteuid") or st.st_uid == os.geteuid())


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill(pid, 0) would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (someone else's) or cannot tell: keep the folder
    return True
