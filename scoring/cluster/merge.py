"""``scoring batch --merge OUT1 OUT2 … -o OUT``: one summary and ranking from ``--shard`` runs.

Each shard's output folder holds ``rows.jsonl`` (the summary's rows, written by every batch run).
The merge checks that the shards are the N shares of one batch (same folder, date, engine; every
share once; no file twice), gathers their scorecards and result JSON into OUT (hard links where
the file system allows, copies otherwise) and writes the summary with the very code an unsharded
run uses (:func:`scoring.batch.write_outputs`): OUT is then the same, byte for byte, as the folder
of one run over all the files.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import IO, Any

from .. import batch
from ..errors import InputError, Problem
from ..folderlock import folder_lock
from ..iofiles import ensure_folder, os_error_text, write_atomic
from ..progress import Progress
from ..summary import read_rows


def run_merge(shards: list[Path], outdir: Path, templates_dir: Path | None, stderr: IO[str]) -> batch.BatchReport:
    started = time.monotonic()
    for folder in shards:
        with contextlib.suppress(OSError):
            if folder.resolve() == outdir.resolve():
                raise InputError(
                    Problem(
                        "汇总输出文件夹不能是某一份分片的输出文件夹（会覆盖该份的 rows.jsonl），请用 -o 另给一个文件夹",
                        str(outdir),
                    )
                )
    parts = [_read_shard(folder) for folder in shards]
    meta, unused, pdf = _check(parts)
    rows = [row for _folder, _header, part_rows in parts for row in part_rows]
    ensure_folder(outdir)
    with folder_lock(outdir):
        batch.sweep_partials(outdir)
        batch.remove_summaries(outdir)
        stderr.write(f"汇总 {len(parts)} 份分片的输出：共 {len(rows)} 个文件，输出到 {outdir}\n")
        progress = Progress(len(rows), stderr, label="汇总")
        protect = [folder / "rows.jsonl" for folder in shards]
        for folder, _header, part_rows in parts:
            for row in part_rows:
                if row["status"] == "ok":
                    for relative in (row["scorecard"], row["result"]):
                        if relative:  # no scorecard after --no-pdf
                            _place(folder, relative, outdir)
                progress.advance(1, failed=int(row["status"] == "failed"))
        progress.finish()
        config = {
            "rubric_dirs": (),
            "rubric": None,
            "templates_dir": str(templates_dir) if templates_dir else "",
            "outdir": str(outdir),
            "review_dir": "",
            "issued_on": meta["issued_on"],
            "force": False,
            "debug": False,
            "parent_pid": os.getpid(),
            "cwd": os.getcwd(),
        }
        runner = batch._Runner(config, 1, progress)  # one warm worker draws summary.pdf, as in a run
        try:
            summary, problems, notes = batch.write_outputs(outdir, rows, meta, unused, None, runner, protect, pdf)
        finally:
            runner.close()
            batch.sweep_partials(outdir)
    elapsed = time.monotonic() - started
    return batch.BatchReport(tuple(rows), summary, False, elapsed, tuple(problems), tuple(unused), tuple(notes))


def _read_shard(folder: Path) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    path = folder / "rows.jsonl"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            Problem(
                "不是批量评分的输出文件夹，或该份尚未运行完（被中断的运行不写 rows.jsonl）：没有 rows.jsonl",
                str(folder),
            )
        ) from None
    except OSError as exc:
        raise InputError(Problem(f"无法读取：{os_error_text(exc)}", str(path))) from None
    try:
        header, rows = read_rows(data, str(path))
    except ValueError as exc:
        raise InputError(Problem(str(exc))) from None
    return folder, header, rows


def _check(
    parts: list[tuple[Path, dict[str, Any], list[dict[str, Any]]]],
) -> tuple[dict[str, Any], list[str], bool]:
    """The shards are the N shares of one batch: (meta, unused reviews, PDFs drawn) or a Chinese message."""
    first_folder, first, _ = parts[0]
    counts = set()
    seen: dict[int, Path] = {}
    for folder, header, _rows in parts:
        shard = header.get("shard")
        if not (isinstance(shard, list) and len(shard) == 2 and all(isinstance(x, int) for x in shard)):
            raise InputError(Problem("这个文件夹是不分片的批量评分输出（未用 --shard），不能参与汇总", str(folder)))
        i, n = shard
        counts.add(n)
        if i in seen:
            raise InputError(Problem(f"与 {seen[i]} 是同一份（第 {i}/{n} 份），每一份只能给出一次", str(folder)))
        seen[i] = folder
        for key, label in (("source", "材料文件夹"), ("issued_on", "评分日期"), ("engine", "评分引擎版本")):
            if header["meta"].get(key) != first["meta"].get(key):
                raise InputError(
                    Problem(
                        f"{label}与 {first_folder} 的不同（“{header['meta'].get(key)}”，而那一份是“{first['meta'].get(key)}”），"
                        "不是同一批材料的分片，不能汇总",
                        str(folder),
                    )
                )
    if len(counts) != 1:
        raise InputError(Problem(f"各份的总份数 N 不同（{'、'.join(str(c) for c in sorted(counts))}），不是同一次分片"))
    n = counts.pop()
    missing = [str(i) for i in range(1, n + 1) if i not in seen]
    if missing:
        raise InputError(Problem(f"缺少第 {'、'.join(missing)} 份（共 {n} 份）：汇总须给出每一份的输出文件夹"))
    owner: dict[str, Path] = {}
    for folder, _header, rows in parts:
        for row in rows:
            if row["file"] in owner:
                raise InputError(Problem(f"文件 {row['file']} 同时出现在 {owner[row['file']]} 和这一份中", str(folder)))
            owner[row["file"]] = folder
    unused = sorted({u for _f, header, _r in parts for u in header.get("unused_reviews") or []})
    pdf = {bool(header.get("pdf", True)) for _f, header, _r in parts}
    if len(pdf) != 1:
        raise InputError(Problem("有的分片用了 --no-pdf，有的没有：各份须用相同的选项运行后才能汇总"))
    return dict(first["meta"]), unused, pdf.pop()


def _place(folder: Path, relative: str, outdir: Path) -> None:
    """``folder/relative`` at ``outdir/relative``: a hard link (no copy on one file system), else a copy;
    atomic either way. ``relative`` comes from a rows.jsonl: only ``scorecards/x`` / ``results/x``."""
    parts = Path(relative).parts
    if len(parts) != 2 or parts[0] not in ("scorecards", "results") or parts[1] in (".", ".."):
        raise InputError(
            Problem(f"rows.jsonl 中的输出路径“{relative}”不是 scorecards/ 或 results/ 下的文件", str(folder))
        )
    source, target = folder / relative, outdir / relative
    try:
        if target.exists() and os.path.samefile(source, target):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{target.name}.{os.getpid()}.part"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        try:
            os.link(source, temporary)
        except OSError:
            write_atomic(target, source.read_bytes())
        else:
            os.replace(temporary, target)
    except FileNotFoundError:
        raise InputError(
            Problem("分片输出中缺少这个文件（该份的输出文件夹可能被改动过），请重新运行该份", str(source))
        ) from None
    except OSError as exc:
        raise InputError(Problem(f"无法复制到汇总文件夹：{os_error_text(exc)}", str(source))) from None
