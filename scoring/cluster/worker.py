"""The Dask worker side of ``scoring batch --cluster``.

:class:`BatchPlugin` is registered by the parent for one run: on every worker (and on every
worker that starts later, such as one restarted by its nanny) it sets up once what the local
pool's initializer sets up (:func:`scoring.batch.worker_state`: rubric lookup, WeasyPrint,
fonts, templates), keyed by the run's id, so several batches can share one cluster. A task is
:func:`work_chunk`: it runs :func:`scoring.batch._work`, the very function the local pool
runs, on a chunk of files, so the outputs are the same bytes.

* Stop: the parent sets a Dask ``Event``; the work function looks at it between files (at most
  once a second: a look is a round trip to the scheduler).
* Time limit: a watchdog thread sees a file run past ``--timeout``, tells the parent which one
  (a Dask event topic) and ends the worker process; its nanny starts a new one.
* Memory: bounded by Dask's own worker options (``--memory-limit``: the nanny restarts a worker
  past 95 % of it; ``--lifetime … --lifetime-restart``). Recycling a worker from here after N tasks
  was tried and dropped: Dask's graceful retire (``close_gracefully(restart=True)``) lost the task
  that had just started on the worker in this Dask version, so every recycle was a retry.

Workers of ``local:N`` end when the batch's process is gone, even after ``kill -9``
(:mod:`scoring.lifeline`); those of a cluster of their own live on and serve the next batch.

The worker also changes to the folder the command was started in (its ``cwd``): relative
paths then mean on every worker what they meant on the command line, so messages and outputs
are the same as a local run's. That folder must exist at the same path on every machine
(a shared file system mounted at the same place).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from distributed import Event, WorkerPlugin, get_worker

from .. import batch, tempdirs
from ..errors import InputError, Problem
from ..lifeline import exit_with_parent

PLUGIN_PREFIX = "zwgk-batch-"
TASK_PREFIX = "zwgk-chunk-"
STOP_LOOK_EVERY = 1.0  # seconds between two looks at the stop event
WATCH_EVERY = 0.5  # seconds between two looks at the file in hand
TIMEOUT_EXIT = 70  # exit status of a worker that ended itself for a file's time limit

_RUNS: dict[str, dict[str, Any]] = {}  # run id -> batch._W for that run, in this worker process
_LOCK = threading.Lock()  # one file at a time per process, whatever the worker's thread count


def timeout_topic(run_id: str) -> str:
    return f"zwgk-timeout-{run_id}"


def stop_event_name(run_id: str) -> str:
    return f"zwgk-stop-{run_id}"


class _StopFlag:
    """``is_set()`` for :func:`batch._work`: the run's Dask event, looked at once a second at most."""

    def __init__(self, run_id: str) -> None:
        self.name = stop_event_name(run_id)
        self.seen = False
        self.looked = 0.0

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self.seen and now - self.looked >= STOP_LOOK_EVERY:
            self.looked = now
            with contextlib.suppress(Exception):  # no scheduler: go on, the parent will tell
                self.seen = Event(self.name).is_set()
        return self.seen


class _Starts:
    """``put((pid, index))`` for :func:`batch._work`: the file in hand and since when (for the watchdog)."""

    def __init__(self) -> None:
        self.current: tuple[int, float] | None = None

    def put(self, item: tuple[int, int]) -> None:
        self.current = (item[1], time.monotonic())


class BatchPlugin(WorkerPlugin):
    """One run's worker set-up (see the module's text)."""

    def __init__(self, run_id: str, config: dict[str, Any], timeout: float) -> None:
        self.run_id = run_id
        self.config = config
        self.timeout = timeout
        self.name = PLUGIN_PREFIX + run_id

    def setup(self, worker: Any) -> None:
        if os.getppid() == self.config["parent_pid"]:  # local:N, the nannies run in the batch's process
            with contextlib.suppress(ValueError):  # signals: main thread only
                exit_with_parent(self.config["parent_pid"], tempdirs.cleanup)
        cwd = self.config["cwd"]
        starts = _Starts()
        try:
            os.chdir(cwd)
        except OSError:
            state: dict[str, Any] = {"setup_error": _no_shared_folder(cwd, worker.address), "started": starts}
        else:
            state = batch.worker_state(self.config, _StopFlag(self.run_id), starts)
        _RUNS[self.run_id] = state
        if self.timeout:
            threading.Thread(
                target=_watch, args=(worker, self.run_id, starts, self.timeout), name="zwgk-time-limit", daemon=True
            ).start()

    def teardown(self, worker: Any) -> None:
        state = _RUNS.pop(self.run_id, None)
        if state is not None:
            state["started"] = None  # the watchdog sees the run is over
        tempdirs.cleanup()


def _no_shared_folder(cwd: str, address: str) -> InputError:
    return InputError(
        Problem(
            f"集群工作进程（{address}）所在的机器上没有文件夹 {cwd}：使用 --cluster 时，材料和输出文件夹须在共享文件系统上，"
            "并在每台机器上挂载到相同路径，且从该共享文件夹中的同一位置启动命令"
        )
    )


def _watch(worker: Any, run_id: str, starts: _Starts, limit: float) -> None:
    while _RUNS.get(run_id, {}).get("started") is starts:
        current = starts.current
        if current is not None and time.monotonic() - current[1] > limit:
            with contextlib.suppress(Exception):
                worker.log_event(timeout_topic(run_id), {"index": current[0]})
            time.sleep(1.0)  # the event leaves with the worker's next batched message
            tempdirs.cleanup()
            os._exit(TIMEOUT_EXIT)  # a render cannot be stopped from another thread
        time.sleep(WATCH_EVERY)


def work_chunk(run_id: str, items: list[batch.Item]) -> list[dict[str, Any]]:
    """A Dask task: :func:`scoring.batch._work` on ``items`` with this run's worker state."""
    with _LOCK:
        state = _RUNS.get(run_id)
        if state is None:  # the plugin was not set up here (should not happen): set up now
            plugin = get_worker().plugins.get(PLUGIN_PREFIX + run_id)
            if plugin is None:
                raise InputError(Problem("集群工作进程上没有本次批量评分的设置（可能已被重新启动），请重新运行"))
            plugin.setup(get_worker())
            state = _RUNS[run_id]
        batch._W = state  # the work function reads the module's _W
        try:
            return batch._work(items)
        finally:
            if state.get("started") is not None:
                state["started"].current = None


def draw_summary_pdf(run_id: str, view: dict[str, Any], target: str) -> list[str]:
    """A Dask task: ``summary.pdf`` drawn by a warm worker, as the local pool does."""
    with _LOCK:
        batch._W = _RUNS[run_id]
        return batch._write_summary_pdf(view, str(Path(target)))
