"""Review (核定): the review file's checks with located Chinese messages, the reviewed
pass (verified facts, fixed points, manual items, veto decisions), the three figures
per node and in total, and the review reaching the scorecard end to end."""

from __future__ import annotations

import io
import json
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from scoring.cli import run
from scoring.engine import Override, VetoDecision, evaluate
from scoring.review import ReviewError, apply_review, load_review, review_from_text, review_path_for
from scoring.rubric import load_rubric
from scoring.submission import load_submission
from scoring.validation import make_validator, packaged_schema

DATA = Path(__file__).resolve().parent / "data" / "review"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(DATA / "rubric.yaml")


@pytest.fixture(scope="module")
def submission(rubric):
    sub, _ = load_submission(DATA / "submission.yaml", rubric)
    return sub


def reviewed(rubric, submission, text: str | None = None):
    review = load_review(DATA / "review.yaml", rubric) if text is None else review_from_text(text, rubric, "r.yaml")
    return apply_review(evaluate(rubric, submission), review, rubric, submission)


def errors(rubric, text: str) -> list[str]:
    with pytest.raises(ReviewError) as info:
        review_from_text(textwrap.dedent(text), rubric, "r.yaml")
    return [str(p) for p in info.value.problems]


HEAD = """\
review:
  rubric: {id: review-fixture}
  reviewer: 王敏
  date: "2018-03-01"
"""


# -- the three figures ------------------------------------------------------------------------------


def test_each_node_carries_self_computed_and_reviewed_points(rubric, submission):
    result = reviewed(rubric, submission)
    figures = {n.id: (n.self_points, n.points, n.reviewed_points) for n in result.nodes}
    assert figures["org.training"] == (4, 2, 4)  # the verified fact (2 trainings) feeds the rule
    assert figures["org.quality"] == (3, 3, 2)  # manual item decided by the reviewer
    assert figures["org"] == (None, 5, 6)  # parents re-aggregate
    assert figures["pub.columns"] == (6, Decimal("4.8"), Decimal("4.8"))  # untouched
    assert figures["plus"] == (2, 0, 0)


def test_totals_grade_and_veto_before_and_after_review(rubric, submission):
    result = reviewed(rubric, submission)
    assert (result.final, result.grade, [v.id for v in result.vetoes]) == (Decimal("9.8"), "不合格", ["leak"])
    review = result.review
    assert review is not None
    assert (review.base, review.bonus, review.final, review.grade, review.vetoes) == (
        Decimal("10.8"),
        0,
        Decimal("10.8"),
        "合格",
        (),
    )
    assert (result.final_score, result.final_grade) == (Decimal("10.8"), "合格")
    assert (review.reviewer, review.date.isoformat(), review.pending) == ("王敏", "2018-03-01", ())


def test_review_notes_say_what_changed_who_and_why(rubric, submission):
    result = reviewed(rubric, submission)
    notes = {n.id: [x.display() for x in n.review_notes] for n in result.nodes if n.review_notes}
    assert notes == {
        "org.training": ["核定数据“举办培训班次数”：1 次 → 2 次（查阅培训通知和签到表，全年培训2次）"],
        "org.quality": ["核定分值“工作质量”：3 分 → 2 分（抽查10条信息，2条不规范）"],
        "pub.secret": ["否决项“发生泄密事件”：已触发 → 否决不成立（经核实为误报）"],
        "plus": ["核定分值“加分项”：0 分 → 0 分（未提供推广文件）"],
    }
    quality = result.node("org.quality")
    assert quality.review_notes[0].reviewer == "李娜"  # an entry may name its own reviewer
    assert quality.reviewed_reason == "核定为 2 分：抽查10条信息，2条不规范（李娜，2018-03-01）"
    assert quality.reviewed_status == "partial"


def test_result_json_carries_reviewed_points_and_review_totals(rubric, submission):
    data = reviewed(rubric, submission).to_dict()
    node = next(n for n in data["nodes"] if n["id"] == "org.quality")
    assert (node["self_points"], node["points"], node["reviewed_points"]) == (3, 3, 2)
    assert node["review"][0] == {
        "kind": "points",
        "target": "org.quality",
        "title": "工作质量",
        "before": "3 分",
        "after": "2 分",
        "reason": "抽查10条信息，2条不规范",
        "reviewer": "李娜",
        "date": "2018-03-01",
    }
    assert data["sections"][0]["reviewed_points"] == 6
    assert {k: data["review"][k] for k in ("reviewer", "date", "base", "bonus", "final", "grade", "vetoed")} == {
        "reviewer": "王敏",
        "date": "2018-03-01",
        "base": 10.8,
        "bonus": 0,
        "final": 10.8,
        "grade": "合格",
        "vetoed": False,
    }
    unreviewed = evaluate(rubric, load_submission(DATA / "submission.yaml", rubric)[0]).to_dict()
    assert unreviewed["review"] is None and unreviewed["nodes"][0]["reviewed_points"] is None


def test_a_fixed_parent_wins_over_its_children_and_ancestors_add_up(rubric, submission):
    result = reviewed(rubric, submission, HEAD + "nodes:\n  org: {points: 9, reason: 综合核定}\n")
    assert [result.node(i).reviewed_points for i in ("org", "org.training", "pub")] == [9, 2, Decimal("4.8")]
    assert result.review.base == Decimal("13.8")


def test_a_veto_can_be_imposed_by_the_reviewer(rubric):
    sub, _ = load_submission(DATA / "submission.yaml", rubric)
    import attrs

    clean = attrs.evolve(sub, facts={**sub.facts, "leaks": False})
    text = HEAD + "vetoes:\n  leak: {applies: 是, reason: 现场检查发现泄密}\n"
    result = apply_review(evaluate(rubric, clean), review_from_text(text, rubric, "r.yaml"), rubric, clean)
    assert (result.vetoes, result.grade) == ((), "合格")
    assert [v.id for v in result.review.vetoes] == ["leak"]
    assert result.review.grade == "不合格"
    assert "现场检查发现泄密" in result.review.vetoes[0].message


def test_a_verified_fact_may_be_blanked(rubric, submission):
    text = HEAD + "facts:\n  columns: {value: ~, reason: 网站栏目无法打开，无法核实}\n"
    result = reviewed(rubric, submission, text)
    assert (result.node("pub.columns").reviewed_points, result.node("pub.columns").reviewed_status) == (
        0,
        "data_missing",
    )


def test_engine_overrides_are_pure_and_optional(rubric, submission):
    plain = evaluate(rubric, submission)
    assert evaluate(rubric, submission, {}, {}) == plain
    fixed = evaluate(rubric, submission, {"pub.columns": Override(Decimal(6), "核定")}, {"leak": VetoDecision(False)})
    assert (fixed.node("pub.columns").points, fixed.node("pub").points, fixed.vetoes) == (6, 6, ())
    assert fixed.node("pub.columns").reason == "核定"
    assert evaluate(rubric, submission) == plain  # nothing leaked between calls


# -- the review file: every mistake at file:line:column ----------------------------------------------


def test_unknown_node_is_located_with_did_you_mean(rubric):
    assert errors(rubric, HEAD + "nodes:\n  org.trainng: {points: 1, reason: 核对}\n") == [
        "r.yaml:6:3: 字段 nodes.org.trainng（核定分值）：评分细则中没有编号为“org.trainng”的评分项；是不是“org.training”（教育培训）？"
    ]


def test_a_node_written_by_its_chinese_title_gets_the_id_suggested(rubric):
    assert errors(rubric, HEAD + "nodes:\n  工作质量: {points: 1, reason: 核对}\n") == [
        "r.yaml:6:3: 字段 nodes.工作质量（核定分值）：评分细则中没有编号为“工作质量”的评分项；是不是“org.quality”（工作质量）？"
    ]


def test_points_above_the_node_maximum(rubric):
    assert errors(rubric, HEAD + "nodes:\n  org.plan: {points: 3.5, reason: 核对}\n") == [
        "r.yaml:6:22: 字段 nodes.org.plan.points（工作要点）：核定分 3.5 超过“工作要点”的满分 3 分"
    ]


def test_points_finer_than_the_rubric_rounding(rubric):
    assert errors(rubric, HEAD + "nodes:\n  org.plan: {points: 2.25, reason: 核对}\n") == [
        "r.yaml:6:22: 字段 nodes.org.plan.points（工作要点）：分数 2.25 的小数位数多于评分细则的计分精度"
        "（保留 1 位小数）；请按细则的精度填写"
    ]


def test_missing_or_blank_reason(rubric):
    text = HEAD + "nodes:\n  org.plan:\n    points: 1\n  org.training: {points: 2, reason: '  '}\n"
    assert errors(rubric, text) == [
        "r.yaml:7:5: 字段 nodes.org.plan（工作要点）：缺少核定理由（reason）：每一项核定都要写明理由",
        "r.yaml:8:37: 字段 nodes.org.training.reason（教育培训）：格式不对（写明核定理由，不能只写空格），实际为文字“  ”",
    ]


def test_unknown_fact_wrong_type_and_unknown_veto(rubric):
    text = (
        HEAD
        + "facts:\n  training: {value: 2, reason: 核对}\n  has_plan: {value: 3, reason: 核对}\n"
        + "vetoes:\n  leek: {applies: 是, reason: 核对}\n"
    )
    assert errors(rubric, text) == [
        "r.yaml:6:3: 字段 facts.training（核实后的事实数据）：评分细则中没有编号为“training”的事实；是不是“trainings”（举办培训班次数）？",
        "r.yaml:7:21: 字段 facts.has_plan.value（已印发年度工作要点）：“已印发年度工作要点”应为是/否，实际为 3",
        "r.yaml:9:3: 字段 vetoes.leek：评分细则中没有编号为“leek”的否决项；是不是“leak”（发生泄密事件）？",
    ]


def test_veto_decision_must_be_yes_or_no(rubric):
    assert errors(rubric, HEAD + "vetoes:\n  leak: {applies: 也许, reason: 核对}\n") == [
        "r.yaml:6:19: 字段 vetoes.leak.applies（发生泄密事件）：应为“是”或“否”；实际为文字“也许”"
    ]


def test_review_of_another_rubric_and_missing_reviewer(rubric):
    text = 'review:\n  rubric: {id: other}\n  reviewer: 王敏\n  date: "2018-03-01"\n'
    assert errors(rubric, text) == [
        "r.yaml:2:16: 字段 review.rubric.id（核定信息）：本核定记录对应的评分细则是“other”，而自评材料所用细则是“review-fixture”（测试县政务公开考核细则（核定测试用））"
    ]
    assert errors(rubric, 'review:\n  rubric: {id: review-fixture}\n  date: "2018-03-01"\n') == [
        "r.yaml:2:3: 字段 review（核定信息）：缺少核定人（reviewer）"
    ]


def test_review_naming_another_agency_is_refused_when_applied(rubric, submission):
    text = HEAD.replace("  reviewer:", "  agency: 别的单位\n  reviewer:")
    with pytest.raises(ReviewError) as info:
        reviewed(rubric, submission, text)
    assert [str(p) for p in info.value.problems] == [
        "r.yaml:3:11: 字段 review.agency（被考核单位）：核定记录写的单位是“别的单位”，而自评材料的单位是“测试县住房和城乡建设局”"
    ]


def test_the_review_schema_is_valid_and_the_example_reviews_pass():
    make_validator(packaged_schema("review.schema.json"))
    examples = [
        (
            ROOT / "examples" / "reviews" / "001-otqq-zjj-2017.review.yaml",
            ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml",
        ),
        *[
            (p, ROOT / "rubrics" / f"ordos-otqq-zjj-{p.name[:4]}.yaml")
            for p in sorted((ROOT / "examples" / "batch" / "reviews").glob("*.yaml"))
        ],
    ]
    for review_path, rubric_path in examples:
        load_review(review_path, load_rubric(rubric_path))


def test_review_files_are_found_by_submission_name(tmp_path):
    (tmp_path / "a.review.yaml").write_text("x", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("x", encoding="utf-8")
    assert review_path_for(Path("in/a.yaml"), tmp_path) == tmp_path / "a.review.yaml"
    assert review_path_for(Path("in/b.yaml"), tmp_path) == tmp_path / "b.yaml"
    assert review_path_for(Path("in/c.yaml"), tmp_path) is None


# -- end to end ---------------------------------------------------------------------------------------


def test_render_with_review_prints_the_reviewed_column(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    for name in ("rubric.yaml", "submission.yaml", "review.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "render",
            str(tmp_path / "submission.yaml"),
            "--rubric",
            str(tmp_path / "rubric.yaml"),
            "--review",
            str(tmp_path / "review.yaml"),
            "-o",
            str(tmp_path / "card.pdf"),
            "--date",
            "2018-03-02",
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / "card.pdf").pages)
    assert "核定分" in text
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "card.pdf"} == before


def test_render_with_a_bad_review_reports_it_located_and_writes_nothing(tmp_path):
    for name in ("rubric.yaml", "submission.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "review.yaml").write_text(HEAD + "nodes:\n  org.plan: {points: 5, reason: 多给}\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "render",
            str(tmp_path / "submission.yaml"),
            "--rubric",
            str(tmp_path / "rubric.yaml"),
            "--review",
            str(tmp_path / "review.yaml"),
            "-o",
            str(tmp_path / "card.pdf"),
        ],
        out,
        err,
    )
    assert code == 1
    assert (
        err.getvalue()
        == f"{tmp_path / 'review.yaml'}:6:22: 字段 nodes.org.plan.points（工作要点）：核定分 5 超过“工作要点”的满分 3 分\n"
    )
    assert not (tmp_path / "card.pdf").exists()


def test_review_json_round_trip_is_canonical(rubric, submission):
    from scoring.result import dumps

    first = dumps(reviewed(rubric, submission))
    assert first == dumps(reviewed(rubric, submission))
    assert json.loads(first)["review"]["notes"][0]["kind"] == "fact"
