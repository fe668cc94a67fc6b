"""How fast are PDF scorecards? Renders the example submissions in one warm process.

    .venv/bin/python bench/bench_render.py [--repeat 5] [--floor] [SUBMISSION ...]

Prints, per scorecard: milliseconds per card and per page, PDF size and printed
characters per page; then the time WeasyPrint takes for 4 pages of plain Chinese
text with the same fonts, FontConfiguration and CSS objects in the same run, and
the ratio (target: a 4-page scorecard within 2x of 4 plain pages). Peak memory:
the process's maximum resident size (getrusage) and the peak of Python
allocations during one render (tracemalloc, measured separately because it slows
rendering).

The baseline is plain ``weasyprint.HTML`` with WeasyPrint's defaults. The
scorecard renderer pauses Python's garbage collector while it draws (see
``scoring.render.gc_paused``); for comparison the baseline is also timed that
way and printed on its own line, but the ratio is against the default baseline.

``--evidence 1000,10000,40000`` (the default; ``--evidence ""`` skips it) times one
submission with that many evidence items on one criterion (about 80 bytes each: 40,000
make a 3.2 MB file), from its text to the PDF: reading, checking, scoring, rendering.
The card prints 20 items per criterion and counts the rest, so the time is linear in
the file (reading and checking) plus a constant render; the marginal cost per 1,000
items between two sizes should be about the same for every pair.

``--floor`` also times each card's printed text (the same characters) laid out
as plain paragraphs in the baseline's style: what the card would cost if its
tables, rules and cells were free. Time grows with the characters and the boxes
on a page, so a dense card page costs more than a plain page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import io
import itertools
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.engine import evaluate  # noqa: E402
from scoring.render import Renderer, build_card, gc_paused, printed_text  # noqa: E402
from scoring.result import Result  # noqa: E402
from scoring.rubric import load_rubric  # noqa: E402
from scoring.submission import load_submission, peek_rubric_ref, submission_from_document  # noqa: E402
from scoring.yamlio import load_text, read_text  # noqa: E402

ISSUED = dt.date(2018, 3, 1)
FIXTURE = ROOT / "tests" / "data" / "render"
PARAGRAPH = (
    "各地区各部门要坚持以公开为常态、不公开为例外，推进行政决策公开、执行公开、管理公开、服务公开和结果公开，"
    "加强政策解读与回应关切，完善政务公开制度规范，提升政务服务水平，以公开促落实、促规范、促服务。"
    "主要领导年内至少听取一次政务公开工作汇报，研究部署推进工作；年度政务公开工作要点应明确责任分工与完成时限。"
)


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def load_cases(paths: list[str]) -> list[tuple[str, Result]]:
    rubric_files = [*sorted(glob.glob(str(ROOT / "rubrics" / "*.yaml"))), str(FIXTURE / "rubric.yaml")]
    rubrics = {}
    for file in rubric_files:
        rubric = load_rubric(file)
        rubrics.setdefault(rubric.id, rubric)
    submissions = paths or [*sorted(glob.glob(str(ROOT / "examples" / "*.yaml"))), str(FIXTURE / "submission.yaml")]
    cases = []
    for file in submissions:
        ref = peek_rubric_ref(load_text(read_text(file), file))
        if ref is None or ref[0] not in rubrics:
            print(f"跳过 {file}：找不到对应的评分细则", file=sys.stderr)
            continue
        submission, _ = load_submission(file, rubrics[ref[0]])
        name = Path(file).resolve()
        label = str(name.relative_to(ROOT)) if name.is_relative_to(ROOT) else str(file)
        cases.append((label, evaluate(rubrics[ref[0]], submission)))
    return cases


def plain_html(paragraphs: int) -> str:
    body = "".join(f"<p>{i + 1}. {PARAGRAPH}</p>" for i in range(paragraphs))
    return f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>{body}</body></html>'


def plain_pdf(renderer: Renderer, paragraphs: int, stylesheets: list) -> bytes:
    import weasyprint

    html = weasyprint.HTML(string=plain_html(paragraphs), base_url=renderer.base_url, url_fetcher=renderer.fetcher)
    return html.write_pdf(stylesheets=stylesheets, font_config=renderer.font_config)


def printed_chars(html: str) -> int:
    """Characters a document prints (whitespace not counted)."""
    return len("".join(printed_text(html).split()))


def text_as_paragraphs(text: str, width: int = 155) -> str:
    """``text`` (whitespace dropped) as plain paragraphs of about the baseline's length."""
    from html import escape

    flat = "".join(text.split())
    body = "".join(f"<p>{escape(flat[i : i + width])}</p>" for i in range(0, len(flat), width))
    return f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>{body}</body></html>'


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU milliseconds of ``fn`` after one warm-up call."""
    out = fn()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, out


def evidence_submission(items: int) -> str:
    """The fixture submission with ``items`` evidence entries (~80 bytes each) on one criterion."""
    text = (FIXTURE / "submission.yaml").read_text(encoding="utf-8")
    head = text[: text.index("evidence:")]
    tail = text[text.index("remarks:") :]
    lines = [
        f"    - {{doc: 住建局文件〔2017〕{i}号, url: http://www.example.gov.cn/zjj/{i}.html}}\n" for i in range(items)
    ]
    return head + "evidence:\n  org.leader.hear:\n" + "".join(lines) + tail


def evidence_scaling(renderer: Renderer, sizes: list[int]) -> None:
    """Seconds from text to PDF for a submission with many evidence items: linear in the items."""
    rubric = load_rubric(str(FIXTURE / "rubric.yaml"))
    figures = []
    for items in sizes:
        text = evidence_submission(items)
        start, start_cpu = time.perf_counter(), time.process_time()
        submission, _ = submission_from_document(load_text(text, "evidence.yaml"), rubric)
        result = evaluate(rubric, submission)
        checked = time.perf_counter()
        pdf = renderer.pdf(result, ISSUED)
        done, done_cpu = time.perf_counter(), time.process_time()
        figures.append((items, done - start, done_cpu - start_cpu))
        print(
            f"佐证材料 {items} 条（{len(text.encode()) / 2**20:.1f} MiB）：共 {done - start:.2f} s（CPU {done_cpu - start_cpu:.2f} s；"
            f"读取、校验、评分 {checked - start:.2f} s，渲染 {done - checked:.2f} s），{pages(pdf)} 页"
        )
    for (n0, _, c0), (n1, _, c1) in itertools.pairwise(figures):
        print(f"  {n0} → {n1} 条：每增加 1000 条 CPU {1000 * (c1 - c0) / (n1 - n0) * 1000:.0f} ms（线性时各段相同）")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--floor", action="store_true", help="also time each card's text as plain paragraphs")
    parser.add_argument("--evidence", default="1000,10000,40000", help="evidence items per timed submission")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    import weasyprint

    imported = time.perf_counter()
    renderer = Renderer()
    ready = time.perf_counter()
    print(f"导入 weasyprint {1000 * (imported - start):.0f} ms；Renderer 初始化 {1000 * (ready - imported):.0f} ms")

    cases = load_cases(args.submissions)
    card_rows = []
    for name, result in cases:
        ms, cpu, pdf = timed(lambda result=result: renderer.pdf(result, ISSUED), args.repeat)
        n = pages(pdf)
        chars = printed_chars(renderer.html(result, ISSUED))
        card_rows.append((name, ms, cpu, n, len(pdf)))
        print(
            f"{name}: {ms:.0f} ms/份（CPU {cpu:.0f} ms），{n} 页，{ms / n:.0f} ms/页，"
            f"PDF {len(pdf) / 1024:.0f} KiB，{chars} 字（{chars / n:.0f} 字/页）"
        )

    # Baseline: 4 pages of plain Chinese text, same fonts (common cut first, as the card),
    # FontConfiguration and CSS objects, same run.
    plain_css = weasyprint.CSS(
        string=f"html {{ font-family: {renderer.fonts.stack}; font-size: 10.5pt; line-height: 1.6; }} "
        "@page { size: A4; margin: 20mm 15mm; }",
        url_fetcher=renderer.fetcher,
        font_config=renderer.font_config,
    )
    sheets = [renderer.stylesheets[0], plain_css]
    paragraphs = 10
    while pages(plain_pdf(renderer, paragraphs, sheets)) < 4:
        paragraphs += 4
    while pages(plain_pdf(renderer, paragraphs, sheets)) > 4:
        paragraphs -= 1
    plain_ms, plain_cpu, plain = timed(lambda: plain_pdf(renderer, paragraphs, sheets), args.repeat)
    plain_chars = printed_chars(plain_html(paragraphs))
    print(
        f"纯文字 4 页（{paragraphs} 段，同一字体）：{plain_ms:.0f} ms（CPU {plain_cpu:.0f} ms），"
        f"{plain_ms / 4:.0f} ms/页，PDF {len(plain) / 1024:.0f} KiB，{plain_chars} 字（{plain_chars / 4:.0f} 字/页）"
    )

    def plain_no_gc() -> bytes:
        with gc_paused():
            return plain_pdf(renderer, paragraphs, sheets)

    nogc_ms, nogc_cpu, _ = timed(plain_no_gc, args.repeat)
    print(f"  （参考：纯文字 4 页同样在渲染时暂停垃圾回收：{nogc_ms:.0f} ms，CPU {nogc_cpu:.0f} ms；下面的倍数不用它）")

    if args.floor:
        for name, result in cases:
            text = printed_text(renderer._render(build_card(result, ISSUED), standalone=False))

            def floor_pdf(text: str = text) -> bytes:
                html = weasyprint.HTML(
                    string=text_as_paragraphs(text), base_url=renderer.base_url, url_fetcher=renderer.fetcher
                )
                return html.write_pdf(stylesheets=sheets, font_config=renderer.font_config)

            ms, cpu, pdf = timed(floor_pdf, args.repeat)
            print(
                f"{name} 的全部文字按纯文字段落排（无表格）：{ms:.0f} ms（CPU {cpu:.0f} ms），{pages(pdf)} 页，"
                f"为纯文字 4 页的 {ms / plain_ms:.2f} 倍"
            )

    for name, ms, cpu, n, _size in card_rows:
        ratio = (ms / n) / (plain_ms / 4)
        ratio_cpu = (cpu / n) / (plain_cpu / 4)
        head = f"{name}: 4 页评分表 / 4 页纯文字 = " if n == 4 else f"{name}: 每页耗时（折算为 4 页）/ 4 页纯文字 = "
        print(
            f"{head}{ratio:.2f} 倍（按 CPU 时间 {ratio_cpu:.2f} 倍；目标 ≤ 2 倍）；"
            f"整份 {n} 页 / 4 页纯文字 = {ms / plain_ms:.2f} 倍"
        )

    sizes = [int(x) for x in args.evidence.split(",") if x.strip()]
    if sizes:
        evidence_scaling(renderer, sizes)

    if cases:
        tracemalloc.start()
        renderer.pdf(cases[0][1], ISSUED)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"单份渲染 Python 内存峰值（tracemalloc）：{peak / 2**20:.1f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"进程最大常驻内存（getrusage）：{rss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
