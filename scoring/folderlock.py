"""One batch at a time per output folder.

Two batches writing into one folder overwrite each other's scorecards and
summaries, and the start-up sweep of one removed the other's temporary
``.*.part`` files mid-write. :func:`folder_lock` takes an exclusive lock on
``<folder>/.zwgk-batch.lock`` (``fcntl.flock``; ``msvcrt.locking`` on Windows)
that the operating system releases when the process ends, however it ends, so
a killed run never leaves a stale lock behind. The file holds the owner's
process id (for the refusal message) and is removed when the run finishes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError, Problem
from .iofiles import os_error_text

LOCK_NAME = ".zwgk-batch.lock"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold the folder's batch lock for the block, or refuse with a Chinese message."""
    path = folder / LOCK_NAME
    fd = _acquire(path, folder)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # before unlocking: a run that opens the file now gets a new one
        os.close(fd)


def _acquire(path: Path, folder: Path) -> int:
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(Problem(f"无法在输出文件夹中建立锁文件：{os_error_text(exc)}", str(path))) from None
        if not _try_lock(fd):
            owner = _owner(fd)
            os.close(fd)
            who = f"（进程 {owner}）" if owner else ""
            raise InputError(
                Problem(
                    f"另一个批量评分{who}正在向这个文件夹写入，为免互相覆盖，本次未运行；"
                    "请等它结束后再运行，或用 -o 换一个输出文件夹",
                    str(folder),
                )
            )
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the previous owner removed the file between our open and our lock: retry


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii").strip()
        if text.isdigit():
            return text
    return ""
