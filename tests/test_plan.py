"""``scoring plan SUBMISSION --target``: unmet criteria in order of points recoverable,
measured by the engine (caps and bonus caps respected), the criterion text as the
action, cumulative scores, vetoes first, unreachable targets said plainly."""

from __future__ import annotations

import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import rubric_yaml

from scoring.cli import run
from scoring.errors import UsageError
from scoring.plan import make_plan, parse_target
from scoring.rubric import load_rubric
from scoring.submission import load_submission, submission_from_text

DATA = Path(__file__).resolve().parent / "data" / "review"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(DATA / "rubric.yaml")


def sub(rubric, facts: str):
    text = f'rubric: {{id: review-fixture, version: "1"}}\nagency: {{name: 测试局}}\nyear: 2017\nfacts: {facts}\n'
    return submission_from_text(text, rubric, "s.yaml")[0]


def test_steps_in_order_of_points_recoverable_until_the_target(rubric):
    plan = make_plan(
        rubric, sub(rubric, "{trainings: 1, has_plan: 否, columns: 4, leaks: 否, innovations: 0}"), Decimal(18)
    )
    assert (plan.score, plan.grade) == (Decimal("10.8"), "合格")
    assert [(s.id, s.gained, s.score_after, s.grade_after) for s in plan.steps] == [
        ("plus", 4, Decimal("14.8"), "合格"),
        ("org.plan", 3, Decimal("17.8"), "良好"),  # ties (3 points) keep rubric order
        ("org.quality", 3, Decimal("20.8"), "优秀"),
    ]
    assert plan.reached
    assert plan.steps[1].action == "印发本单位年度政务公开工作要点。"  # the criterion's own text
    assert plan.steps[1].reason == "未印发（已印发年度工作要点 = 否）"


def test_missing_data_and_manual_items_are_candidates_too(rubric):
    plan = make_plan(rubric, sub(rubric, "{trainings: 0}"), Decimal(24))
    assert [(s.id, s.status, s.recoverable) for s in plan.steps] == [
        ("pub.columns", "data_missing", 6),
        ("org.training", "unmet", 4),
        ("pub.secret", "data_missing", 4),
        ("plus", "data_missing", 4),
        ("org.plan", "data_missing", 3),
        ("org.quality", "needs_review", 3),
    ]
    assert [s.manual for s in plan.steps] == [False] * 5 + [True]
    assert plan.steps[-1].score_after == 24


def test_caps_are_respected_by_measuring_not_guessing():
    r = rubric_yaml("""
rubric:
  id: capped
  version: "1"
  title: 封顶测试
  year: 2017
  total: 4
  bonus_cap: 1
  grades: [{name: 合格, min: 4}, {name: 不合格, min: 0}]
facts:
  - {id: a, label: 甲, type: bool}
  - {id: b, label: 乙, type: bool}
  - {id: c, label: 丙, type: bool}
sections:
  - id: s
    title: 工作
    max: 4
    cap: true
    children:
      - {id: s.a, title: 甲, text: 做到甲, max: 3, rule: {kind: condition, when: a}}
      - {id: s.b, title: 乙, text: 做到乙, max: 3, rule: {kind: condition, when: b}}
bonus:
  - {id: x, title: 加分, max: 2, rule: {kind: condition, when: c}}
""")
    s = submission_from_text(
        "rubric: {id: capped, version: '1'}\nagency: {name: 局}\nyear: 2017\nfacts: {a: 是, b: 否, c: 否}\n", r
    )[0]
    plan = make_plan(r, s, Decimal(5))
    assert [(step.id, step.recoverable, step.gained) for step in plan.steps] == [("s.b", 1, 1), ("x", 1, 1)]
    assert plan.reached and plan.steps[-1].score_after == 5


def test_an_unreachable_target_says_the_best_possible(rubric):
    from scoring.engine import Override
    from scoring.plan import plan_text

    s = sub(rubric, "{trainings: 2, has_plan: 是, columns: 5, leaks: 否, innovations: 0}")
    plan = make_plan(rubric, s, Decimal(24), overrides={"org.quality": Override(Decimal(1))})
    assert (plan.score, plan.best, plan.reached) == (Decimal(18), Decimal(22), False)
    assert plan_text(plan).endswith("即使以上各项全部达到，最高也只有 22 分，达不到目标 24 分。\n")
    reached = make_plan(rubric, s, Decimal(17))
    assert (reached.steps, plan_text(reached).splitlines()[-1]) == ((), "当前分数已达到目标，无需补分。")


def test_target_as_number_or_grade_name_and_bad_targets(rubric):
    assert parse_target("良好", rubric) == (Decimal(15), "良好")
    assert parse_target("18", rubric) == (Decimal(18), "优秀")
    with pytest.raises(UsageError, match="应为分数（如 90）或等次名称（优秀、良好、合格、不合格）"):
        parse_target("很好", rubric)
    with pytest.raises(UsageError, match="目标 30 分超过本细则可得的最高分 24 分"):
        parse_target("30", rubric)


def test_cli_plan_with_a_veto_and_a_review(tmp_path):
    for name in ("rubric.yaml", "submission.yaml", "review.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    out, err = io.StringIO(), io.StringIO()
    args = ["plan", str(tmp_path / "submission.yaml"), "--rubric", str(tmp_path / "rubric.yaml"), "--target", "优秀"]
    assert run(args, out, err) == 0, err.getvalue()
    text = out.getvalue()
    assert text.splitlines()[:3] == [
        "提分测算：测试县住房和城乡建设局  2017 年度",
        "当前最终得分 9.8 分（不合格）；目标 18 分（优秀）",
        "!! 触发一票否决：发生泄密事件：年内发生泄密事件，一票否决。否决不消除，分数再高等次也是最低档；请先整改并经评估人核定。",
    ]
    assert " 1. [pub.secret] 保密审查：+4 分 → 13.8 分（不合格）" in text
    assert "    要做到：未发生泄密事件。" in text
    out = io.StringIO()
    assert run([*args, "--review", str(tmp_path / "review.yaml"), "--format", "json"], out, io.StringIO()) == 0
    data = json.loads(out.getvalue())
    assert (data["score"], data["vetoes"], data["reached"]) == (10.8, [], True)
    assert "org.quality" not in [s["id"] for s in data["steps"]]  # fixed by the reviewer: not recoverable
    assert [s["id"] for s in data["steps"]][:2] == ["pub.secret", "org.plan"]


def test_plan_of_a_real_example():
    root = Path(__file__).resolve().parent.parent
    example = root / "examples" / "001-otqq-zjj-2017.yaml"
    if not example.is_file():
        pytest.skip("example not present")
    rubric = load_rubric(root / "rubrics" / "ordos-otqq-zjj-2017.yaml")
    s, _ = load_submission(example, rubric)
    plan = make_plan(rubric, s, Decimal(90))
    gains = [step.recoverable for step in plan.steps]
    assert gains == sorted(gains, reverse=True)
    assert plan.reached and plan.steps[-1].score_after >= 90 > plan.steps[-2].score_after


def _examples() -> list[tuple[Path, Path]]:
    root = Path(__file__).resolve().parent.parent
    pairs = [
        (root / "rubrics" / "ordos-otqq-zjj-2017.yaml", root / "examples" / f) for f in ("001-otqq-zjj-2017.yaml",)
    ]
    pairs += [(DATA / "rubric.yaml", DATA / "submission.yaml")]
    pairs += [
        (p / "rubric.yaml", s) for p in sorted((root / "tests" / "cases").iterdir()) for s in sorted(p.glob("s*.yaml"))
    ]
    return [(r, s) for r, s in pairs if r.is_file() and s.is_file()]


@pytest.mark.parametrize(("rubric_path", "submission_path"), _examples(), ids=lambda p: p.parent.name + "/" + p.name)
def test_re_adding_only_the_changed_path_gives_the_plan_whole_evaluations_give(rubric_path, submission_path):
    """The near-linear what-ifs (:class:`_Tally`) against one whole evaluation per what-if (the old way)."""
    from scoring.engine import evaluate, leaf_outcomes
    from scoring.plan import _plan, _Tally

    rubric = load_rubric(rubric_path)
    try:
        s, _ = load_submission(submission_path, rubric)
    except Exception:  # a case's deliberately invalid submission
        pytest.skip("not a valid submission")
    current = evaluate(rubric, s)
    for target in (rubric.max_with_bonus, rubric.grades[0].min):
        slow = _plan(rubric, s, target, {}, {}, current, None)
        fast = _plan(rubric, s, target, {}, {}, current, _Tally(rubric, leaf_outcomes(rubric, s), {}, current))
        assert fast == slow


def test_a_plan_evaluates_a_fixed_number_of_times_whatever_the_rubric_size(monkeypatch, rubric):
    """Before: one whole evaluation per unmet criterion and per step (2,000 criteria: 147 s)."""
    import scoring.plan as plan_module

    calls = []
    real = plan_module.evaluate

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "evaluate", counted)
    s = sub(rubric, "{}")
    plan = make_plan(rubric, s, rubric.total)
    assert plan.steps and len(calls) == 3  # now, best, and the check of the steps against a whole evaluation
