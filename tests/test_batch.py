"""``scoring batch`` end to end: every file scored, reviewed and rendered on two worker
processes; malformed files reported while the batch goes on; the summary as PDF, CSV
(UTF-8 with BOM) and XLSX; atomic outputs, untouched inputs, an interrupted run that
leaves no partial file and resumes; the ranking's tie-break rule."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from scoring.cli import run
from scoring.progress import Progress
from scoring.summary import RANKING_RULE, build_summary, rank_key, summary_csv

DATA = Path(__file__).resolve().parent / "data" / "review"
ROOT = Path(__file__).resolve().parent.parent

SUBMISSION = """\
rubric: {{id: review-fixture, version: "1"}}
agency: {{name: {name}, region: 测试县}}
year: 2017
facts:
  trainings: {trainings}
  has_plan: {plan}
  columns: {columns}
  leaks: {leaks}
  innovations: 0
self_scores:
  org.training: 4
  org.plan: 3
  org.quality: 3
  pub.columns: 6
  pub.secret: 4
"""


def submission(name: str, trainings: int = 2, plan: str = "是", columns: int = 5, leaks: str = "否") -> str:
    return SUBMISSION.format(name=name, trainings=trainings, plan=plan, columns=columns, leaks=leaks)


def make_batch(root: Path, extra: int = 0) -> tuple[Path, Path, Path]:
    rubrics, src, reviews = root / "rubrics", root / "src", root / "reviews"
    for folder in (rubrics, src, reviews):
        folder.mkdir()
    shutil.copy(DATA / "rubric.yaml", rubrics / "review-fixture.yaml")
    (src / "a-top.yaml").write_text(submission("甲县住建局"), encoding="utf-8")
    (src / "b-second.yaml").write_text(submission("乙县发改委", plan="否"), encoding="utf-8")
    (src / "c-vetoed.yaml").write_text(submission("丙县民政局", leaks="是"), encoding="utf-8")
    (src / "d-reviewed.yaml").write_text(submission("丁县教体局", trainings=0), encoding="utf-8")
    (src / "e-broken.yaml").write_text("rubric: {id: review-fixture\nagency: x\n", encoding="utf-8")
    (src / "f-unknown.yaml").write_text(
        submission("戊县卫计局").replace("  innovations: 0\n", "  innovation: 0\n"), encoding="utf-8"
    )
    for i in range(extra):
        (src / f"z{i:02d}.yaml").write_text(submission(f"测试单位{i:02d}", trainings=i % 3), encoding="utf-8")
    (reviews / "d-reviewed.review.yaml").write_text(
        'review:\n  rubric: {id: review-fixture}\n  reviewer: 王敏\n  date: "2018-03-01"\n'
        "facts:\n  trainings: {value: 2, reason: 核实培训记录}\n",
        encoding="utf-8",
    )
    return rubrics, src, reviews


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("batch")
    rubrics, src, reviews = make_batch(root)
    shutil.copy(DATA / "rubric.yaml", src / "g-rubric.yaml")  # a rubric among the submissions is skipped
    (reviews / "zz-orphan.review.yaml").write_text("review: {}\n", encoding="utf-8")
    before = digest(src) | {f"reviews/{k}": v for k, v in digest(reviews).items()}
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "--rubrics-dir",
            str(rubrics),
            "batch",
            str(src),
            "--review-dir",
            str(reviews),
            "-o",
            str(root / "out"),
            "--jobs",
            "2",
            "--date",
            "2018-03-05",
        ],
        out,
        err,
    )
    after = digest(src) | {f"reviews/{k}": v for k, v in digest(reviews).items()}
    return {
        "root": root,
        "out": root / "out",
        "code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "same_inputs": before == after,
    }


def test_exit_code_says_some_files_failed(batch):
    assert batch["code"] == 1, batch["stderr"]
    assert batch["same_inputs"]


def test_every_good_file_gets_a_scorecard_and_a_result_and_bad_ones_get_none(batch):
    out = batch["out"]
    assert sorted(p.name for p in (out / "scorecards").iterdir()) == [
        "a-top.pdf",
        "b-second.pdf",
        "c-vetoed.pdf",
        "d-reviewed.pdf",
    ]
    assert sorted(p.name for p in (out / "results").iterdir()) == [
        "a-top.json",
        "b-second.json",
        "c-vetoed.json",
        "d-reviewed.json",
    ]
    reviewed = json.loads((out / "results" / "d-reviewed.json").read_text(encoding="utf-8"))
    assert (reviewed["score"]["final"], reviewed["review"]["final"], reviewed["review"]["reviewer"]) == (16, 20, "王敏")
    for pdf in (out / "scorecards").iterdir():
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert not list(out.rglob("*.part"))


def test_malformed_files_are_reported_with_their_location_and_the_batch_goes_on(batch):
    src = batch["root"] / "src"
    errors = (batch["out"] / "errors.txt").read_text(encoding="utf-8")
    assert f"e-broken.yaml：处理失败\n  {src / 'e-broken.yaml'}:1:9: YAML 格式错误" in errors
    assert (
        f"f-unknown.yaml：处理失败\n  {src / 'f-unknown.yaml'}:9:3: 字段 facts.innovation：不认识的名称“innovation”；是不是“innovations”？"
        in errors
    )
    assert "处理失败的文件：" in batch["stdout"]
    assert "失败：e-broken.yaml" in batch["stderr"]


def test_csv_has_a_bom_the_ranking_and_the_failures(batch):
    raw = (batch["out"] / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:6] == ["考核年度", "评分细则", "名次", "单位名称", "所属地区", "自评总分"]
    assert {"组织领导", "信息公开", "加分项", "核定分", "一票否决", "自评虚高", "状态", "文件"} <= set(header)
    col = {name: i for i, name in enumerate(header)}
    rows = [line.split(",") for line in lines[1:]]
    ranked = [(r[col["名次"]], r[col["单位名称"]], r[col["最终得分"]], r[col["等次"]]) for r in rows if r[col["名次"]]]
    assert ranked == [
        ("1", "丁县教体局", "20", "优秀"),  # reviewed 16 → 20; ties 甲 on final and base: U+4E01 丁 < U+7532 甲
        ("2", "甲县住建局", "20", "优秀"),
        ("3", "乙县发改委", "17", "良好"),
        ("4", "丙县民政局", "16", "不合格"),  # vetoed: after every body not vetoed
    ]
    failed = [r[col["文件"]] for r in rows if r[col["状态"]] == "失败"]
    assert failed == ["e-broken.yaml", "f-unknown.yaml"]
    skipped = [(r[col["文件"]], r[col["说明"]]) for r in rows if r[col["状态"]] == "跳过"]
    assert skipped == [("g-rubric.yaml", "这是评分细则文件，不是自评材料，已跳过")]


def test_reviews_without_a_submission_are_pointed_out(batch):
    assert "提醒：核定记录 zz-orphan.review.yaml 没有对应的自评材料，未使用\n" in batch["stderr"]
    assert "提醒：核定记录 zz-orphan.review.yaml 没有对应的自评材料，未使用" in (batch["out"] / "errors.txt").read_text(
        encoding="utf-8"
    )


def test_xlsx_opens_with_every_sheet(batch):
    from openpyxl import load_workbook

    book = load_workbook(batch["out"] / "summary.xlsx")
    assert book.sheetnames == ["排名", "等次统计", "分项平均", "得分分布", "一票否决", "自评虚高", "失败文件", "说明"]
    ranking = list(book["排名"].iter_rows(values_only=True))
    assert ranking[0][3] == "单位名称" and ranking[1][3] == "丁县教体局"
    assert [r[1] for r in book["一票否决"].iter_rows(min_row=2, values_only=True)] == ["丙县民政局"]
    assert sorted(r[0] for r in book["失败文件"].iter_rows(min_row=2, values_only=True)) == [
        "e-broken.yaml",
        "f-unknown.yaml",
    ]
    rule = [r[0] for r in book["说明"].iter_rows(values_only=True)]
    assert "排名规则：" + RANKING_RULE in rule


def test_summary_pdf_states_the_rule_and_lists_everything(batch):
    pypdf = pytest.importorskip("pypdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(batch["out"] / "summary.pdf").pages).replace("\n", "")
    for expected in ("政务公开考核评价汇总表", "排名规则", "等次统计", "得分分布", "一级指标平均得分", "丙县民政局"):
        assert expected in text
    assert "一票否决的单位" in text and "自评虚高最多的单位" in text and "e-broken.yaml" in text


def test_rerun_reuses_unchanged_results_and_force_renders_again(batch):
    out = batch["out"]
    stamp = {p.name: p.stat().st_mtime_ns for p in (out / "scorecards").iterdir()}
    root = batch["root"]
    args = ["--rubrics-dir", str(root / "rubrics"), "batch", str(root / "src"), "--review-dir", str(root / "reviews")]
    args += ["-o", str(out), "--jobs", "2", "--date", "2018-03-05"]
    code = run(args, io.StringIO(), io.StringIO())
    assert code == 1
    assert {p.name: p.stat().st_mtime_ns for p in (out / "scorecards").iterdir()} == stamp
    (root / "src" / "a-top.yaml").write_text(submission("甲县住建局", columns=4), encoding="utf-8")
    run(args, io.StringIO(), io.StringIO())
    changed = {p.name for p in (out / "scorecards").iterdir() if p.stat().st_mtime_ns != stamp[p.name]}
    assert changed == {"a-top.pdf"}


# -- interruption ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_leaves_only_whole_files_and_a_rerun_completes(tmp_path, sig):
    rubrics, src, _ = make_batch(tmp_path, extra=14)
    for bad in ("e-broken.yaml", "f-unknown.yaml"):
        (src / bad).unlink()
    before = digest(src)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "scoring",
        "--rubrics-dir",
        str(rubrics),
        "batch",
        str(src),
        "-o",
        str(out),
        "--jobs",
        "2",
    ]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "results").is_dir() and len(list((out / "results").glob("*.json"))) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "已中断" in stderr
    assert not list(out.rglob("*.part"))
    assert not (out / "summary.csv").exists()
    done = sorted(p.stem for p in (out / "results").glob("*.json"))
    assert 2 <= len(done) < 18
    for pdf in (out / "scorecards").glob("*.pdf"):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), pdf.name
    for result in (out / "results").glob("*.json"):
        json.loads(result.read_text(encoding="utf-8"))
        assert (out / "scorecards" / f"{result.stem}.pdf").is_file()  # the JSON is written last
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "scorecards").glob("*.pdf") if p.stem in done}
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(list((out / "scorecards").glob("*.pdf"))) == 18
    assert (out / "summary.pdf").is_file() and (out / "summary.csv").is_file()
    assert {n: (out / "scorecards" / n).stat().st_mtime_ns for n in stamps} == stamps  # finished work reused
    assert digest(src) == before


def test_stale_partial_files_from_a_killed_run_are_swept(tmp_path):
    from scoring.batch import sweep_partials

    (tmp_path / "scorecards").mkdir()
    (tmp_path / "scorecards" / ".a.pdf.x1y2.part").write_bytes(b"%PDF-half")
    (tmp_path / "scorecards" / "a.pdf").write_bytes(b"keep")
    (tmp_path / ".summary.csv.z.part").write_bytes(b"half")
    assert sweep_partials(tmp_path) == 2
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["a.pdf"]


# -- pure parts: ranking, CSV, progress ----------------------------------------------------------------


def row(agency: str, final: str, base: str, errors: int = 0, vetoes: tuple[str, ...] = (), file: str = "") -> dict:
    return {
        "status": "ok",
        "file": file or f"{agency}.yaml",
        "stem": agency,
        "agency": agency,
        "region": "",
        "year": 2017,
        "rubric_id": "r",
        "rubric_version": "1",
        "rubric_title": "细则",
        "grades": ["优秀", "合格"],
        "max": Decimal(100),
        "max_with_bonus": Decimal(110),
        "self_total": Decimal(final) + 5,
        "computed": {
            "base": Decimal(base),
            "bonus": Decimal(0),
            "penalty": Decimal(0),
            "final": Decimal(final),
            "grade": "合格",
        },
        "reviewed": None,
        "final": Decimal(final),
        "base": Decimal(base),
        "grade": "合格",
        "vetoes": list(vetoes),
        "sections": [{"id": "s", "title": "一", "bonus": False, "max": Decimal(100), "points": Decimal(base)}],
        "over_claim": Decimal(5),
        "over_nodes": [],
        "errors": errors,
        "warnings": 0,
        "error_messages": [],
        "missing_required": 0,
        "pending": 0,
        "scorecard": "",
        "result": "",
    }


def test_tie_break_final_then_base_then_fewer_errors_then_name_and_vetoed_last():
    rows = [
        row("乙", "90", "85"),
        row("甲", "90", "85"),
        row("丙", "90", "88"),
        row("丁", "90", "85", errors=1),
        row("戊", "95", "95", vetoes=("泄密",)),
        row("己", "91", "80"),
    ]
    summary = build_summary(rows, {})
    assert [r["agency"] for r in summary["groups"][0]["rows"]] == ["己", "丙", "乙", "甲", "丁", "戊"]
    assert "乙" < "甲"  # code point order: U+4E59 < U+7532
    assert [r["rank"] for r in summary["groups"][0]["rows"]] == [1, 2, 3, 4, 5, 6]
    assert rank_key(rows[0]) < rank_key(rows[3])


def test_years_and_rubrics_are_ranked_separately_and_histogram_counts_everyone():
    rows = [row("甲", "95", "95"), row("乙", "55", "55"), {**row("丙", "80", "80"), "year": 2018}]
    summary = build_summary(rows, {})
    assert [(g["year"], [r["agency"] for r in g["rows"]]) for g in summary["groups"]] == [
        (2017, ["甲", "乙"]),
        (2018, ["丙"]),
    ]
    assert sum(b["count"] for b in summary["groups"][0]["histogram"]) == 2


def test_csv_never_lets_submitted_text_become_a_formula():
    summary = build_summary([row('=HYPERLINK("http://x")', "90", "90")], {})
    text = summary_csv(summary).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_progress_prints_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(40, stream, tty=False)
    for _ in range(40):
        progress.advance()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 20 and lines[-1].startswith("评分进度 40/40（100%）")
    assert "\r" not in stream.getvalue()


def test_progress_draws_one_bar_line_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(4, stream, tty=True)
    progress.advance()
    progress.note("失败：x.yaml")
    progress.advance(3, failed=1)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\n") == 2 and "\r\x1b[2K" in text and "█" * 24 in text and "失败：x.yaml\n" in text


def test_batch_of_a_folder_without_submissions_is_a_clear_error(tmp_path):
    err = io.StringIO()
    assert run(["batch", str(tmp_path), "-o", str(tmp_path / "out")], io.StringIO(), err) == 1
    assert err.getvalue() == f"{tmp_path}: 文件夹中没有 .yaml / .yml 文件\n"


@pytest.mark.skipif(not (ROOT / "examples" / "batch").is_dir(), reason="examples not generated")
def test_example_batch_is_up_to_date_with_its_generator():
    result = subprocess.run(
        [sys.executable, "examples/tools/make_batch.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((ROOT / "examples" / "batch").glob("*.yaml"))) >= 30
