"""``scoring compare A B``: deltas per section and node, ids matched directly or through
a mapping file across rubric versions, self vs reviewed, terminal / JSON / PDF."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from scoring.cli import run

DATA = Path(__file__).resolve().parent / "data" / "review"
ROOT = Path(__file__).resolve().parent.parent

SUB = """\
rubric: {{id: {rid}, version: "1"}}
agency: {{name: 测试县住房和城乡建设局}}
year: {year}
facts: {{trainings: {trainings}, has_plan: {plan}, columns: {columns}, leaks: 否, innovations: 0}}
self_scores: {{org.training: 4, org.plan: 3, org.quality: 3, pub.columns: 6, pub.secret: 4}}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "rubrics").mkdir()
    text = (DATA / "rubric.yaml").read_text(encoding="utf-8")
    (tmp_path / "rubrics" / "v1.yaml").write_text(text, encoding="utf-8")
    renamed = (
        text.replace("id: review-fixture", "id: review-fixture-2018")
        .replace("year: 2017", "year: 2018")
        .replace("id: pub.columns", "id: pub.sites")
        .replace("title: 栏目设置", "title: 网站栏目")
    )
    (tmp_path / "rubrics" / "v2.yaml").write_text(renamed, encoding="utf-8")
    (tmp_path / "a.yaml").write_text(
        SUB.format(rid="review-fixture", year=2017, trainings=1, plan="否", columns=3), encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        SUB.format(rid="review-fixture-2018", year=2018, trainings=2, plan="是", columns=5).replace(
            "pub.columns", "pub.sites"
        ),
        encoding="utf-8",
    )
    (tmp_path / "a2.yaml").write_text(
        SUB.format(rid="review-fixture", year=2018, trainings=2, plan="否", columns=3), encoding="utf-8"
    )
    (tmp_path / "map.yaml").write_text(
        "mapping:\n  from: {id: review-fixture}\n  to: {id: review-fixture-2018}\nnodes:\n  pub.columns: pub.sites\n",
        encoding="utf-8",
    )
    return tmp_path


def call(files: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["--rubrics-dir", str(files / "rubrics"), *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_same_rubric_deltas_per_section_and_changed_nodes_only(files):
    code, out, err = call(files, "compare", str(files / "a.yaml"), str(files / "a2.yaml"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "对比：测试县住房和城乡建设局"
    assert lines[4] == "总分：12.6 → 14.6（+2）  等次：合格 → 合格"
    assert any(line.startswith("org ") and line.rstrip().endswith("+2") for line in lines)
    changed = lines[lines.index("评分项（有变化的 1 项）：") + 3 :]
    assert [c.split()[0] for c in changed] == ["org.training"]


def test_across_rubric_versions_with_a_mapping_file(files):
    code, out, _ = call(
        files,
        "compare",
        str(files / "a.yaml"),
        str(files / "b.yaml"),
        "--mapping",
        str(files / "map.yaml"),
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["total"], data["only_a"], data["only_b"]) == ({"a": 12.6, "b": 20, "delta": 7.4}, [], [])
    sites = next(r for r in data["nodes"] if r["a_id"] == "pub.columns")
    assert (sites["b_id"], sites["title"], sites["a"], sites["b"], sites["delta"]) == (
        "pub.sites",
        "网站栏目",
        3.6,
        6,
        2.4,
    )
    assert [(s["a_id"], s["delta"]) for s in data["sections"]] == [("org", 5), ("pub", 2.4), ("plus", 0)]


def test_without_the_mapping_renamed_nodes_show_as_removed_and_added(files):
    code, out, _ = call(files, "compare", str(files / "a.yaml"), str(files / "b.yaml"))
    assert code == 0
    assert "提醒：两份材料的评分细则不同（review-fixture 与 review-fixture-2018）" in out
    assert "仅在 A 中的评分项（B 的细则中没有对应项）：\n  pub.columns  栏目设置  3.6/6" in out
    assert "仅在 B 中的评分项（新增）：\n  pub.sites  网站栏目  6/6" in out


def test_a_mapping_naming_an_unknown_node_is_located(files):
    (files / "map.yaml").write_text("nodes:\n  pub.colums: pub.sites\n", encoding="utf-8")
    code, _, err = call(
        files, "compare", str(files / "a.yaml"), str(files / "b.yaml"), "--mapping", str(files / "map.yaml")
    )
    assert code == 1
    assert (
        err
        == f"{files / 'map.yaml'}:2:3: 字段 nodes.pub.colums：A 的评分细则中没有评分项“pub.colums”；是不是“pub.columns”（栏目设置）？\n"
    )


def test_self_against_reviewed_from_one_result_json(files):
    shutil.copy(DATA / "submission.yaml", files / "s.yaml")
    shutil.copy(DATA / "review.yaml", files / "r.yaml")
    (files / "rubrics" / "v2.yaml").unlink()
    from scoring.engine import evaluate
    from scoring.result import dumps
    from scoring.review import apply_review, load_review
    from scoring.rubric import load_rubric
    from scoring.submission import load_submission

    rubric = load_rubric(files / "rubrics" / "v1.yaml")
    sub, _ = load_submission(files / "s.yaml", rubric)
    result = apply_review(evaluate(rubric, sub), load_review(files / "r.yaml", rubric), rubric, sub)
    (files / "s.json").write_text(dumps(result), encoding="utf-8")
    code, out, _ = call(
        files,
        "compare",
        str(files / "s.json"),
        str(files / "s.json"),
        "--a-figure",
        "self",
        "--b-figure",
        "reviewed",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["a"]["figure_label"], data["b"]["figure_label"]) == ("自评分", "核定分")
    assert data["total"] == {"a": 22, "b": 10.8, "delta": -11.2}
    quality = next(r for r in data["nodes"] if r["a_id"] == "org.quality")
    assert (quality["a"], quality["b"], quality["delta"]) == (3, 2, -1)
    code, _, err = call(files, "compare", str(files / "s.yaml"), str(files / "s.yaml"), "--b-figure", "reviewed")
    assert code == 1 and "这份结果没有核定记录，不能取核定分" in err


def test_compare_pdf(files):
    pypdf = pytest.importorskip("pypdf")
    pdf = files / "cmp.pdf"
    code, _, err = call(
        files,
        "compare",
        str(files / "a.yaml"),
        str(files / "b.yaml"),
        "--mapping",
        str(files / "map.yaml"),
        "-o",
        str(pdf),
    )
    assert code == 0, err
    text = "".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages).replace("\n", "")
    assert "政务公开考核评分对比" in text and "测试县住房和城乡建设局" in text and "pub.columns → pub.sites" in text
    assert "+7.4" in text


def test_example_years_compare_with_the_example_mapping():
    if not (ROOT / "examples" / "batch" / "2018-otqq-zjj.yaml").is_file():
        pytest.skip("examples not generated")
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "compare",
            str(ROOT / "examples" / "batch" / "2017-otqq-zjj.yaml"),
            str(ROOT / "examples" / "batch" / "2018-otqq-zjj.yaml"),
            "--mapping",
            str(ROOT / "examples" / "compare" / "ordos-otqq-zjj-2017-to-2018.mapping.yaml"),
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    assert "platform.new_media→platform.media" in out.getvalue()
    assert "仅在" not in out.getvalue()
