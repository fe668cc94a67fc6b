"""``scoring batch``: score, review and render a folder of submissions on every core.

* Long-lived worker processes (:class:`~concurrent.futures.ProcessPoolExecutor`
  with an initializer): each imports WeasyPrint and loads the fonts once, keeps
  its own rubric cache, and writes the scorecard PDF and result JSON of each file
  itself; only a small summary row travels back to the parent.
* One bad file never stops the batch: every failure becomes a row with its
  located messages. A worker that dies is replaced and its files retried one by
  one; a file that kills a worker twice is reported as failed.
* Every output is written atomically (temporary file + rename). On SIGINT or
  SIGTERM the workers finish the file in hand, leftover temporary files are
  removed, and the run stops without a summary; a re-run reuses every result
  that has not changed (same result JSON, scorecard present) unless ``--force``.
* The parent writes ``summary.csv`` / ``summary.xlsx`` / ``errors.txt``; a warm
  worker draws ``summary.pdf``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import IO, Any

import attrs

from . import __version__
from .errors import InputError, Problem, ScoringError
from .iofiles import ensure_folder, write_atomic
from .progress import Progress
from .registry import Source
from .summary import build_summary, errors_text, failed_row, row_from_result, skipped_row, summary_csv, summary_xlsx

SUFFIXES = (".yaml", ".yml")
OUTPUT_FOLDERS = ("", "scorecards", "results")


@attrs.frozen
class BatchOptions:
    source: Path
    outdir: Path
    review_dir: Path | None = None
    jobs: int = 0  # 0: one per core
    rubric_dirs: tuple[str, ...] = ()
    rubric: Source | None = None  # the evaluator's pin (--rubric): scores every file, or refuses it
    templates_dir: Path | None = None
    issued_on: dt.date = attrs.field(factory=dt.date.today)
    force: bool = False  # re-render even when a result has not changed
    chunk: int = 0  # files per task; 0: one
    debug: bool = False


@attrs.frozen
class BatchReport:
    rows: tuple[dict[str, Any], ...]
    summary: dict[str, Any] | None
    interrupted: bool
    elapsed: float
    summary_problems: tuple[str, ...] = ()
    unused_reviews: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "failed")

    @property
    def with_errors(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "ok" and r["errors"])

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if (self.failed or self.with_errors or self.summary_problems) else 0


# -- planning ------------------------------------------------------------------------------------------


def discover(source: Path) -> list[Path]:
    """The submission files of ``source`` (not its subfolders, not ``*.review.yaml``), sorted by name."""
    if not source.is_dir():
        raise InputError(Problem("不是文件夹，请给出存放自评材料的文件夹", str(source)))
    return sorted(
        p
        for p in source.iterdir()
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not p.name.startswith(".")
        and not p.name.lower().endswith((".review.yaml", ".review.yml"))  # reviews kept beside submissions
    )


def output_stems(files: list[Path]) -> list[str]:
    """One output name per file: its stem, or its full name where two stems collide."""
    stems = [f.stem for f in files]
    seen: dict[str, int] = {}
    for s in stems:
        seen[s] = seen.get(s, 0) + 1
    return [f.name if seen[f.stem] > 1 else f.stem for f in files]


def sweep_partials(outdir: Path) -> int:
    """Remove temporary files an interrupted write left behind (``.<name>.<random>.part``)."""
    removed = 0
    for folder in OUTPUT_FOLDERS:
        path = outdir / folder
        if path.is_dir():
            for item in path.glob(".*.part"):
                with contextlib.suppress(FileNotFoundError):
                    item.unlink()
                    removed += 1
    return removed


# -- worker side ------------------------------------------------------------------------------------

_W: dict[str, Any] = {}


def _init_worker(config: dict[str, Any], stop: Any) -> None:
    """Once per worker process: signals, rubric lookup, renderer (WeasyPrint + fonts)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from .cli import App

    _W.clear()
    _W.update(config)
    _W["stop"] = stop
    _W["app"] = App(io.StringIO(), io.StringIO(), list(config["rubric_dirs"]), config["rubric"], defaults=False)
    _W["setup_error"] = None
    try:
        from .render import Renderer

        _W["renderer"] = Renderer(Path(config["templates_dir"]) if config["templates_dir"] else None)
    except ScoringError as exc:
        _W["setup_error"] = exc


def _work(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Score and render a chunk of files; stop early (between files) when asked to."""
    if _W["setup_error"] is not None:
        raise _W["setup_error"]
    rows = []
    for path, stem in items:
        if _W["stop"].is_set():
            break
        rows.append(_one(Path(path), stem))
    return rows


def _one(path: Path, stem: str) -> dict[str, Any]:
    from .engine import evaluate
    from .review import apply_review, load_review, review_path_for
    from .rubric import is_rubric_document
    from .yamlio import load_file

    name = path.name
    try:
        doc = load_file(path)
        if is_rubric_document(doc):
            return skipped_row(name, stem, "这是评分细则文件，不是自评材料，已跳过")
        # the same registry and pin as the command line; hashed from the bytes parsed
        rubric, submission, _missing = _W["app"].submission_from(doc, None)
        result = evaluate(rubric, submission)
        protect = [path]
        if _W["review_dir"]:
            review_path = review_path_for(path, Path(_W["review_dir"]))
            if review_path is not None:
                protect.append(review_path)
                result = apply_review(result, load_review(review_path, rubric), rubric, submission)
        data = result.to_dict()
        text = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        outdir = Path(_W["outdir"])
        json_path = outdir / "results" / f"{stem}.json"
        pdf_path = outdir / "scorecards" / f"{stem}.pdf"
        unchanged = not _W["force"] and pdf_path.is_file() and json_path.is_file() and json_path.read_bytes() == text
        if not unchanged:
            pdf = _W["renderer"].pdf(result, dt.date.fromisoformat(_W["issued_on"]))
            write_atomic(pdf_path, pdf, protect=protect)
            write_atomic(json_path, text, protect=protect)  # last: marks the file as done
        row = row_from_result(data, name, stem, [g.name for g in rubric.grades])
        row["reused"] = unchanged
        return row
    except ScoringError as exc:
        return failed_row(name, stem, [str(p) for p in exc.problems])
    except OSError as exc:
        return failed_row(name, stem, [f"{path}: 无法读写文件：{exc.strerror or exc}"])
    except Exception as exc:  # one bad file never stops the batch
        detail = traceback.format_exc() if _W.get("debug") else ""
        message = f"{path}: 内部错误：{type(exc).__name__}: {exc}（请把该文件和 --debug 输出反馈给维护人员）"
        return failed_row(name, stem, [message] + ([detail] if detail else []))


def _write_summary_pdf(view: dict[str, Any], target: str) -> None:
    from .reports import ReportRenderer

    if _W["setup_error"] is not None:
        raise _W["setup_error"]
    if "reports" not in _W:
        _W["reports"] = ReportRenderer(_W["renderer"])
    write_atomic(Path(target), _W["reports"].pdf("summary", view))


# -- parent side ------------------------------------------------------------------------------------


def run_batch(options: BatchOptions, stderr: IO[str], tty: bool | None = None) -> BatchReport:
    started = time.monotonic()
    files = discover(options.source)
    if not files:
        raise InputError(Problem("文件夹中没有 .yaml / .yml 文件", str(options.source)))
    if options.review_dir is not None and not options.review_dir.is_dir():
        raise InputError(Problem("核定记录文件夹不存在", str(options.review_dir)))
    stems = output_stems(files)
    items = [(str(f), s) for f, s in zip(files, stems, strict=True)]
    outdir = options.outdir
    ensure_folder(outdir)  # a file, /dev/null/x, a read-only disk: a message before any work
    sweep_partials(outdir)
    jobs = max(1, min(options.jobs or os.cpu_count() or 1, len(items)))
    # One file per task: a file takes ~1 s, a task's overhead ~0.1 ms, and bigger chunks left
    # one core idle at the end while the other finished its last chunk.
    chunk = options.chunk or 1
    config = {
        "rubric_dirs": tuple(options.rubric_dirs),
        "rubric": options.rubric,
        "templates_dir": str(options.templates_dir) if options.templates_dir else "",
        "outdir": str(outdir),
        "review_dir": str(options.review_dir) if options.review_dir else "",
        "issued_on": options.issued_on.isoformat(),
        "force": options.force,
        "debug": options.debug,
    }
    stderr.write(f"共 {len(items)} 个文件，使用 {jobs} 个工作进程，输出到 {outdir}\n")
    progress = Progress(len(items), stderr, tty)
    runner = _Runner(config, jobs, progress)
    previous = _install_signal_handlers(runner.request_stop)
    try:
        rows = runner.run([items[i : i + chunk] for i in range(0, len(items), chunk)])
        if runner.stopped:
            progress.finish()
            done = len(rows)
            stderr.write(
                f"已中断：完成 {done}/{len(items)} 份，汇总未生成。已写出的评分表都是完整文件；"
                "重新运行同一命令即可继续（结果未变的文件不会重新生成）。\n"
            )
            return BatchReport(tuple(rows), None, True, time.monotonic() - started)
        progress.finish()
        rows.sort(key=lambda r: r["file"])
        meta = {
            "source": str(options.source),
            "issued_on": options.issued_on.isoformat(),
            "issued_on_text": f"{options.issued_on.year}年{options.issued_on.month}月{options.issued_on.day}日",
            "engine": __version__,
            "jobs": jobs,
        }
        summary = build_summary(rows, meta)
        unused = _unused_reviews(options.review_dir, files)
        text = errors_text(summary)
        if unused:
            text += "".join(f"提醒：核定记录 {u} 没有对应的自评材料，未使用\n" for u in unused)
        write_atomic(outdir / "summary.csv", summary_csv(summary), protect=files)
        write_atomic(outdir / "summary.xlsx", summary_xlsx(summary), protect=files)
        write_atomic(outdir / "errors.txt", text.encode("utf-8"), protect=files)
        problems = runner.summary_pdf(summary, outdir / "summary.pdf")
        return BatchReport(tuple(rows), summary, False, time.monotonic() - started, tuple(problems), tuple(unused))
    finally:
        runner.close()
        sweep_partials(outdir)
        _restore_signal_handlers(previous)


def _unused_reviews(review_dir: Path | None, files: list[Path]) -> list[str]:
    if review_dir is None:
        return []
    from .review import REVIEW_SUFFIXES, review_path_for

    used = {p.resolve() for f in files if (p := review_path_for(f, review_dir)) is not None}
    present = sorted(p for p in review_dir.iterdir() if p.is_file() and p.name.endswith(REVIEW_SUFFIXES))
    return [p.name for p in present if p.resolve() not in used]


def _install_signal_handlers(stop: Callable[[], None]) -> dict[int, Any]:
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, frame: Any) -> None:
        stop()

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signal_handlers(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


class _Runner:
    """The pool, a bounded window of chunks in flight, retries after a worker died."""

    def __init__(self, config: dict[str, Any], jobs: int, progress: Progress) -> None:
        self.config = config
        self.jobs = jobs
        self.progress = progress
        self.context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.stop_event = self.context.Event()
        self.stopped = False
        self.pool: ProcessPoolExecutor | None = None
        self.crashes: dict[str, int] = {}
        self.extra_rows: list[dict[str, Any]] = []  # files given up after worker crashes

    def request_stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.stop_event.set()
            self.progress.note("收到中断信号，正在等待各工作进程完成手头的文件……")

    def start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=self.context,
                initializer=_init_worker,
                initargs=(self.config, self.stop_event),
            )
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def run(self, chunks: list[list[tuple[str, str]]]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        queue = deque(chunks)
        window = self.jobs * 2
        running: dict[Future[list[dict[str, Any]]], list[tuple[str, str]]] = {}
        while (queue or running) and not self.stopped:
            pool = self.start()
            try:
                while queue and len(running) < window and not self.stopped:
                    part = queue.popleft()
                    running[pool.submit(_work, part)] = part
            except BrokenProcessPool:
                queue.appendleft(part)
                self._restart(running, queue)
                continue
            done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                part = running.pop(future)
                try:
                    got = future.result()
                except BrokenProcessPool:
                    running[future] = part  # collected by _restart below
                    self._restart(running, queue)
                    break
                except ScoringError:
                    raise  # the workers cannot start (fonts, templates): the same for every file
                rows.extend(got)
                self.progress.advance(len(got), failed=sum(1 for r in got if r["status"] == "failed"))
                for r in got:
                    if r["status"] == "failed":
                        self.progress.note(f"失败：{r['file']}：{r['problems'][0] if r['problems'] else ''}")
        if self.stopped:
            for future in list(running):
                with contextlib.suppress(Exception):
                    rows.extend(future.result())
            self.close()
        return rows + self.extra_rows

    def _restart(self, running: dict[Future[Any], list[tuple[str, str]]], queue: deque[list[tuple[str, str]]]) -> None:
        """A worker died: start a new pool; retry the unfinished files one by one, and
        report a file as failed once it has been in flight during two crashes."""
        lost = [item for part in running.values() for item in part]
        running.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        retry = []
        for path, stem in lost:
            self.crashes[path] = self.crashes.get(path, 0) + 1
            if self.crashes[path] >= 2:
                message = f"{path}: 处理该文件时工作进程意外退出（可能是内存不足或程序缺陷）"
                self.extra_rows.append(failed_row(Path(path).name, stem, [message]))
                self.progress.advance(1, failed=1)
                self.progress.note(f"失败：{message}")
            else:
                retry.append([(path, stem)])
        for part in reversed(retry):
            queue.appendleft(part)
        self.progress.note("提醒：有工作进程意外退出，已重新启动，未完成的文件逐个重试")

    def summary_pdf(self, summary: dict[str, Any], target: Path) -> list[str]:
        from .summary import summary_view

        view = summary_view(summary)
        try:
            self.start().submit(_write_summary_pdf, view, str(target)).result()
        except ScoringError as exc:
            return [f"汇总 PDF 未生成：{p}" for p in exc.problems]
        except BrokenProcessPool:
            return ["汇总 PDF 未生成：工作进程意外退出"]
        return []
