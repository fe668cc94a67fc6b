"""The engine against every scoring semantic of domain.md §3, one rubric each."""

from __future__ import annotations

from decimal import Decimal

from conftest import rubric_yaml, score, submission_with

HEAD = """
rubric:
  id: t
  version: "1"
  title: 测试细则
  year: 2024
  total: {total}
  grades: {grades}
"""
STD_GRADES = "[{name: 优秀, min: 90}, {name: 良好, min: 80}, {name: 合格, min: 60}, {name: 不合格, min: 0}]"


def grades_for(total: int) -> str:
    """The standard bands scaled to ``total`` (a band above the total is refused at load)."""
    if total >= 100:
        return STD_GRADES
    return f"[{{name: 优秀, min: {total * 9 / 10}}}, {{name: 合格, min: {total * 6 / 10}}}, {{name: 不合格, min: 0}}]"


def make(body: str, total: int = 10, grades: str | None = None, facts: str = ""):
    return rubric_yaml(HEAD.format(total=total, grades=grades or grades_for(total)) + facts + body)


def pts(result, ident: str) -> Decimal:
    return result.node(ident).points


COUNT_FACTS = """
facts:
  - {id: n, label: 数量, type: count}
  - {id: ok, label: 是否达标, type: bool}
  - {id: level, label: 等级, type: choice, options: [优, 良, 一般, 差]}
"""


def test_all_or_nothing_condition():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 培训, max: 10, rule: {kind: condition, when: "n >= 1", met: 已开展培训, unmet: 未开展培训}}
"""
    )
    met = score(r, submission_with(r, "{n: 1}"))
    assert (pts(met, "a"), met.node("a").status) == (10, "met")
    assert met.node("a").reason == "已开展培训（数量 = 1）"
    unmet = score(r, submission_with(r, "{n: 0}"))
    assert (pts(unmet, "a"), unmet.node("a").status, unmet.node("a").reason) == (0, "unmet", "未开展培训（数量 = 0）")


def test_proportional_share_of_required_columns_with_rounding():
    r = make("""
facts:
  - {id: present, label: 已设栏目数, type: count}
  - {id: required, label: 应设栏目数, type: count}
sections:
  - {id: a, title: 栏目, max: 10, rule: {kind: proportional, numerator: present, denominator: required}}
""")
    result = score(r, submission_with(r, "{present: 2, required: 3}"))
    assert pts(result, "a") == Decimal("6.7")  # 10 × 2/3 rounded half-up to 1 place
    assert result.node("a").status == "partial"
    assert "66.7%" in result.node("a").reason
    over = score(r, submission_with(r, "{present: 5, required: 3}"))
    assert pts(over, "a") == 10  # a share above 100% is capped


def test_each_counts_two_at_most_six():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 创新, max: 6, rule: {kind: per_item, count: n, each: 2, unit: 项}}
  - {id: b, title: 其他, max: 4, rule: {kind: condition, when: ok}}
"""
    )
    assert [pts(score(r, submission_with(r, f"{{n: {k}}}")), "a") for k in (0, 1, 2, 3, 7)] == [0, 2, 4, 6, 6]
    assert score(r, submission_with(r, "{n: 7}")).node("a").reason == "7 项 × 每项 2 分 = 14 分，以 6 分为限"


def test_ordinal_scale():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 网站, max: 10, rule: {kind: scale, value: level, levels: {优: 10, 良: 8, 一般: 6, 差: 0}}}
"""
    )
    assert [pts(score(r, submission_with(r, f"{{level: {v}}}")), "a") for v in "优良差"] == [10, 8, 0]
    assert pts(score(r, submission_with(r, "{level: 一般}")), "a") == 6


def test_tiers_first_match_wins():
    r = make(
        COUNT_FACTS
        + """
sections:
  - id: a
    title: 回应
    max: 10
    rule:
      kind: tiers
      tiers:
        - {when: "n >= 10", points: 10, label: 10 次以上}
        - {when: "n >= 5", points: 6, label: 5 次以上}
        - {when: "n >= 1", points: 3}
      otherwise: 0
"""
    )
    assert [pts(score(r, submission_with(r, f"{{n: {k}}}")), "a") for k in (0, 1, 5, 12)] == [0, 3, 6, 10]
    assert score(r, submission_with(r, "{n: 12}")).node("a").reason == "符合“10 次以上”，得 10 分"


def test_deduction_each_finding_never_below_zero():
    r = make("""
facts:
  - {id: errors, label: 发现错误数, type: count}
  - {id: late, label: 是否未及时公开, type: bool}
sections:
  - id: a
    title: 信息发布
    max: 10
    rule:
      kind: deduction
      items:
        - {label: 每发现一处错误, count: errors, per: 1}
        - {label: 未及时公开, when: late, per: 2}
""")
    assert pts(score(r, submission_with(r, "{errors: 0, late: 否}")), "a") == 10
    three = score(r, submission_with(r, "{errors: 3, late: 是}"))
    assert pts(three, "a") == 5
    assert three.node("a").reason == "每发现一处错误 3 处 × 1 分 = 扣 3 分；未及时公开，扣 2 分。满分 10 − 5 = 5 分"
    assert pts(score(r, submission_with(r, "{errors: 25, late: 是}")), "a") == 0  # 扣完为止


def test_deductions_pooled_across_children_capped_at_level_one():
    r = make("""
facts:
  - {id: e1, label: 栏目一错误数, type: count}
  - {id: e2, label: 栏目二错误数, type: count}
sections:
  - id: site
    title: 网站
    max: 10
    pool_deductions: true
    children:
      - {id: site.a, title: 栏目一, max: 5, rule: {kind: deduction, items: [{label: 错误, count: e1, per: 1}]}}
      - {id: site.b, title: 栏目二, max: 5, rule: {kind: deduction, items: [{label: 错误, count: e2, per: 1}]}}
""")
    result = score(r, submission_with(r, "{e1: 8, e2: 1}"))
    # 栏目一 floors at 0 but its 3 surplus points cross into 栏目二, all within 网站's 10
    assert (pts(result, "site.a"), pts(result, "site.b"), pts(result, "site")) == (0, 4, 1)
    assert pts(score(r, submission_with(r, "{e1: 30, e2: 30}")), "site") == 0


def test_unpooled_deductions_stay_within_their_item():
    r = make("""
facts:
  - {id: e1, label: 栏目一错误数, type: count}
  - {id: e2, label: 栏目二错误数, type: count}
sections:
  - id: site
    title: 网站
    max: 10
    children:
      - {id: site.a, title: 栏目一, max: 5, rule: {kind: deduction, items: [{label: 错误, count: e1, per: 1}]}}
      - {id: site.b, title: 栏目二, max: 5, rule: {kind: deduction, items: [{label: 错误, count: e2, per: 1}]}}
""")
    assert pts(score(r, submission_with(r, "{e1: 8, e2: 1}")), "site") == 4


VETO_RUBRIC = """
facts:
  - {id: leak, label: 是否发生泄密事件, type: bool}
sections:
  - {id: a, title: 工作, max: 100, rule: {kind: condition, when: "not leak"}}
vetoes:
  - {id: leak, title: 发生失泄密事件, when: leak, message: 发生政府信息公开失泄密事件，一票否决, node: a, effect: %s}
"""


def test_veto_forces_lowest_grade_and_shows_on_its_node():
    r = make(VETO_RUBRIC % "grade", total=100)
    clean = score(r, submission_with(r, "{leak: 否}"))
    assert (clean.final, clean.grade, clean.vetoes) == (100, "优秀", ())
    hit = score(r, submission_with(r, "{leak: 是}"))
    assert hit.grade == "不合格" and hit.vetoes[0].title == "发生失泄密事件"
    assert hit.node("a").status == "vetoed"


def test_veto_zero_effect_zeroes_the_final_score():
    r = make(VETO_RUBRIC.replace('when: "not leak"', "when: True") % "zero", total=100)
    hit = score(r, submission_with(r, "{leak: 是}"))
    assert (hit.base, hit.final, hit.grade) == (100, 0, "不合格")


def test_bonus_outside_the_base_capped_and_gated():
    r = make(
        """
facts:
  - {id: q, label: 质量分, type: decimal}
  - {id: praised, label: 受表扬次数, type: count}
sections:
  - {id: a, title: 工作, max: 100, rule: {kind: formula, points: q}}
bonus:
  - id: plus
    title: 加分项
    max: 5
    gate: "base > 80"
    rule: {kind: per_item, count: praised, each: 2}
""",
        total=100,
    )
    r2 = r
    gated_out = score(r2, submission_with(r2, "{q: 80, praised: 1}"))
    assert (gated_out.base, gated_out.bonus, gated_out.final) == (80, 0, 80)
    assert gated_out.node("plus").reason == "基础分 80 未达到加分条件“base > 80”，加分不计"
    counted = score(r2, submission_with(r2, "{q: 85.5, praised: 4}"))
    assert (counted.base, counted.bonus, counted.final, counted.max) == (Decimal("85.5"), 5, Decimal("90.5"), 100)
    assert counted.grade == "优秀" and r2.max_with_bonus == 105


def test_bonus_cap_across_bonus_parts():
    r = make(
        """
facts:
  - {id: n, label: 数量, type: count}
sections:
  - {id: a, title: 工作, max: 10, rule: {kind: condition, when: true}}
bonus:
  - {id: b1, title: 任务, max: 5, rule: {kind: per_item, count: n, each: 5}}
  - {id: b2, title: 创新, max: 5, rule: {kind: per_item, count: n, each: 5}}
""".replace("grades: ", "grades: "),
        total=10,
    )
    capped = rubric_yaml(
        HEAD.format(total=10, grades=grades_for(10)).replace("  grades:", "  bonus_cap: 6\n  grades:")
        + """
facts:
  - {id: n, label: 数量, type: count}
sections:
  - {id: a, title: 工作, max: 10, rule: {kind: condition, when: true}}
bonus:
  - {id: b1, title: 任务, max: 5, rule: {kind: per_item, count: n, each: 5}}
  - {id: b2, title: 创新, max: 5, rule: {kind: per_item, count: n, each: 5}}
"""
    )
    assert score(r, submission_with(r, "{n: 1}")).bonus == 10
    result = score(capped, submission_with(capped, "{n: 1}"))
    assert (result.bonus, result.final, capped.max_with_bonus) == (6, 16, 16)


def test_major_penalty_deducts_from_total():
    r = make(
        """
facts:
  - {id: incidents, label: 被通报批评次数, type: count}
sections:
  - {id: a, title: 工作, max: 100, rule: {kind: condition, when: True}}
penalties:
  - {id: notice, title: 被上级通报批评, count: incidents, per: 5}
""",
        total=100,
    )
    result = score(r, submission_with(r, "{incidents: 2}"))
    assert (result.penalty, result.final, result.grade) == (10, 90, "优秀")
    assert result.findings[0].message == "重大扣分：被上级通报批评 2 处 × 5 分 = 扣 10 分"


def test_grade_bands_are_data():
    def grade(bands: str, points: int) -> str:
        r = make(
            COUNT_FACTS
            + """
sections:
  - {id: a, title: 工作, max: 100, rule: {kind: formula, points: n}}
""",
            total=100,
            grades=bands,
        )
        return score(r, submission_with(r, f"{{n: {points}}}")).grade

    assert (
        grade("[{name: 优秀, min: 90}, {name: 良好, min: 70}, {name: 合格, min: 60}, {name: 不合格, min: 0}]", 75)
        == "良好"
    )
    assert grade("[{name: 达标, min: 67}, {name: 不达标, min: 0}]", 67) == "达标"
    assert grade("[{name: 达标, min: 67}, {name: 不达标, min: 0}]", 66) == "不达标"


def test_weighted_parts_online_80_onsite_20():
    r = make(
        """
facts:
  - {id: online, label: 网上检查得分, type: decimal}
  - {id: onsite, label: 实地检查得分, type: decimal}
sections:
  - id: all
    title: 综合
    max: 100
    combine: weighted
    children:
      - {id: all.online, title: 网上检查, max: 100, weight: 0.8, rule: {kind: formula, points: online}}
      - {id: all.onsite, title: 实地检查, max: 100, weight: 0.2, rule: {kind: formula, points: onsite}}
""",
        total=100,
    )
    result = score(r, submission_with(r, "{online: 90, onsite: 71}"))
    assert pts(result, "all") == Decimal("86.2")  # 90×0.8 + 71×0.2


def test_parent_cap_lets_children_exceed():
    r = make(
        COUNT_FACTS
        + """
sections:
  - id: a
    title: 选做
    max: 5
    cap: true
    children:
      - {id: a.1, title: 一, max: 3, rule: {kind: condition, when: True}}
      - {id: a.2, title: 二, max: 3, rule: {kind: condition, when: True}}
""",
        total=5,
    )
    result = score(r, submission_with(r))
    assert pts(result, "a") == 5 and result.node("a").reason == "各子项得分之和 6，以本项满分 5 为限"


def test_missing_fact_scores_zero_as_data_missing():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 培训, max: 10, rule: {kind: condition, when: "n >= 1"}}
"""
    )
    result = score(r, submission_with(r))
    node = result.node("a")
    assert (node.points, node.status, node.reason) == (0, "data_missing", "缺少数据：数量（n），本项暂计 0 分")
    assert [m.id for m in result.missing_facts] == ["n"]
    assert result.missing_facts[0].feeds == ("a",)


def test_manual_item_takes_self_score_provisionally():
    r = make(
        COUNT_FACTS
        + """
sections:
  - id: a
    title: 工作
    max: 10
    children:
      - {id: a.1, title: 自动, max: 4, rule: {kind: condition, when: "n >= 1"}}
      - {id: a.2, title: 人工, max: 6, rule: {kind: manual, guidance: 查看会议记录}}
"""
    )
    own = score(r, submission_with(r, "{n: 1}", "{a.2: 5}"))
    assert (pts(own, "a.2"), own.node("a.2").status) == (5, "needs_review")
    assert own.node("a").status == "needs_review"
    # self-score only on the parent: the manual child gets the claimed remainder, no false over-claim
    parent = score(r, submission_with(r, "{n: 1}", "{a: 9}"))
    assert pts(parent, "a.2") == 5 and parent.differences == ()
    # but claiming more than the facts and the manual maximum allow is an over-claim
    over = score(r, submission_with(r, "{n: 0}", "{a: 9}"))
    assert [(d.id, d.difference, d.kind) for d in over.differences] == [("a", 3, "over")]


def test_self_audit_over_under_and_declared_total():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 培训, max: 6, rule: {kind: condition, when: "n >= 1"}}
  - {id: b, title: 达标, max: 4, rule: {kind: condition, when: ok}}
"""
    )
    text = submission_with(r, "{n: 0, ok: 是}", "{a: 6, b: 3}") + "self_total: 10\n"
    result = score(r, text)
    assert result.self_total == 9
    assert [(d.id, d.difference, d.kind) for d in result.differences] == [("a", 6, "over"), ("b", -1, "under")]
    assert [f.message for f in result.findings] == ["自评总分填写为 10 分，但各项自评分合计为 9 分"]


def test_self_score_without_supporting_data_is_unsupported_not_over():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 培训, max: 10, rule: {kind: condition, when: "n >= 1"}}
"""
    )
    result = score(r, submission_with(r, "{}", "{a: 10}"))
    assert [(d.id, d.kind) for d in result.differences] == [("a", "unsupported")]


def test_consistency_checks_report_both_sides_and_skip_blanks():
    r = make("""
facts:
  - {id: received, label: 收到申请数, type: count}
  - {id: in_person, label: 当面申请数, type: count}
  - {id: online, label: 网络申请数, type: count}
sections:
  - {id: a, title: 工作, max: 10, rule: {kind: condition, when: True}}
checks:
  - id: channels
    title: 申请渠道合计
    expect: received == in_person + online
    message: 收到申请数 {received} 件，但各渠道合计 {right} 件
""")
    bad = score(r, submission_with(r, "{received: 39, in_person: 2, online: 27}"))
    assert [(f.rule, f.severity, f.message, f.left, f.right) for f in bad.findings] == [
        ("channels", "error", "收到申请数 39 件，但各渠道合计 29 件", 39, 29)
    ]
    assert bad.has_errors
    assert score(r, submission_with(r, "{received: 29, in_person: 2, online: 27}")).findings == ()
    assert score(r, submission_with(r, "{received: 39, in_person: 2}")).findings == ()  # blank: no false alarm


def test_foreach_expands_checks_per_column():
    r = make("""
facts:
  - {id: total_a, label: 总计（甲）, type: count}
  - {id: x_a, label: 分项（甲）, type: count}
  - {id: total_b, label: 总计（乙）, type: count}
  - {id: x_b, label: 分项（乙）, type: count}
sections:
  - {id: a, title: 工作, max: 10, rule: {kind: condition, when: True}}
checks:
  - id: sum_{col}
    foreach: {col: {a: 甲, b: 乙}}
    expect: total_{col} == x_{col}
    message: "{col.label}列：总计 {left} ≠ 分项 {right}"
""")
    result = score(r, submission_with(r, "{total_a: 1, x_a: 1, total_b: 3, x_b: 2}"))
    assert [(f.rule, f.message) for f in result.findings] == [("sum_b", "乙列：总计 3 ≠ 分项 2")]


def test_rule_failure_is_a_node_error_not_a_crash():
    r = make(
        COUNT_FACTS
        + """
sections:
  - {id: a, title: 比例, max: 10, rule: {kind: formula, points: "10 / n"}}
"""
    )
    result = score(r, submission_with(r, "{n: 0}"))
    assert result.node("a").status == "error"
    assert result.findings[0].message.startswith("评分细则 rubric.yaml:")
    assert "除数为零" in result.findings[0].message


def test_node_order_in_yaml_does_not_change_scores():
    body = """
sections:
  - id: s
    title: 工作
    max: 10
    children:
%s
"""
    kids = [
        '      - {id: s.a, title: 甲, max: 4, rule: {kind: condition, when: "n >= 1"}}',
        "      - {id: s.b, title: 乙, max: 6, rule: {kind: per_item, count: n, each: 2}}",
    ]
    one = make(COUNT_FACTS + body % "\n".join(kids))
    two = make(COUNT_FACTS + body % "\n".join(reversed(kids)))
    a = score(one, submission_with(one, "{n: 2}"))
    b = score(two, submission_with(two, "{n: 2}"))
    assert {n.id: n.points for n in a.nodes} == {n.id: n.points for n in b.nodes}
