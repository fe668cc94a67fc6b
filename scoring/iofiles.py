"""Atomic output: a file is replaced only by a complete new one, inputs never."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError, Problem


def write_atomic(path: Path, data: bytes, protect: Iterable[Path] = ()) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and
    ``os.replace``; refuse to overwrite any of the ``protect`` input files."""
    target = path.resolve()
    for item in protect:
        if item.exists() and target == item.resolve():
            raise InputError(Problem("输出文件与输入文件相同，为防止覆盖原始材料，已停止；请换一个输出路径", str(path)))
    if target.is_dir():
        raise InputError(Problem("输出路径是一个文件夹，请给出文件名", str(path)))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
