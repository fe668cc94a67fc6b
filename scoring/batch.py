"""``scoring batch``: score, review and render a folder of submissions on every core.

* Long-lived worker processes (:class:`~concurrent.futures.ProcessPoolExecutor`
  with an initializer): each imports WeasyPrint and loads the fonts once, keeps
  its own rubric cache, and writes the scorecard PDF and result JSON of each file
  itself; only a small summary row travels back to the parent.
* One bad file never stops the batch: every failure becomes a row with its
  located messages. A worker that dies is replaced and its files retried one by
  one; a file that kills a worker twice is reported as failed. A file that takes
  longer than ``--timeout`` seconds is reported as failed, its worker killed and
  replaced. Every exception pickles exactly (:class:`~scoring.errors.ExactPickle`),
  and anything else a worker raises is turned into one that does.
* Workers end when the parent is gone, even after ``kill -9``
  (:mod:`scoring.lifeline`), and remove their temporary folder (:mod:`scoring.tempdirs`).
* One batch at a time per output folder (:mod:`scoring.folderlock`). At the start
  the previous run's ``summary.*`` and ``errors.txt`` are removed: a summary in the
  folder always describes the scorecards beside it.
* Output names are unique and depend only on the file's own name (:func:`output_stems`),
  so a re-run, or a folder with more files, names every file's outputs the same way.
* Every output is written atomically (temporary file + rename). On SIGINT or
  SIGTERM the workers finish the file in hand, leftover temporary files are
  removed, and the run stops without a summary; a re-run reuses every result
  that has not changed (same result JSON, scorecard present) unless ``--force``.
* The parent writes ``summary.csv`` / ``summary.xlsx`` / ``errors.txt`` and ``rows.jsonl``
  (the summary's rows, for ``--merge``); a warm worker draws ``summary.pdf``. Same inputs
  and options, same bytes in every output.
* Where the files are scored is an :class:`Executor`: this module's process pool by default,
  a Dask cluster with ``--cluster`` (:mod:`scoring.cluster`); both run :func:`_work`, and all
  the rest (names, resume, progress, summary) is the same code. ``--shard i/N`` scores one
  stable share of the files (:mod:`scoring.cluster.shard`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import json
import multiprocessing
import multiprocessing.util
import os
import pickle
import signal
import time
import traceback
import unicodedata
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import IO, Any, Protocol

import attrs

from . import __version__, tempdirs
from .errors import InputError, Problem, ScoringError
from .folderlock import folder_lock
from .iofiles import ensure_folder, os_error_text, write_atomic
from .lifeline import exit_with_parent
from .progress import Progress
from .registry import Source
from .summary import (
    build_summary,
    errors_text,
    failed_row,
    row_from_result,
    rows_jsonl,
    skipped_row,
    summary_csv,
    summary_xlsx,
)

SUFFIXES = (".yaml", ".yml", ".xlsx")  # .xlsx: a body's workbook (scoring.workbook)
OUTPUT_FOLDERS = ("", "scorecards", "results")
#: Written at the end of a run; removed at its start, so that an interrupted run leaves none.
SUMMARY_FILES = ("summary.pdf", "summary.csv", "summary.xlsx", "errors.txt", "rows.jsonl")
DEFAULT_TIMEOUT = 300  # seconds per file; a scorecard takes ~1 s, 40,000 evidence items ~10 s


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
    timeout: float = DEFAULT_TIMEOUT  # seconds per file; 0: no limit
    pdf: bool = True  # False (--no-pdf): result JSON and CSV/XLSX summaries only, no scorecards, no summary.pdf
    cluster: str = ""  # "": the local process pool; "tcp://host:port" or "local:N": Dask (scoring.cluster)
    shard: tuple[int, int] | None = None  # (i, N): only the i-th of N stable shares of the files


@attrs.frozen
class BatchReport:
    rows: tuple[dict[str, Any], ...]
    summary: dict[str, Any] | None
    interrupted: bool
    elapsed: float
    summary_problems: tuple[str, ...] = ()
    unused_reviews: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # reminders for the end of the run (not failures)

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
        and not p.name.lower().endswith(
            (".review.yaml", ".review.yml", ".review.xlsx")
        )  # reviews kept beside submissions
    )


def output_stem(name: str) -> str:
    """The name of a submission's outputs (``scorecards/<stem>.pdf``, ``results/<stem>.json``).

    ``a.yaml`` → ``a``; every other name keeps its whole name: ``a.yml`` → ``a.yml``,
    ``a.yaml.yaml`` → ``a.yaml.yaml``, ``a.YAML`` → ``a.YAML``. Names of the first kind never
    end in ``.yaml``/``.yml`` and those of the second always do, so no two files share a stem,
    and a file's stem depends on its own name only: the same on a re-run, and when files are
    added (re-runs reuse results by these names)."""
    if name.endswith(".yaml"):
        stem = name[: -len(".yaml")]
        if stem and not stem.lower().endswith(SUFFIXES):
            return stem
    return name


def output_stems(files: list[Path]) -> list[str]:
    """One output name per file (:func:`output_stem`); files are those of one folder (discover
    does not enter sub-folders, so names are unique)."""
    return [output_stem(f.name) for f in files]


def _fold(stem: str) -> str:
    """What a case-insensitive file system (Windows, macOS, most USB disks) takes as the same name."""
    return unicodedata.normalize("NFC", stem).casefold()


def clashing_stems(files: list[Path], stems: list[str]) -> dict[int, list[str]]:
    """Files whose output names differ only in case (or Unicode form) from another file's:
    index → the other files' names. On a case-insensitive disk their scorecards would be one
    file, so they are refused, all of them (which one came first is unknowable)."""
    groups: dict[str, list[int]] = {}
    for i, stem in enumerate(stems):
        groups.setdefault(_fold(stem), []).append(i)
    return {
        i: [files[j].name for j in members if j != i]
        for members in groups.values()
        if len(members) > 1
        for i in members
    }


def sweep_partials(outdir: Path) -> int:
    """Remove temporary files an interrupted write left behind (``.<name>.<random>.part``).
    Called only while this run holds the folder's lock: no other batch is writing there."""
    removed = 0
    for folder in OUTPUT_FOLDERS:
        path = outdir / folder
        if path.is_dir():
            for item in path.glob(".*.part"):
                with contextlib.suppress(FileNotFoundError):
                    item.unlink()
                    removed += 1
    return removed


def remove_summaries(outdir: Path) -> list[str]:
    """Remove the previous run's summary files; their names."""
    removed = []
    for name in SUMMARY_FILES:
        path = outdir / name
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputError(Problem(f"无法删除上次运行留下的汇总文件：{os_error_text(exc)}", str(path))) from None
        removed.append(name)
    return removed


# -- worker side ------------------------------------------------------------------------------------

_W: dict[str, Any] = {}


def _init_worker(config: dict[str, Any], stop: Any, started: Any) -> None:
    """Once per worker process: lifeline to the parent, signals, rubric lookup, renderer."""
    exit_with_parent(config["parent_pid"], tempdirs.cleanup)  # also handles SIGTERM: clean up, leave
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # The worker leaves through os._exit (no atexit); multiprocessing runs these finalizers.
    multiprocessing.util.Finalize(None, tempdirs.cleanup, exitpriority=0)
    _W.clear()
    _W.update(worker_state(config, stop, started))


def worker_state(config: dict[str, Any], stop: Any, started: Any) -> dict[str, Any]:
    """What :func:`_work` finds in ``_W``: the run's settings, the stop flag (``is_set()``), where
    each file's start is announced (``put((pid, index))``), the rubric lookup and the renderer
    (WeasyPrint imported and the fonts loaded here, once per worker)."""
    from .cli import App

    state: dict[str, Any] = dict(config)
    state["stop"] = stop
    state["started"] = started
    state["app"] = App(io.StringIO(), io.StringIO(), list(config["rubric_dirs"]), config["rubric"], defaults=False)
    state["setup_error"] = None
    if not config.get("pdf", True):
        return state  # --no-pdf: no WeasyPrint, no fonts
    try:
        from .render import Renderer

        state["renderer"] = Renderer(Path(config["templates_dir"]) if config["templates_dir"] else None)
    except ScoringError as exc:
        state["setup_error"] = exc
    return state


def _picklable_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Whatever a task raises reaches the parent: an exception that cannot be pickled (or
    unpickled) would break the whole pool, so it is replaced by a RenderError saying what it was."""

    @functools.wraps(fn)
    def task(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            try:
                pickle.loads(pickle.dumps(exc))
            except Exception:
                raise _internal_error(exc) from None
            raise

    return task


def _internal_error(exc: BaseException) -> ScoringError:
    from .render import RenderError

    return RenderError(f"内部错误：{type(exc).__name__}: {exc}（请把输入文件和 --debug 输出反馈给维护人员）")


Item = tuple[int, str, str]  # (index in the run, path, output stem)


@_picklable_errors
def _work(items: list[Item]) -> list[dict[str, Any]]:
    """Score and render a chunk of files; stop early (between files) when asked to.
    Each file's start is announced to the parent, which enforces the time limit."""
    if _W["setup_error"] is not None:
        raise _W["setup_error"]
    rows = []
    for index, path, stem in items:
        if _W["stop"].is_set():
            break
        _W["started"].put((os.getpid(), index))
        rows.append(_one(Path(path), stem))
    return rows


def _one(path: Path, stem: str) -> dict[str, Any]:
    from .engine import evaluate
    from .review import apply_review, load_review, review_path_for
    from .rubric import is_rubric_document
    from .workbook.read import is_workbook
    from .yamlio import load_file

    name = path.name
    try:
        if is_workbook(name):  # a body's workbook: read through the same seam as the command line
            rubric, submission, _missing = _W["app"].submission(str(path), None)
        else:
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
        pdf = _W.get("pdf", True)
        unchanged = (
            not _W["force"]
            and (pdf_path.is_file() or not pdf)
            and json_path.is_file()
            and json_path.read_bytes() == text
        )
        if not unchanged:
            if pdf:
                card = _W["renderer"].pdf(result, dt.date.fromisoformat(_W["issued_on"]))
                write_atomic(pdf_path, card, protect=protect)
            write_atomic(json_path, text, protect=protect)  # last: marks the file as done
        row = row_from_result(data, name, stem, [g.name for g in rubric.grades])
        row["reused"] = unchanged
        if not pdf:
            row["scorecard"] = ""
        return row
    except ScoringError as exc:  # a problem without a file (e.g. a glyph missing from the fonts) names this one
        return failed_row(name, stem, [str(p) if p.file else f"{path}: {p}" for p in exc.problems])
    except OSError as exc:
        return failed_row(name, stem, [f"{path}: 无法读写文件：{exc.strerror or exc}"])
    except Exception as exc:  # one bad file never stops the batch
        detail = traceback.format_exc() if _W.get("debug") else ""
        message = f"{path}: 内部错误：{type(exc).__name__}: {exc}（请把该文件和 --debug 输出反馈给维护人员）"
        return failed_row(name, stem, [message] + ([detail] if detail else []))


@_picklable_errors
def _write_summary_pdf(view: dict[str, Any], target: str) -> list[str]:
    """Draw ``summary.pdf``; the characters the fonts lack are printed as their code
    (〔U+1F600〕) rather than fail the summary of every body: returns those characters."""
    from .reports import ReportRenderer

    if _W["setup_error"] is not None:
        raise _W["setup_error"]
    if "reports" not in _W:
        _W["reports"] = ReportRenderer(_W["renderer"])
    view, replaced = _W["reports"].printable(view)
    write_atomic(Path(target), _W["reports"].pdf("summary", view))
    return replaced


# -- parent side ------------------------------------------------------------------------------------


def run_batch(options: BatchOptions, stderr: IO[str], tty: bool | None = None) -> BatchReport:
    started = time.monotonic()
    if options.cluster:  # a wrong address or a missing extra: said before any file is touched
        from .cluster.runner import parse_cluster

        parse_cluster(options.cluster)
    files = discover(options.source)
    if not files:
        raise InputError(Problem("文件夹中没有 .yaml / .yml 文件", str(options.source)))
    if options.review_dir is not None and not options.review_dir.is_dir():
        raise InputError(Problem("核定记录文件夹不存在", str(options.review_dir)))
    stems = output_stems(files)
    clashes = clashing_stems(files, stems)
    refused = [
        failed_row(
            f.name,
            stem,
            [
                f"{f}: 输出文件名“{stem}”与 {'、'.join(clashes[i])} 的只有大小写（或字符写法）不同，"
                "在 Windows、macOS 等不区分大小写的磁盘上会写到同一个评分表，两份都未评分；请改名后重新运行"
            ],
        )
        for i, (f, stem) in enumerate(zip(files, stems, strict=True))
        if i in clashes
    ]
    items = [(i, str(f), stem) for i, (f, stem) in enumerate(zip(files, stems, strict=True)) if i not in clashes]
    if options.shard is not None:  # the split depends on each file's name only: see scoring.cluster.shard
        from .cluster.shard import in_shard

        refused = [row for row in refused if in_shard(row["file"], options.shard)]
        items = [item for item in items if in_shard(Path(item[1]).name, options.shard)]
    outdir = options.outdir
    ensure_folder(outdir)  # a file, /dev/null/x, a read-only disk: a message before any work
    with folder_lock(outdir):  # before touching anything in it: another run may be writing there
        return _run_locked(options, files, items, refused, stderr, tty, started)


def _run_locked(
    options: BatchOptions,
    files: list[Path],
    items: list[Item],
    refused: list[dict[str, Any]],
    stderr: IO[str],
    tty: bool | None,
    started: float,
) -> BatchReport:
    outdir = options.outdir
    sweep_partials(outdir)
    stale = remove_summaries(outdir)
    total = len(items) + len(refused)
    config = {
        "rubric_dirs": tuple(options.rubric_dirs),
        "rubric": options.rubric,
        "templates_dir": str(options.templates_dir) if options.templates_dir else "",
        "outdir": str(outdir),
        "review_dir": str(options.review_dir) if options.review_dir else "",
        "issued_on": options.issued_on.isoformat(),
        "force": options.force,
        "debug": options.debug,
        "pdf": options.pdf,
        "parent_pid": os.getpid(),
        "cwd": os.getcwd(),  # cluster workers resolve relative paths as the command line did
    }
    progress = Progress(total, stderr, tty)
    runner = _executor(options, config, len(items), progress)
    shard = f"（第 {options.shard[0]}/{options.shard[1]} 份）" if options.shard else ""
    stderr.write(f"共 {total} 个文件{shard}，使用{runner.where}，输出到 {outdir}\n")
    for row in refused:
        progress.advance(1, failed=1)
        progress.note(f"失败：{row['problems'][0]}")
    previous = _install_signal_handlers(runner.request_stop)
    try:
        chunk = runner.chunk
        rows = refused + runner.run([items[i : i + chunk] for i in range(0, len(items), chunk)])
        progress.finish()
        if runner.stopped:
            removed = f"上次运行留下的汇总（{'、'.join(stale)}）已在本次开始时删除，以免与评分表不符；" if stale else ""
            stderr.write(
                f"已中断：完成 {len(rows)}/{total} 份，汇总未生成；{removed}已写出的评分表都是完整文件。"
                "重新运行同一命令即可继续（结果未变的文件不会重新生成）。\n"
            )
            return BatchReport(tuple(rows), None, True, time.monotonic() - started)
        meta = {
            "source": str(options.source),
            "issued_on": options.issued_on.isoformat(),
            "issued_on_text": f"{options.issued_on.year}年{options.issued_on.month}月{options.issued_on.day}日",
            "engine": __version__,
        }
        unused = _unused_reviews(options.review_dir, files)  # all files: the same in every shard
        summary, problems, notes = write_outputs(outdir, rows, meta, unused, options.shard, runner, files, options.pdf)
        elapsed = time.monotonic() - started
        return BatchReport(tuple(rows), summary, False, elapsed, tuple(problems), tuple(unused), tuple(notes))
    finally:
        runner.close()
        sweep_partials(outdir)
        tempdirs.sweep_stale()  # the folders of workers killed for their time limit
        _restore_signal_handlers(previous)


def write_outputs(
    outdir: Path,
    rows: list[dict[str, Any]],
    meta: dict[str, Any],
    unused: list[str],
    shard: tuple[int, int] | None,
    runner: Executor,
    protect: list[Path],
    pdf: bool = True,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The end of a run (and of ``--merge``): ``rows.jsonl``, ``summary.csv`` / ``.xlsx``,
    ``errors.txt`` and ``summary.pdf`` from the rows; (summary, problems, reminders)."""
    rows.sort(key=lambda r: r["file"])
    write_atomic(outdir / "rows.jsonl", rows_jsonl(rows, meta, unused, shard, pdf), protect=protect)
    summary = build_summary(rows, meta)
    text = errors_text(summary)
    if unused:
        text += "".join(f"提醒：核定记录 {u} 没有对应的自评材料，未使用\n" for u in unused)
    write_atomic(outdir / "summary.csv", summary_csv(summary), protect=protect)
    write_atomic(outdir / "summary.xlsx", summary_xlsx(summary), protect=protect)
    write_atomic(outdir / "errors.txt", text.encode("utf-8"), protect=protect)
    if not pdf:
        return summary, [], []
    problems, notes = runner.summary_pdf(summary, outdir / "summary.pdf")
    return summary, problems, notes


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


POLL = 0.5  # seconds between two looks at the workers (results, time limits, interruption)


class Executor(Protocol):
    """Where the files are scored. ``run`` takes chunks of items, calls :func:`_work` on each
    (somewhere), advances the progress as rows come back and returns one row per item
    (a file given up after crashes or a time limit gets a failed row); the caller does the rest."""

    where: str  # for the opening line: "使用 2 个工作进程"
    chunk: int  # files per task
    stopped: bool

    def run(self, chunks: list[list[Item]]) -> list[dict[str, Any]]: ...

    def request_stop(self) -> None: ...

    def summary_pdf(self, summary: dict[str, Any], target: Path) -> tuple[list[str], list[str]]: ...

    def close(self) -> None: ...


def _executor(options: BatchOptions, config: dict[str, Any], count: int, progress: Progress) -> Executor:
    if options.cluster:
        from .cluster.runner import ClusterRunner

        return ClusterRunner(options.cluster, config, count, progress, options)
    jobs = max(1, min(options.jobs or os.cpu_count() or 1, count))
    # One file per task: a file takes ~1 s, a task's overhead ~0.1 ms, and bigger chunks left
    # one core idle at the end while the other finished its last chunk.
    return _Runner(config, jobs, progress, options.timeout, options.chunk or 1)


class _Runner:
    """The local :class:`Executor`: the pool, a bounded window of chunks in flight, time limits,
    retries after a worker died."""

    def __init__(
        self, config: dict[str, Any], jobs: int, progress: Progress, timeout: float = 0, chunk: int = 1
    ) -> None:
        self.config = config
        self.jobs = jobs
        self.chunk = chunk
        self.where = f" {jobs} 个工作进程"
        self.progress = progress
        self.timeout = timeout
        self.context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.stop_event = self.context.Event()
        self.stopped = False
        self.pool: ProcessPoolExecutor | None = None
        self.starts: Any = None  # the pool's queue of (worker pid, item index) as each file begins
        self.inflight: dict[int, tuple[int, float]] = {}  # item index -> (worker pid, when it began)
        self.finished: set[int] = set()
        self.crashes: dict[str, int] = {}
        self.given_up: set[int] = set()  # items reported failed here (time limit, crashes)
        self.killed = False  # a worker was killed for its time limit: the pool breaks, nobody's fault
        self.extra_rows: list[dict[str, Any]] = []  # files given up after worker crashes or time limits
        self.paths: dict[int, tuple[str, str]] = {}  # item index -> (path, stem)

    def request_stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.stop_event.set()
            self.progress.note("收到中断信号，正在等待各工作进程完成手头的文件……")

    def start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.starts = self.context.SimpleQueue()
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=self.context,
                initializer=_init_worker,
                initargs=(self.config, self.stop_event, self.starts),
            )
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def run(self, chunks: list[list[Item]]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        self.paths = {index: (path, stem) for part in chunks for index, path, stem in part}
        queue = deque(chunks)
        window = self.jobs * 2
        running: dict[Future[list[dict[str, Any]]], list[Item]] = {}
        while queue or running:
            if self.stopped:
                queue.clear()  # no new files; those in hand finish (within their time limit)
            if queue:
                pool = self.start()
                try:
                    while queue and len(running) < window:
                        part = queue.popleft()
                        running[pool.submit(_work, part)] = part
                except BrokenProcessPool:
                    queue.appendleft(part)
                    self._restart(running, queue)
                    continue
            if not running:
                continue
            done, _ = wait(list(running), timeout=POLL, return_when=FIRST_COMPLETED)
            self._note_starts()
            broken = False
            for future in done:
                part = running.pop(future)
                try:
                    got = future.result()
                except BrokenProcessPool:
                    running[future] = part  # collected by _restart below
                    broken = True
                    break
                except ScoringError:
                    raise  # the workers cannot start (fonts, templates): the same for every file
                self._collect(part, got, rows)
            if broken:
                self._restart(running, queue)
            else:
                self._enforce_time_limit()
        if self.stopped:
            self.close()
        return rows + self.extra_rows

    def _collect(self, part: list[Item], got: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        for (index, _path, _stem), row in zip(part, got, strict=False):  # fewer rows: stopped early
            self.inflight.pop(index, None)
            self.finished.add(index)
            if index in self.given_up:
                continue  # finished just as its time ran out: already reported
            rows.append(row)
            self.progress.advance(1, failed=int(row["status"] == "failed"))
            if row["status"] == "failed":
                self.progress.note(f"失败：{row['file']}：{row['problems'][0] if row['problems'] else ''}")

    def _note_starts(self) -> None:
        while self.starts is not None and not self.starts.empty():
            pid, index = self.starts.get()
            if index not in self.finished:
                self.inflight[index] = (pid, time.monotonic())

    def _enforce_time_limit(self) -> None:
        """Give up a file that has run past the limit: report it, kill its worker (the pool then
        breaks, and :meth:`_restart` starts a new one and retries the other files in flight)."""
        if not self.timeout or self.pool is None:
            return
        now = time.monotonic()
        workers = set(getattr(self.pool, "_processes", None) or ())  # pid -> Process (CPython's executor)
        for index, (pid, since) in list(self.inflight.items()):
            if now - since <= self.timeout or index in self.given_up or pid not in workers:
                continue
            self.given_up.add(index)
            path, stem = self.paths[index]
            limit = f"{self.timeout:g}"
            message = (
                f"{path}: 处理超时：超过 {limit} 秒仍未完成，已停止处理该文件（其工作进程已重新启动）；"
                f"请检查文件是否异常庞大，确需更长时间的可用 --timeout 放宽时限"
            )
            self._give_up(path, stem, message)
            self.killed = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # SIGTERM waits for Python code

    def _give_up(self, path: str, stem: str, message: str) -> None:
        self.extra_rows.append(failed_row(Path(path).name, stem, [message]))
        self.progress.advance(1, failed=1)
        self.progress.note(f"失败：{message}")

    def _restart(self, running: dict[Future[Any], list[Item]], queue: deque[list[Item]]) -> None:
        """A worker died: start a new pool; retry the unfinished files one by one, and
        report a file as failed once it has been in flight during two crashes (a worker
        killed for its time limit is no crash of the other files)."""
        lost = [item for part in running.values() for item in part]
        running.clear()
        self.inflight.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        retry = []
        for item in lost:
            index, path, stem = item
            if index in self.given_up:
                continue
            if not self.killed:
                self.crashes[path] = self.crashes.get(path, 0) + 1
            if self.crashes.get(path, 0) >= 2:
                self.given_up.add(index)
                self._give_up(path, stem, f"{path}: 处理该文件时工作进程意外退出（可能是内存不足或程序缺陷）")
            else:
                retry.append([item])
        for part in reversed(retry):
            queue.appendleft(part)
        if not self.killed:
            self.progress.note("提醒：有工作进程意外退出，已重新启动，未完成的文件逐个重试")
        self.killed = False

    def summary_pdf(self, summary: dict[str, Any], target: Path) -> tuple[list[str], list[str]]:
        """Draw summary.pdf in a worker: (problems, reminders)."""
        from .summary import summary_view

        view = summary_view(summary)
        try:
            replaced = self.start().submit(_write_summary_pdf, view, str(target)).result()
        except ScoringError as exc:
            return [f"汇总 PDF 未生成：{p}" for p in exc.problems], []
        except BrokenProcessPool:
            return ["汇总 PDF 未生成：工作进程意外退出"], []
        return [], replaced_note(replaced)


def replaced_note(replaced: list[str]) -> list[str]:
    """The reminder for the characters summary.pdf printed as their code."""
    if not replaced:
        return []
    shown = "、".join(f"“{c}”" for c in replaced[:10]) + (f" 等 {len(replaced)} 个字符" if len(replaced) > 10 else "")
    return [f"提醒：字体中没有 {shown}，汇总 PDF 中以其编码代替（如〔U+{ord(replaced[0]):04X}〕）"]
