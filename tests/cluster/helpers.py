"""Real processes for the cluster tests: a ``dask scheduler`` and ``dask worker`` processes on
loopback (OS-chosen ports, no dashboard), batch runs as child processes, folder digests."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "batch"
BIN = Path(sys.executable).parent
# The two malformed examples, two with reviews, and enough others for every worker to get several chunks.
PICK = [
    "2017-dlt-mzj",
    "2017-dsq-fgw",
    "2017-ejh-wjj",
    "2017-hjq-zjj",
    "2017-kbs-jtj",
    "2017-otqq-zjj",
    "2017-wsq-zjj",
    "2018-dlt-zjj",
    "2018-hjq-mzj",
    "2018-hjq-zjj",
    "2018-otq-jtj",
    "2018-otqq-zjj",
    "2018-wsq-fgw",
    "2018-zge-zjj",
]


def make_inputs(root: Path) -> tuple[Path, Path]:
    """14 submissions of examples/batch (2 malformed), its 4 reviews and one without a submission."""
    src, reviews = root / "src", root / "reviews"
    src.mkdir()
    for stem in PICK:
        shutil.copy(EXAMPLES / f"{stem}.yaml", src / f"{stem}.yaml")
    shutil.copytree(EXAMPLES / "reviews", reviews)
    (reviews / "zz-orphan.review.yaml").write_text("review: {}\n", encoding="utf-8")
    return src, reviews


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def batch(root: Path, out: str, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``scoring batch src -o OUT --review-dir reviews --date …`` run from ``root`` (relative paths)."""
    command = [sys.executable, "-m", "scoring", "batch", "src", "-o", out, "--review-dir", "reviews"]
    return subprocess.run(
        [*command, "--date", "2018-03-05", *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", **extra}


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] not in ("Z", "X")


def worker_processes(pid: int) -> list[int]:
    """The worker processes a ``dask worker`` (its nanny) started: multiprocessing children, not trackers."""
    found = []
    for child in children(pid):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                found.append(child)
    return found


class DaskCluster:
    """A ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, each worker a nanny with one
    single-threaded worker process, started from a folder of their own (not the batch's)."""

    def __init__(self, root: Path, workers: int = 2) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.file = root / "scheduler.json"
        # As the README advises: a lost worker's task comes back to the batch at once, which retries it file by file.
        self.env = child_env(DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
        self.logs: list[Path] = []
        self.scheduler = self._start(
            "scheduler",
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
            "--scheduler-file",
            str(self.file),
        )
        assert wait_for(lambda: self.file.is_file() and self.file.stat().st_size > 0, 60), self.log_text()
        self.address = json.loads(self.file.read_text())["address"]
        self.workers = [self.add_worker(f"w{i + 1}") for i in range(workers)]
        assert wait_for(lambda: self.count() >= workers, 120), self.log_text()

    def _start(self, name: str, command: list[str], *extra: str) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        self.logs.append(log)
        handle = log.open("wb")
        proc = subprocess.Popen([*command, *extra], cwd=self.root, stdout=handle, stderr=handle, env=self.env)
        handle.close()
        return proc

    def add_worker(self, name: str) -> subprocess.Popen:
        command = [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--nworkers", "1"]
        return self._start(name, command, "--no-dashboard", "--host", "127.0.0.1", "--name", name)

    def count(self) -> int:
        """Workers registered with the scheduler (each says so in its log)."""
        return sum(1 for log in self.logs[1:] if "Registered to" in log.read_text(errors="replace"))

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs if p.is_file())

    def close(self) -> None:
        procs = [*getattr(self, "workers", []), self.scheduler]
        for proc in procs:
            pids = [proc.pid, *children(proc.pid)]
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(timeout=30)


@contextlib.contextmanager
def dask_cluster(root: Path, workers: int = 2) -> Iterator[DaskCluster]:
    cluster = DaskCluster(root, workers)
    try:
        yield cluster
    finally:
        cluster.close()
