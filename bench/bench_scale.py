"""Benchmark of ``scoring batch`` at scale: the local process pool against a 2-worker Dask
LocalCluster (``--cluster local:2``) on the same synthetic inputs, engine-only (``--no-pdf``)
and with scorecards; documents per second per core, and peak memory of the parent and of each
worker at 10 %, 50 % and 100 % of the run (flat means: no growth with the files done).

Run (from the project root)::

    .venv/bin/python bench/bench_scale.py                          # 100,000 engine-only, 10,000 with scorecards
    .venv/bin/python bench/bench_scale.py --count 5000 --cards 200 # the size measured on the 2-core test machine

Inputs: the 30 valid submissions of ``examples/batch`` (two rubrics, two years; over-claims, vetoes,
validation errors), copied round-robin with a numbered agency name; a known share (``--broken``,
default 5 %) is broken in one of three ways, in turn: a Tab in the indentation (YAML syntax), an
unknown fact name, a file cut short in the middle. Each mode runs with ``--force`` into a fresh
folder. Memory is VmRSS from /proc, sampled 4 times a second: "parent" is the ``scoring batch``
process (for Dask it also hosts the scheduler and the nannies), each worker is one of its child
processes. Progress comes from the batch's own progress lines (every 5 %). Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import tree_pids

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "batch"
BROKEN_EXAMPLES = ("2018-hjq-mzj.yaml", "2018-wsq-fgw.yaml")
PROGRESS = re.compile(r"评分进度 (\d+)/(\d+)")
MARKS = (10, 50, 100)


def make_inputs(folder: Path, count: int, broken_share: float, seed: int = 15) -> int:
    """``count`` submissions; returns how many were broken on purpose."""
    sources = [
        (p.stem, p.read_text(encoding="utf-8"))
        for p in sorted(EXAMPLES.glob("*.yaml"))
        if p.name not in BROKEN_EXAMPLES
    ]
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    broken = set(rng.sample(range(count), round(count * broken_share)))
    for i in range(count):
        stem, text = sources[i % len(sources)]
        text = re.sub(r"^(  name: .*)$", rf"\1（第{i + 1:06d}份）", text, count=1, flags=re.M)
        if i in broken:
            kind = len([b for b in broken if b < i]) % 3
            if kind == 0:
                text = text.replace("\n  ", "\n\t", 1)  # YAML: a Tab in the indentation
            elif kind == 1:
                text = text.replace("facts:\n", "facts:\n  not_a_fact_of_the_rubric: 1\n", 1)
            else:
                text = text[: len(text) // 2]  # cut short
        (folder / f"{i + 1:06d}-{stem}.yaml").write_text(text, encoding="utf-8")
    return len(broken)


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(inputs: Path, out: Path, *extra: str) -> dict:
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, "-m", "scoring", "batch", str(inputs), "-o", str(out), "--force", *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    state = {"done": 0, "total": 1, "first": 0.0}

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            match = PROGRESS.search(line)
            if match:
                state["done"], state["total"] = int(match.group(1)), int(match.group(2))
                state["first"] = state["first"] or time.perf_counter() - started

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    parent_peak = 0.0
    worker_peak: dict[int, float] = {}
    marks: dict[int, dict] = {}
    pids: list[int] = []
    tick = 0
    while proc.poll() is None:
        if tick % 4 == 0 or not pids:
            pids = tree_pids(proc.pid)
        parent_peak = max(parent_peak, rss_mib(proc.pid))
        for pid in pids:
            if pid != proc.pid:
                rss = rss_mib(pid)
                if rss > 30:  # a worker, not a resource tracker
                    worker_peak[pid] = max(worker_peak.get(pid, 0.0), rss)
        percent = 100 * state["done"] // max(1, state["total"])
        for mark in MARKS:
            if percent >= mark and mark not in marks:
                marks[mark] = {"parent": parent_peak, "workers": dict(worker_peak), "t": time.perf_counter() - started}
        tick += 1
        time.sleep(0.25)
    reader.join(5)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        print(f"  警告：scoring batch 退出码为 {proc.returncode}", file=sys.stderr)
    results = len(list((out / "results").glob("*.json")))
    rows = (out / "rows.jsonl").read_text(encoding="utf-8").splitlines()[1:]
    failed = sum(1 for line in rows if line.startswith('{"status": "failed"'))
    return {
        "wall": wall,
        "first": state["first"],
        "marks": marks,
        "end_parent": parent_peak,
        "workers": worker_peak,
        "results": results,
        "failed": failed,
    }


def report(label: str, r: dict, count: int, cores: int) -> None:
    rate = count / r["wall"]
    print(
        f"  {label}：用时 {r['wall']:.1f} 秒（其中启动到第一个进度行 {r['first']:.1f} 秒），{rate:.1f} 份/秒，"
        f"每核 {rate / cores:.1f} 份/秒；结果 JSON {r['results']} 份，失败 {r['failed']} 份"
    )
    for mark in MARKS:
        m = r["marks"].get(mark)
        if m is None:
            print(f"    {mark}%：未采到")
            continue
        workers = "、".join(f"{v:.0f}" for _pid, v in sorted(m["workers"].items())) or "—"
        print(f"    {mark:>3}%（{m['t']:.0f} 秒）：父进程峰值 {m['parent']:.0f} MiB；各工作进程峰值 {workers} MiB")
    print(f"    运行结束（含生成汇总）：父进程峰值 {r['end_parent']:.0f} MiB；共用过 {len(r['workers'])} 个工作进程")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="只评分（--no-pdf）的份数")
    parser.add_argument("--cards", type=int, default=10_000, help="生成评分表的份数（0：不跑）")
    parser.add_argument("--broken", type=float, default=0.05, help="故意写坏的比例")
    parser.add_argument("--jobs", type=int, default=2, help="本机进程池的进程数，也是 LocalCluster 的工作进程数")
    parser.add_argument("--keep", help="把输入和输出留在这个文件夹")
    args = parser.parse_args()
    cores = args.jobs
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        print(f"机器：{os.cpu_count()} 个 CPU 核；开始时 1 分钟平均负载 {os.getloadavg()[0]:.2f}")
        for count, extra, title in (
            (args.count, ["--no-pdf"], "只评分（--no-pdf）"),
            (args.cards, [], "含 PDF 评分表"),
        ):
            if not count:
                continue
            inputs = work / f"in-{count}"
            broken = make_inputs(inputs, count, args.broken)
            print(f"{title}：{count} 份自评材料，其中故意写坏 {broken} 份")
            pool = run(inputs, work / f"pool-{count}", "--jobs", str(args.jobs), *extra)
            report(f"本机进程池 --jobs {args.jobs}", pool, count, cores)
            dask = run(inputs, work / f"dask-{count}", "--cluster", f"local:{args.jobs}", *extra)
            report(f"Dask LocalCluster local:{args.jobs}", dask, count, cores)
            print(f"  LocalCluster 用时 / 进程池用时：{dask['wall'] / pool['wall']:.2f}（目标 ≤ 1.10）")
            print(f"  结束时 1 分钟平均负载 {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
