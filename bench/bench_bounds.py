"""Scaling of the bounded-work cases of issue 11: time against input size, which should grow linearly.

Each case is generated at a few sizes and timed once (``time.perf_counter``); the last column is the
time per unit of size relative to the smallest, so a linear case stays near 1.0x and a quadratic one
grows with the size. The figures before the fixes are quoted from issue 11 (and SECURITY.md).

* ``score``: loading a rubric of N nodes (sections of leaves of every rule kind), loading a submission
  that self-scores every node, and ``evaluate`` (before: 60,000 nodes 184 s; 100,000 nodes 273 s, 1 GB);
* ``plan``: ``make_plan`` on a rubric of N leaves, none met, target the full score (before: 2,000 leaves 147 s);
* ``extract``: ``extract`` on the annual-report text repeated to N bytes, in two shapes (before: 0.87 MB of
  ``二、工作情况\\n本年主动公开信息N条。`` 176 s; 1.68 MB of ``东胜区住建局，`` 120 s).

Run: ``.venv/bin/python bench/bench_bounds.py [--only score|plan|extract] [--scale 1.0]``. Prints figures only;
at the default sizes the whole run takes about a minute on one core.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.engine import evaluate  # noqa: E402
from scoring.rubric import rubric_from_text  # noqa: E402
from scoring.submission import submission_from_text  # noqa: E402

RULES = [
    '{kind: condition, when: "f{f} >= 1"}',
    "{kind: proportional, ratio: f{f} / 10}",
    "{kind: per_item, count: f{f}, each: 0.05}",
    '{kind: tiers, tiers: [{when: "f{f} >= 5", points: 0.1}, {when: "f{f} >= 1", points: 0.05}]}',
    '{kind: deduction, items: [{label: 扣分, per: 0.05, count: "f{f}"}]}',
    '{kind: formula, points: "min(f{f}, 1) / 10"}',
]


def rubric_text(nodes: int, per_section: int = 100, facts: int = 200) -> tuple[str, list[str]]:
    """A valid rubric of about ``nodes`` nodes (sections of ``per_section`` leaves of 0.1 point) and its node ids."""
    sections = max(1, nodes // (per_section + 1))
    total = sections * per_section // 10
    lines = [
        "rubric:",
        "  id: bench-bounds",
        '  version: "1"',
        "  title: 规模测试细则",
        "  year: 2024",
        "  rounding: {places: 2}",
        f"  total: {total}",
        f"  grades: [{{name: 合格, min: {total * 6 // 10}}}, {{name: 不合格, min: 0}}]",
        "facts:",
    ]
    lines += [f"  - {{id: f{i}, label: 事实{i}, type: count}}" for i in range(facts)]
    lines.append("sections:")
    ids: list[str] = []
    for s in range(sections):
        lines += [f" - id: s{s}", f"   title: 第{s}部分", f"   max: {per_section // 10}", "   children:"]
        ids.append(f"s{s}")
        for c in range(per_section):
            k = s * per_section + c
            rule = RULES[k % len(RULES)].replace("{f}", str(k % facts))
            lines.append(f"   - {{id: c{k}, title: 项{k}, max: 0.1, rule: {rule}}}")
            ids.append(f"c{k}")
    return "\n".join(lines) + "\n", ids


def submission_text(ids: list[str], facts: int = 200) -> str:
    lines = ["rubric: {id: bench-bounds, version: '1'}", "agency: {name: 测试局}", "year: 2024", "facts:"]
    lines += [f"  f{i}: {i % 7}" for i in range(facts)]
    lines.append("self_scores:")
    lines += [f"  {ident}: 0.1" for ident in ids if ident.startswith("c")]
    return "\n".join(lines) + "\n"


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Seconds of one run, and the process's peak resident memory in MiB after it (a high-water mark:
    it only grows, so read it for the largest size)."""
    gc.collect()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(name: str, unit: str, rows: list[tuple[int, float, float]]) -> None:
    print(f"\n{name}")
    print(f"{unit:>12} {'秒':>9} {'内存峰值 MiB':>10} {'每单位用时（相对最小规模）':>8}")
    base = rows[0][1] / rows[0][0]
    for size, seconds, peak in rows:
        print(f"{size:>12,} {seconds:>9.2f} {peak:>10.1f} {seconds / size / base:>8.2f}x")


def bench_score(scale: float) -> None:
    rows = []
    for nodes in (int(n * scale) for n in (4_000, 8_000, 16_000, 32_000)):
        rubric_src, ids = rubric_text(nodes)
        sub_src = submission_text(ids)

        def run(rubric_src: str = rubric_src, sub_src: str = sub_src) -> None:
            rubric = rubric_from_text(rubric_src, "r.yaml")
            submission, _ = submission_from_text(sub_src, rubric, "s.yaml")
            evaluate(rubric, submission)

        seconds, peak = timed(run)
        rows.append((len(ids), seconds, peak))
    report("score：读细则 + 读材料（每个节点都有自评分）+ 评分；修复前 60,000 节点 184 秒", "节点数", rows)


def bench_plan(scale: float) -> None:
    from decimal import Decimal

    from scoring.plan import make_plan

    rows = []
    for leaves in (int(n * scale) for n in (250, 500, 1_000, 2_000)):
        rubric_src, _ = rubric_text(leaves + leaves // 100 + 1)
        rubric = rubric_from_text(rubric_src, "r.yaml")
        submission, _ = submission_from_text(submission_text([]), rubric, "s.yaml")

        def run(rubric=rubric, submission=submission) -> None:  # type: ignore[no-untyped-def]
            make_plan(rubric, submission, Decimal(rubric.total))

        seconds, peak = timed(run)
        rows.append((sum(1 for n in rubric.all_nodes() if n.is_leaf), seconds, peak))
    report("plan：目标为满分，逐项测算；修复前 2,000 个末级指标 147 秒", "末级指标数", rows)


def bench_extract(scale: float) -> None:
    from scoring.extract import extract

    shapes = {
        "“二、工作情况\\n本年主动公开信息N条。”重复；修复前 0.87 MB 176 秒": lambda i: (
            f"二、工作情况\n本年主动公开信息{i}条。"
        ),
        "“东胜区住建局，”重复；修复前 1.68 MB 120 秒": lambda i: "东胜区住建局，",
    }
    head = ""  # no title: the body's name is then inferred from the text (the quadratic path)
    for title, piece in shapes.items():
        rows = []
        for size in (int(n * scale) for n in (100_000, 200_000, 400_000, 800_000)):
            parts, length, i = [head], len(head.encode()), 0
            while length < size:
                text = piece(i)
                parts.append(text)
                length += len(text.encode())
                i += 1
            report_text = "".join(parts)

            def run(report_text: str = report_text) -> None:
                extract(report_text)  # the format detected, as `scoring extract` does

            seconds, peak = timed(run)
            rows.append((length, seconds, peak))
        report(f"extract：{title}", "字节", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["score", "plan", "extract"])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (0.1 for a quick look)")
    args = parser.parse_args()
    for name, bench in (("score", bench_score), ("plan", bench_plan), ("extract", bench_extract)):
        if args.only in (None, name):
            bench(args.scale)


if __name__ == "__main__":
    main()
