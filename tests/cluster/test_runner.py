"""``scoring batch --cluster`` against real Dask processes on loopback: a ``dask scheduler`` and two
``dask worker`` processes started here, and ``local:N``. The outputs must be the local pool's
bytes: result JSON, scorecards, summary CSV/XLSX/PDF, errors.txt, rows.jsonl."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.cli import run

from .helpers import PICK, alive, batch, child_env, dask_cluster, digest, wait_for, worker_processes

LOST_NOTE = "有工作进程意外退出"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


def ranked_files(out: Path) -> list[str]:
    text = (out / "summary.csv").read_text(encoding="utf-8-sig")
    return [row["文件"] for row in csv.DictReader(io.StringIO(text))]


def test_reference_run_covers_failures_reviews_and_reminders(reference):
    out = reference["out"]
    assert len(list((out / "scorecards").iterdir())) == len(PICK) - 2
    errors = (out / "errors.txt").read_text(encoding="utf-8")
    assert "2018-hjq-mzj.yaml：处理失败" in errors and "2018-wsq-fgw.yaml：处理失败" in errors
    assert "提醒：核定记录" in errors  # reviews whose submission is not among these files


def test_a_batch_on_a_dask_scheduler_and_two_workers_gives_the_local_bytes(cluster, inputs, reference):
    done = batch(inputs, "out", "--cluster", cluster.address, "--chunk", "3")
    assert done.returncode == reference["code"], done.stderr
    assert digest(inputs / "out") == digest(reference["out"])
    assert "Dask 集群" in done.stderr and "评分进度 14/14（100%，失败 2）" in done.stderr
    assert sorted(ranked_files(inputs / "out")) == sorted(f"{s}.yaml" for s in PICK)


def test_a_rerun_on_the_cluster_reuses_every_result_and_still_gives_the_same_bytes(cluster, inputs, reference):
    first = batch(inputs, "out", "--cluster", cluster.address)
    assert first.returncode == 1, first.stderr
    stamps = {p.name: p.stat().st_mtime_ns for p in (inputs / "out" / "scorecards").iterdir()}
    again = batch(inputs, "out", "--cluster", cluster.address)
    assert again.returncode == 1, again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (inputs / "out" / "scorecards").iterdir()} == stamps
    assert digest(inputs / "out") == digest(reference["out"])


def test_a_worker_killed_mid_run_loses_no_file_and_scores_none_twice(cluster, inputs, reference):
    command = [sys.executable, "-m", "scoring", "batch", "src", "-o", "out", "--review-dir", "reviews"]
    command += ["--date", "2018-03-05", "--cluster", cluster.address, "--chunk", "2"]
    proc = subprocess.Popen(command, cwd=inputs, stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        results = inputs / "out" / "results"
        assert wait_for(lambda: results.is_dir() and any(results.glob("*.json")), 120)
        victims = worker_processes(cluster.workers[0].pid)
        assert victims, cluster.log_text()
        os.kill(victims[0], signal.SIGKILL)  # its nanny starts a new worker process
        _, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == reference["code"], stderr
    assert LOST_NOTE in stderr  # the kill hit a chunk in flight: it was retried file by file
    files = ranked_files(inputs / "out")
    assert sorted(files) == sorted(f"{s}.yaml" for s in PICK)  # every file once: none lost, none twice
    assert digest(inputs / "out") == digest(reference["out"])
    # the restarted worker joined again and set up the run anew (the plugin runs on new workers)
    assert wait_for(lambda: len(worker_processes(cluster.workers[0].pid)) == 1, 60)


def test_local_cluster_of_two_workers_gives_the_local_bytes(inputs, reference):
    done = batch(inputs, "out", "--cluster", "local:2")
    assert done.returncode == reference["code"], done.stderr
    assert "local:2 的 2 个工作进程" in done.stderr
    assert digest(inputs / "out") == digest(reference["out"])


def test_without_the_cluster_extra_the_message_says_how_to_install_it(inputs, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails as when not installed
    (inputs / "out").mkdir()
    (inputs / "out" / "summary.csv").write_bytes(b"previous run")
    err = io.StringIO()
    code = run(["batch", str(inputs / "src"), "-o", str(inputs / "out"), "--cluster", "local:2"], io.StringIO(), err)
    assert code == 1
    assert "未安装 Dask 分布式组件" in err.getvalue() and "pip install 'zwgk-scoring[cluster]'" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert (inputs / "out" / "summary.csv").read_bytes() == b"previous run"  # refused before touching anything


@pytest.mark.parametrize("spec", ["local:0", "local:x", "10.0.0.5:8786", "tcp://"])
def test_a_wrong_cluster_address_is_a_clear_message(inputs, spec):
    err = io.StringIO()
    code = run(["batch", str(inputs / "src"), "-o", str(inputs / "out"), "--cluster", spec], io.StringIO(), err)
    assert code == 1
    assert "--cluster 应为调度器地址 tcp://主机:端口" in err.getvalue() and spec in err.getvalue()
    assert not (inputs / "out").exists()


def test_an_unreachable_scheduler_is_a_clear_message(inputs):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = batch(inputs, "out", "--cluster", f"tcp://127.0.0.1:{port}", timeout=120)
    assert done.returncode == 1
    assert f"无法连接 Dask 集群 tcp://127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


SLOW_BODY = "拖延局"
# 10^10 empty iterations for one body only: a scorecard that never finishes by itself.
HANG = (
    f'{{% if card.agency.name == "{SLOW_BODY}" %}}'
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{% endif %}\n"
)


def test_a_file_over_the_time_limit_on_the_cluster_fails_alone(inputs):
    from scoring.render import default_templates_dir

    templates = inputs / "templates"
    shutil.copytree(default_templates_dir(), templates)
    card = templates / "scorecard.html.j2"
    card.write_text(HANG + card.read_text(encoding="utf-8"), encoding="utf-8")
    text = (inputs / "src" / "2017-dlt-mzj.yaml").read_text(encoding="utf-8")
    (inputs / "src" / "2017-dlt-mzj.yaml").write_text(text.replace("达拉特旗民政局", SLOW_BODY), encoding="utf-8")
    done = batch(inputs, "out", "--cluster", "local:2", "--chunk", "3", "--timeout", "15", "--templates", "templates")
    assert done.returncode == 1, done.stderr
    errors = (inputs / "out" / "errors.txt").read_text(encoding="utf-8")
    assert "2017-dlt-mzj.yaml：处理失败\n  src/2017-dlt-mzj.yaml: 处理超时：超过 15 秒仍未完成" in errors
    cards = sorted(p.name for p in (inputs / "out" / "scorecards").iterdir())
    assert cards == sorted(f"{s}.pdf" for s in PICK if s not in ("2017-dlt-mzj", "2018-hjq-mzj", "2018-wsq-fgw"))
    assert LOST_NOTE not in done.stderr  # the others of its chunk were retried, not counted as crashes


def test_no_pdf_on_the_cluster_equals_no_pdf_locally(inputs):
    local = batch(inputs, "local", "--no-pdf", "--jobs", "2")
    dask = batch(inputs, "dask", "--no-pdf", "--cluster", "local:2")
    assert local.returncode == dask.returncode == 1, dask.stderr
    assert digest(inputs / "local") == digest(inputs / "dask")
    assert not (inputs / "dask" / "scorecards").exists() and not (inputs / "dask" / "summary.pdf").exists()
    assert len(list((inputs / "dask" / "results").iterdir())) == len(PICK) - 2


def test_an_interrupted_cluster_run_resumes_to_the_local_bytes(inputs, reference):
    command = [sys.executable, "-m", "scoring", "batch", "src", "-o", "out", "--review-dir", "reviews"]
    command += ["--date", "2018-03-05", "--cluster", "local:2", "--chunk", "3"]
    proc = subprocess.Popen(command, cwd=inputs, stderr=subprocess.PIPE, text=True, env=child_env())
    try:
        results = inputs / "out" / "results"
        assert wait_for(lambda: results.is_dir() and any(results.glob("*.json")), 120)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "已中断" in stderr and not (inputs / "out" / "summary.csv").exists()
    done = len(list(results.glob("*.json")))
    assert 1 <= done < len(PICK) - 2  # the workers stopped between files
    assert not list((inputs / "out").rglob("*.part"))
    again = batch(inputs, "out", "--cluster", "local:2")
    assert again.returncode == reference["code"], again.stderr
    assert digest(inputs / "out") == digest(reference["out"])


def test_local_cluster_workers_exit_when_the_batch_is_killed(inputs):
    command = [sys.executable, "-m", "scoring", "batch", "src", "-o", "out", "--cluster", "local:2", "--chunk", "1"]
    proc = subprocess.Popen(command, cwd=inputs, stderr=subprocess.DEVNULL, env=child_env())
    workers: set[int] = set()
    try:
        results = inputs / "out" / "results"
        assert wait_for(lambda: results.is_dir() and any(results.glob("*.json")), 120)
        workers = set(worker_processes(proc.pid))
        assert len(workers) == 2
        proc.kill()
        proc.wait(timeout=30)
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 30), "workers outlived it"
    finally:
        proc.kill()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
