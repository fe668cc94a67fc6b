"""Atomic output: a file is replaced only by a complete new one, inputs never."""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError, Problem

# Files read during the current command (see guard_inputs): never to be overwritten.
_INPUTS: contextvars.ContextVar[set[Path] | None] = contextvars.ContextVar("scoring_inputs", default=None)
_UMASK = os.umask(0)
os.umask(_UMASK)
OS_ERRORS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "所在磁盘是只读的",
    errno.ENOENT: "路径不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.ENAMETOOLONG: "文件名过长",
}


def os_error_text(exc: OSError) -> str:
    """A short Chinese reason for an operating-system error."""
    return OS_ERRORS.get(exc.errno or 0) or exc.strerror or type(exc).__name__


@contextlib.contextmanager
def guard_inputs() -> Iterator[None]:
    """Within this block every file read through :func:`note_input` (all YAML
    inputs: rubrics, submissions, reviews) is protected from :func:`write_atomic`,
    whatever the command passes as ``protect``."""
    token = _INPUTS.set(set())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def note_input(path: str | Path) -> None:
    inputs = _INPUTS.get()
    if inputs is not None:
        with contextlib.suppress(OSError, RuntimeError):
            inputs.add(Path(path).resolve())


def ensure_folder(path: Path) -> None:
    """Create the output folder ``path`` if needed and prove it writable (a probe file created
    and removed), before any work: a regular file, a path under ``/dev/null``, a read-only
    disk or a folder without permission is a message naming the path and the reason."""
    blocker = next((p for p in (path, *path.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        where = "输出路径已存在，是一个文件" if blocker == path else f"路径中的“{blocker}”不是文件夹"
        raise InputError(Problem(f"无法使用输出文件夹：{where}；请给出一个文件夹（不存在时会自动创建）", str(path)))
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", suffix=".part", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(Problem(f"无法使用输出文件夹：{os_error_text(exc)}", str(path))) from None


def write_atomic(path: Path, data: bytes, protect: Iterable[Path] = ()) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and
    ``os.replace``; refuse to overwrite any of the ``protect`` input files."""
    try:
        _write_atomic(path, data, protect)
    except OSError as exc:  # no permission, disk full, read-only folder: a user problem, not a crash
        raise InputError(Problem(f"无法写入输出文件：{os_error_text(exc)}", str(path))) from None


def _names(path: Path) -> set[Path]:
    """The file ``path`` names (folders resolved, the last component not followed) and, if
    that is a symlink, the file it points to."""
    return {path.parent.resolve() / path.name, path.resolve()}


def _write_atomic(path: Path, data: bytes, protect: Iterable[Path]) -> None:
    # The last component is never followed: a symlink at the output path is replaced by the
    # new file, and whatever it pointed to (maybe outside the output folder) stays as it was.
    target = path.parent.resolve() / path.name
    names = _names(path)
    # The inputs noted are resolved already (their only name is themselves): one set lookup, however
    # many files a long-lived batch worker has read (a loop over them made a batch quadratic).
    if any(item.exists() or item.is_symlink() for item in names & (_INPUTS.get() or set())) or any(
        (item.exists() or item.is_symlink()) and names & _names(item) for item in protect
    ):  # also a link to an input
        raise InputError(Problem("输出文件与输入文件相同，为防止覆盖原始材料，已停止；请换一个输出路径", str(path)))
    if target.is_dir() and not target.is_symlink():
        raise InputError(Problem("输出路径是一个文件夹，请给出文件名", str(path)))
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file private (0600); give it the mode a plain open() would (a link's own mode means nothing)
    regular = target.exists() and not target.is_symlink()
    mode = target.stat().st_mode & 0o777 if regular else 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
