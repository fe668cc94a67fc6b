"""Batch robustness against hostile submissions and a hostile environment, with real processes,
real files and real WeasyPrint: errors that cross the process boundary, output names, per-file
time limits, workers outliving a killed parent, concurrent runs, temporary folders, byte-identical
outputs, stale summaries after an interruption."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for
from hypothesis import given
from hypothesis import strategies as st
from test_batch import make_batch, submission

from scoring.batch import clashing_stems, output_stem, output_stems
from scoring.cli import run
from scoring.render import default_templates_dir

ROOT = Path(__file__).resolve().parent.parent
SLOW_BODY = "拖延局"
# 10^10 empty iterations for one body only: a file that never finishes by itself (sandbox-safe ranges).
HANG = (
    f'{{% if card.agency.name == "{SLOW_BODY}" %}}'
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{% endif %}\n"
)


def scoring_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "scoring", *args]


def private_env(tmp: Path) -> dict[str, str]:
    """The environment of a child run with its own temporary folder (counted by the tests)."""
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


def hanging_templates(root: Path) -> Path:
    folder = root / "templates"
    shutil.copytree(default_templates_dir(), folder)
    card = folder / "scorecard.html.j2"
    card.write_text(HANG + card.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Some thread of ``pid`` still runs (a zombie leader may wait for its other threads to exit,
    and the process's files, such as a lock, are released only when the last one has)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2 :].split()[0] not in ("Z", "X"):
            return True
    return False


@contextlib.contextmanager
def batch_process(command: list[str], **options: Any) -> Iterator[subprocess.Popen]:
    """A batch in a child process; on the way out (whatever happened) it is killed, and so are its
    workers: those it has now and those the test recorded in ``proc.workers``."""
    proc = subprocess.Popen(command, cwd=ROOT, **options)
    proc.workers = set()  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        proc.workers |= children(proc.pid)  # type: ignore[attr-defined]
        proc.kill()
        proc.wait(timeout=30)
        for pid in proc.workers:  # type: ignore[attr-defined]
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def batch_args(rubrics: Path, src: Path, out: Path, *extra: str) -> list[str]:
    return ["--rubrics-dir", str(rubrics), "batch", str(src), "-o", str(out), "--jobs", "2", *extra]


# -- 1. an error that crosses the process boundary ------------------------------------------------


def test_an_emoji_fails_its_own_card_and_the_summary_is_still_drawn(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    rubrics, src, _ = make_batch(tmp_path)
    (src / "h-emoji.yaml").write_text(submission("测试😀局"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(batch_args(rubrics, src, tmp_path / "out", "--date", "2018-03-05"), out, err)
    assert code == 1
    assert "工作进程意外退出" not in err.getvalue() and "汇总 PDF 未生成" not in err.getvalue()
    assert "提醒：字体中没有 “😀”，汇总 PDF 中以其编码代替（如〔U+1F600〕）" in err.getvalue()
    assert not (tmp_path / "out" / "scorecards" / "h-emoji.pdf").exists()
    errors = (tmp_path / "out" / "errors.txt").read_text(encoding="utf-8")
    assert f"h-emoji.yaml：处理失败\n  {src / 'h-emoji.yaml'}: 评分表字体中没有以下字符" in errors
    reader = pypdf.PdfReader(tmp_path / "out" / "summary.pdf")
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert "测试〔U+1F600〕局" in text and "甲县住建局" in text


# -- 2. output names --------------------------------------------------------------------------------


def test_output_stems_of_look_alike_names():
    names = ["a.yaml", "a.yml", "a.yaml.yaml", "a.yml.yaml", "A.YAML", "b.Yaml", "报告.yaml"]
    assert [output_stem(n) for n in names] == ["a", "a.yml", "a.yaml.yaml", "a.yml.yaml", "A.YAML", "b.Yaml", "报告"]


@given(st.sets(st.from_regex(r"[aAb.]{0,4}\.(yaml|yml|YAML|Yml)", fullmatch=True), max_size=12))
def test_output_stems_are_unique_and_depend_on_the_name_alone(names):
    files = [Path(n) for n in sorted(names)]
    stems = output_stems(files)
    assert len(set(stems)) == len(stems)
    assert stems == [output_stem(f.name) for f in files]  # adding or removing a file changes no other name
    # every pair that a case-insensitive disk would take for one name is refused
    folded = {}
    for i, s in enumerate(stems):
        folded.setdefault(s.casefold(), []).append(i)
    clashes = clashing_stems(files, stems)
    assert set(clashes) == {i for group in folded.values() if len(group) > 1 for i in group}


def test_look_alike_file_names_get_their_own_scorecards_and_keep_them_when_files_are_added(tmp_path):
    rubrics, src, _ = make_batch(tmp_path)
    for name in list(src.iterdir()):
        name.unlink()
    (src / "a.yml").write_text(submission("乙县发改委"), encoding="utf-8")
    out = tmp_path / "out"
    assert run(batch_args(rubrics, src, out), io.StringIO(), io.StringIO()) == 0
    first = (out / "scorecards" / "a.yml.pdf").stat().st_mtime_ns
    (src / "a.yaml").write_text(submission("甲县住建局"), encoding="utf-8")
    (src / "a.yaml.yaml").write_text(submission("丙县民政局", plan="否"), encoding="utf-8")
    (src / "B.yaml").write_text(submission("丁县教体局"), encoding="utf-8")
    (src / "b.yaml").write_text(submission("戊县卫计局"), encoding="utf-8")
    err = io.StringIO()
    assert run(batch_args(rubrics, src, out), io.StringIO(), err) == 1
    assert sorted(p.name for p in (out / "scorecards").iterdir()) == ["a.pdf", "a.yaml.yaml.pdf", "a.yml.pdf"]
    assert (out / "scorecards" / "a.yml.pdf").stat().st_mtime_ns == first  # same name, reused
    agencies = {
        p.name: json.loads(p.read_text(encoding="utf-8"))["agency"]["name"] for p in (out / "results").iterdir()
    }
    assert agencies == {"a.json": "甲县住建局", "a.yaml.yaml.json": "丙县民政局", "a.yml.json": "乙县发改委"}
    csv = (out / "summary.csv").read_text(encoding="utf-8-sig")
    for stem in ("a", "a.yml", "a.yaml.yaml"):
        assert csv.count(f"scorecards/{stem}.pdf") == 1
    for name, other in (("B.yaml", "b.yaml"), ("b.yaml", "B.yaml")):
        message = (
            f"{src / name}: 输出文件名“{name[0]}”与 {other} 的只有大小写（或字符写法）不同，在 Windows、macOS 等"
            "不区分大小写的磁盘上会写到同一个评分表，两份都未评分；请改名后重新运行"
        )
        assert f"失败：{message}\n" in err.getvalue()


# -- 3. time limit per file --------------------------------------------------------------------------


def test_a_file_over_the_time_limit_fails_alone_and_its_worker_is_replaced(tmp_path):
    rubrics, src, _ = make_batch(tmp_path, extra=4)
    (src / "s-slow.yaml").write_text(submission(SLOW_BODY), encoding="utf-8")
    templates = hanging_templates(tmp_path)
    tmp = tmp_path / "tmp"
    out = tmp_path / "out"
    command = scoring_cmd(*batch_args(rubrics, src, out, "--templates", str(templates), "--timeout", "10"))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=private_env(tmp))
    assert done.returncode == 1, done.stderr
    message = (
        f"{src / 's-slow.yaml'}: 处理超时：超过 10 秒仍未完成，已停止处理该文件（其工作进程已重新启动）；"
        "请检查文件是否异常庞大，确需更长时间的可用 --timeout 放宽时限"
    )
    assert f"失败：{message}\n" in done.stderr
    assert "工作进程意外退出" not in done.stderr
    cards = sorted(p.stem for p in (out / "scorecards").iterdir())
    assert cards == ["a-top", "b-second", "c-vetoed", "d-reviewed", "z00", "z01", "z02", "z03"]
    assert f"s-slow.yaml：处理失败\n  {message}" in (out / "errors.txt").read_text(encoding="utf-8")
    assert not list(out.rglob("*.part")) and not list(tmp.iterdir())


def test_timeout_must_be_a_number_of_seconds(tmp_path):
    err = io.StringIO()
    assert run(["batch", str(tmp_path), "-o", str(tmp_path / "o"), "--timeout", "-1"], io.StringIO(), err) == 2
    assert err.getvalue() == "--timeout 应为秒数（0 表示不限），实际为“-1”\n"


# -- 4. workers outliving their parent ---------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    rubrics, src, _ = make_batch(tmp_path)
    for name in ("a-top", "b-second", "c-vetoed", "d-reviewed"):
        (src / f"{name}.yaml").write_text(submission(SLOW_BODY), encoding="utf-8")  # every file hangs
    tmp = tmp_path / "tmp"
    command = scoring_cmd(*batch_args(rubrics, src, tmp_path / "out", "--templates", str(hanging_templates(tmp_path))))
    with batch_process(command, env=private_env(tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        assert wait_for(lambda: len(children(proc.pid)) >= 2), "no workers started"
        workers = proc.workers = children(proc.pid)
        # both workers are inside a file (WeasyPrint copied the fonts when the renderer loaded)
        assert wait_for(lambda: len(list(tmp.rglob("weasyprint-*"))) >= 2)
        time.sleep(1)
        proc.kill()
        proc.wait(timeout=30)
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 30), "workers outlived their parent"
        assert not list(tmp.iterdir())  # each removed its temporary folder on the way out


# -- 5. concurrent runs ------------------------------------------------------------------------------


def test_a_second_batch_into_the_same_folder_is_refused_and_touches_nothing(tmp_path):
    rubrics, src, _ = make_batch(tmp_path)
    (src / "s-slow.yaml").write_text(submission(SLOW_BODY), encoding="utf-8")
    out = tmp_path / "out"
    command = scoring_cmd(*batch_args(rubrics, src, out, "--templates", str(hanging_templates(tmp_path))))
    with batch_process(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as first:
        assert wait_for(lambda: (out / "scorecards").is_dir() and len(children(first.pid)) >= 2)
        partial = out / "scorecards" / ".s-slow.pdf.x1y2z3.part"  # what the first run is writing
        partial.write_bytes(b"%PDF-half")
        err = io.StringIO()
        assert run(batch_args(rubrics, src, out), io.StringIO(), err) == 1
        assert err.getvalue() == (
            f"{out}: 另一个批量评分（进程 {first.pid}）正在向这个文件夹写入，为免互相覆盖，本次未运行；"
            "请等它结束后再运行，或用 -o 换一个输出文件夹\n"
        )
        assert partial.read_bytes() == b"%PDF-half"
        workers = first.workers = children(first.pid)
    # the workers hold the lock too (they inherit it) until they have left
    assert wait_for(lambda: not any(alive(pid) for pid in workers), 30)
    err = io.StringIO()
    assert run(batch_args(rubrics, src, out), io.StringIO(), err) == 1, err.getvalue()
    assert "另一个批量评分" not in err.getvalue()  # the lock went with the processes that held it
    assert not partial.exists() and not (out / ".zwgk-batch.lock").exists()


# -- 6. temporary folders ----------------------------------------------------------------------------


def test_render_and_batch_leave_nothing_in_the_temporary_folder(tmp_path):
    rubrics, src, _ = make_batch(tmp_path)
    tmp = tmp_path / "tmp"
    env = private_env(tmp)
    args = ["--rubrics-dir", str(rubrics), "render", str(src / "a-top.yaml"), "-o", str(tmp_path / "a.pdf")]
    done = subprocess.run(scoring_cmd(*args, "--html", str(tmp_path / "a.html")), cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0 and (tmp_path / "a.pdf").is_file()
    assert not list(tmp.iterdir())
    done = subprocess.run(scoring_cmd(*batch_args(rubrics, src, tmp_path / "out")), cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 1 and (tmp_path / "out" / "summary.pdf").is_file()
    assert not list(tmp.iterdir())
    # SIGTERM in the middle of a render, then SIGKILL: the next run removes what the killed one left
    (src / "slow.yaml").write_text(submission(SLOW_BODY), encoding="utf-8")
    slow = [*args[:3], str(src / "slow.yaml"), "-o", str(tmp_path / "slow.pdf"), "--templates"]
    slow.append(str(hanging_templates(tmp_path)))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc = subprocess.Popen(scoring_cmd(*slow), cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: bool(list(tmp.glob("zwgk-scoring-*/weasyprint-*"))))
        proc.send_signal(sig)
        proc.wait(timeout=60)
        if sig == signal.SIGTERM:
            assert proc.returncode == 130 and not list(tmp.iterdir())
    assert list(tmp.iterdir())  # the killed process could not clean up
    done = subprocess.run(scoring_cmd(*args), cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0 and not list(tmp.iterdir())


# -- 7. byte-identical outputs ---------------------------------------------------------------------


def test_identical_runs_give_identical_bytes(tmp_path):
    rubrics, src, reviews = make_batch(tmp_path)
    outputs = []
    for n in (1, 2):
        if n == 2:  # zip dates have a 2-second resolution: the clock must have moved on
            start = int(time.time()) // 2
            wait_for(lambda start=start: int(time.time()) // 2 != start, 5)
        out = tmp_path / f"out{n}"
        code = run(
            batch_args(rubrics, src, out, "--review-dir", str(reviews), "--date", "2018-03-05"),
            io.StringIO(),
            io.StringIO(),
        )
        assert code == 1
        outputs.append(digest(out))
    assert outputs[0] == outputs[1]
    assert {"summary.xlsx", "summary.pdf", "summary.csv", "errors.txt", "scorecards/a-top.pdf"} <= set(outputs[0])
    from openpyxl import load_workbook

    props = load_workbook(tmp_path / "out1" / "summary.xlsx").properties
    assert (props.created.date().isoformat(), props.modified.date().isoformat()) == ("2018-03-05", "2018-03-05")


# -- 8. stale summaries after an interruption --------------------------------------------------------


def test_an_interrupted_run_leaves_no_summary_of_the_previous_run(tmp_path):
    rubrics, src, _ = make_batch(tmp_path, extra=12)
    for bad in ("e-broken.yaml", "f-unknown.yaml"):
        (src / bad).unlink()
    out = tmp_path / "out"
    assert run(batch_args(rubrics, src, out), io.StringIO(), io.StringIO()) == 0
    assert (out / "summary.pdf").is_file()
    stamps = {p: p.stat().st_mtime_ns for p in (out / "scorecards").iterdir()}
    proc = subprocess.Popen(
        scoring_cmd(*batch_args(rubrics, src, out, "--force")),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rerendered = lambda: any(p.stat().st_mtime_ns != t for p, t in stamps.items())  # noqa: E731
    wait_for(lambda: not (out / "summary.csv").exists() and rerendered())
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert (
        "上次运行留下的汇总（summary.pdf、summary.csv、summary.xlsx、errors.txt、rows.jsonl）已在本次开始时删除，以免与评分表不符"
        in stderr
    )
    assert not [
        name
        for name in ("summary.pdf", "summary.csv", "summary.xlsx", "errors.txt", "rows.jsonl")
        if (out / name).exists()
    ]
