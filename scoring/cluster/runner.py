"""The parent side of ``scoring batch --cluster``: a :class:`scoring.batch.Executor` on Dask.

* ``tcp://HOST:PORT`` connects to a running scheduler; ``local:N`` starts a LocalCluster of N
  worker processes (one thread each, no dashboard) on 127.0.0.1 for this run.
* Files go in chunks (``--chunk``, by default up to :data:`MAX_CHUNK` files, fewer for a small
  batch so every worker gets a share), a bounded window of chunks in flight.
* A chunk whose worker was lost (killed, out of memory, machine gone) is retried file by file;
  a file lost again is reported as failed, as the local pool does. Rows are recorded once per
  file (by its index) whatever Dask re-runs: a file is never lost and never counted twice.
  Workers write each file's outputs atomically, so a re-run chunk rewrites the same bytes.
* A file over ``--timeout``: its worker tells us and ends itself (:mod:`.worker`); the file is
  reported as failed with the local pool's message, the rest of its chunk retried.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from .. import batch
from ..errors import InputError, Problem, ScoringError
from ..progress import Progress
from . import require_distributed

MAX_CHUNK = 200  # files per task: a few seconds to minutes of work, against ~1 ms of overhead per task
CHUNKS_PER_WORKER = 4  # a small batch is cut finer, so that no worker idles while one finishes
CONNECT_TIMEOUT = 30  # seconds to reach the scheduler and to see a first worker
POLL = batch.POLL
WORKER_LOOK_EVERY = 5  # seconds between two looks at the number of workers
WORKER_GRACE = 120  # seconds without any worker before the run gives up (restarts take a few seconds)


def parse_cluster(spec: str) -> tuple[str, int]:
    """``("local", N)`` or ``("tcp", 0)`` with the address in ``spec``; a Chinese message otherwise."""
    require_distributed()
    if spec.startswith("local:"):
        count = spec[len("local:") :]
        if count.isdigit() and 1 <= int(count) <= 1024:
            return "local", int(count)
    elif spec.startswith(("tcp://", "tls://")) and len(spec) > len("tcp://"):
        return "tcp", 0
    raise InputError(
        Problem(
            f"--cluster 应为调度器地址 tcp://主机:端口（如 tcp://10.0.0.5:8786）或 local:N（本机 N 个工作进程），实际为“{spec}”"
        )
    )


class ClusterRunner:
    """Scores the chunks on a Dask cluster (see the module's text)."""

    def __init__(
        self, spec: str, config: dict[str, Any], count: int, progress: Progress, options: batch.BatchOptions
    ) -> None:
        kind, workers = parse_cluster(spec)
        self.distributed = require_distributed()
        self.progress = progress
        self.timeout = options.timeout
        self.run_id = uuid.uuid4().hex
        self.stopped = False
        self.cluster: Any = None
        self.client: Any = None
        self.timed_out: set[int] = set()
        self.plugin: Any = None
        self._connect(kind, workers, spec)
        try:
            self.workers = max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
            self.chunk = options.chunk or max(1, min(MAX_CHUNK, math.ceil(count / (CHUNKS_PER_WORKER * self.workers))))
            self.where = f" Dask 集群 {spec} 的 {self.workers} 个工作进程（每个任务最多 {self.chunk} 个文件）"
            from .worker import BatchPlugin, timeout_topic

            self.plugin = BatchPlugin(self.run_id, config, self.timeout)
            self.client.register_plugin(self.plugin, name=self.plugin.name)
            self.client.subscribe_topic(timeout_topic(self.run_id), self._on_timeout)
            self.stop_event = self.distributed.Event(f"zwgk-stop-{self.run_id}", client=self.client)
        except BaseException:
            self.close()
            raise

    def _connect(self, kind: str, workers: int, spec: str) -> None:
        d = self.distributed
        import dask

        # A lost worker's task comes back to us at once (KilledWorker) and we retry it file by file,
        # as the local pool does; Dask's own default would run it on up to 3 more workers first.
        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        try:
            if kind == "local":
                self.cluster = d.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    scheduler_port=0,
                    dashboard_address=None,
                    silence_logs=50,
                )
                self.client = d.Client(self.cluster, timeout=CONNECT_TIMEOUT)
            else:
                self.client = d.Client(spec, timeout=CONNECT_TIMEOUT)
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise InputError(
                Problem(
                    f"无法连接 Dask 集群 {spec}，或 {CONNECT_TIMEOUT} 秒内集群中没有可用的工作进程：{exc}；"
                    "请检查调度器地址、端口和网络，以及是否已启动 dask worker"
                )
            ) from None

    # -- the Executor interface ----------------------------------------------------------------------

    def request_stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            with contextlib.suppress(Exception):
                self.stop_event.set()
            self.progress.note("收到中断信号，正在等待各工作进程完成手头的文件……")

    def run(self, chunks: list[list[batch.Item]]) -> list[dict[str, Any]]:
        from .worker import TASK_PREFIX, work_chunk

        rows: list[dict[str, Any]] = []
        recorded: set[int] = set()  # item indexes with a row: each file's row is taken once
        losses: dict[int, int] = {}
        queue = deque(chunks)
        running: dict[Any, list[batch.Item]] = {}
        window = self.workers * 2
        serial = 0
        lost_note = False
        self.seen_workers = time.monotonic()
        self.looked = 0.0
        while queue or running:
            self._check_workers(running)
            if self.stopped:
                queue.clear()  # no new chunks; those in hand stop between files
            while queue and len(running) < window:
                part = [item for item in queue.popleft() if item[0] not in recorded]
                if not part:
                    continue
                serial += 1
                key = f"{TASK_PREFIX}{self.run_id}-{serial}"
                running[self.client.submit(work_chunk, self.run_id, part, key=key, pure=False)] = part
            if not running:
                continue
            with contextlib.suppress(TimeoutError, self.distributed.TimeoutError):
                self.distributed.wait(list(running), timeout=POLL, return_when="FIRST_COMPLETED")
            for future in [f for f in running if f.done()]:
                part = running.pop(future)
                try:
                    got = future.result()
                except ScoringError:
                    raise  # the workers cannot start (fonts, templates, shared folder): the same for every file
                except Exception:  # lost worker (KilledWorker), cancelled, connection: retry file by file
                    retry, crashed = self._lost(part, recorded, losses, rows)
                    queue.extendleft(reversed([[item] for item in retry]))
                    if crashed and not lost_note:
                        self.progress.note("提醒：有工作进程意外退出，已重新启动，未完成的文件逐个重试")
                        lost_note = True
                    continue
                for (index, _path, _stem), row in zip(part, got, strict=False):  # fewer rows: stopped early
                    if index in recorded:
                        continue
                    recorded.add(index)
                    rows.append(row)
                    self.progress.advance(1, failed=int(row["status"] == "failed"))
                    if row["status"] == "failed":
                        self.progress.note(f"失败：{row['file']}：{row['problems'][0] if row['problems'] else ''}")
        return rows

    def _check_workers(self, running: dict[Any, list[batch.Item]]) -> None:
        """Every few seconds: are there workers at all? None for :data:`CONNECT_TIMEOUT` seconds (all
        machines gone, or the scheduler): stop with a message; what was finished stays, a re-run resumes."""
        now = time.monotonic()
        if now - self.looked < WORKER_LOOK_EVERY:
            return
        self.looked = now
        try:
            count = len(self.client.nthreads())
        except Exception:
            count = 0
        if count:
            self.seen_workers = now
            return
        if now - self.seen_workers > (WORKER_GRACE if not self.stopped else WORKER_LOOK_EVERY):
            for future in running:
                future.cancel()
            running.clear()
            if self.stopped:
                return
            raise InputError(
                Problem(
                    f"Dask 集群中已有 {WORKER_GRACE} 秒没有工作进程（或调度器已断开），批量评分停止；"
                    "已完成的评分表和结果都已保存，启动工作进程后重新运行同一命令即可继续"
                )
            )

    def _lost(
        self,
        part: list[batch.Item],
        recorded: set[int],
        losses: dict[int, int],
        rows: list[dict[str, Any]],
    ) -> tuple[list[batch.Item], bool]:
        """The files of a chunk whose worker was lost: those to retry one by one, and whether the
        loss was a crash (rather than a time limit). Failed rows for those given up."""
        time.sleep(1.5)  # a time limit's event may still be on its way
        retry = []
        crashed = False
        for item in part:
            index, path, stem = item
            if index in recorded:
                continue
            if index in self.timed_out:
                message = (
                    f"{path}: 处理超时：超过 {self.timeout:g} 秒仍未完成，已停止处理该文件（其工作进程已重新启动）；"
                    f"请检查文件是否异常庞大，确需更长时间的可用 --timeout 放宽时限"
                )
            elif any(i in self.timed_out for i, _p, _s in part):
                retry.append(item)  # its worker was ended for another file's time limit: not its fault
                continue
            else:
                crashed = True
                losses[index] = losses.get(index, 0) + 1
                if losses[index] < 2:
                    retry.append(item)
                    continue
                message = f"{path}: 处理该文件时工作进程意外退出（可能是内存不足或程序缺陷）"
            recorded.add(index)
            rows.append(batch.failed_row(Path(path).name, stem, [message]))
            self.progress.advance(1, failed=1)
            self.progress.note(f"失败：{message}")
        return retry, crashed

    def _on_timeout(self, event: Any) -> None:
        _when, message = event
        with contextlib.suppress(Exception):
            self.timed_out.add(int(message["index"]))

    def summary_pdf(self, summary: dict[str, Any], target: Path) -> tuple[list[str], list[str]]:
        from ..summary import summary_view
        from .worker import draw_summary_pdf

        view = summary_view(summary)
        try:
            replaced = self.client.submit(draw_summary_pdf, self.run_id, view, str(target), pure=False).result()
        except ScoringError as exc:
            return [f"汇总 PDF 未生成：{p}" for p in exc.problems], []
        except Exception as exc:
            return [f"汇总 PDF 未生成：集群工作进程出错（{type(exc).__name__}）"], []
        return [], batch.replaced_note(replaced)

    def close(self) -> None:
        if self.client is not None:
            if self.plugin is not None:
                with contextlib.suppress(Exception):
                    self.client.unregister_worker_plugin(self.plugin.name)
            with contextlib.suppress(Exception):
                self.client.close()
            self.client = None
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None
