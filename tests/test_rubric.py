"""Loading a rubric reports every problem at once, each with file:line:column."""

from __future__ import annotations

import textwrap

import pytest

from scoring.errors import RubricError
from scoring.rubric import rubric_from_text

GOOD = """\
rubric:
  id: demo
  version: "1"
  title: 示例细则
  year: 2024
  total: 10
  grades: [{name: 合格, min: 6}, {name: 不合格, min: 0}]
facts:
  - group: stats
    label: 统计表
    facts:
      - {id: received, label: 收到申请数, type: count, unit: 件, required: true}
      - {id: in_person, label: 当面申请数, type: count}
sections:
  - id: a
    title: 依申请公开
    max: 10
    children:
      - {id: a.1, text: 有申请, max: 4, rule: {kind: condition, when: "received >= 1"}}
      - {id: a.2, text: 当面, max: 6, rule: {kind: condition, when: "in_person >= 1"}}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(RubricError) as info:
        rubric_from_text(textwrap.dedent(text), "r.yaml")
    return [str(p) for p in info.value.problems]


def test_good_rubric_loads_with_index_and_hash():
    rubric = rubric_from_text(GOOD, "r.yaml")
    assert [n.id for n in rubric.all_nodes()] == ["a", "a.1", "a.2"]
    assert rubric.parents == {"a.1": "a", "a.2": "a"}
    assert [g.id for g in rubric.groups] == ["stats"]
    assert rubric.fact_index["received"].label == "收到申请数"
    assert len(rubric.sha256) == 64


def test_schema_errors_are_located_and_suggest_fixes():
    text = GOOD.replace("required: true", "requried: true").replace("max: 4,", 'max: "4",')
    assert problems(text) == [
        "r.yaml:12:60: 字段 facts[0].facts[0].requried：不认识的名称“requried”；是不是“required”？",
        "r.yaml:19:35: 字段 sections[0].children[0].max：应为数字，实际为文字“4”",
    ]


def test_semantic_errors_are_all_reported_in_file_order():
    text = GOOD.replace("total: 10", "total: 12").replace("min: 0}", "min: 1}")
    text = text.replace('"received >= 1"', '"recieved >= 1"').replace("id: a.2", "id: a.1")
    text = text.replace("{id: in_person,", "{id: received,")
    assert problems(text) == [
        "r.yaml:6:10: 字段 rubric.total：基础总分写为 12，但各一级指标满分之和为 10",
        "r.yaml:7:49: 字段 rubric.grades[1].min：最后一档的 min 应为 0，否则低分无等次可评",
        "r.yaml:13:14: 字段 facts[0].facts[1].id（当面申请数）：事实编号“received”重复（第一次在第 12 行）",
        "r.yaml:19:68: 字段 sections[0].children[0].rule.when：表达式“recieved >= 1”有误：引用了未声明的事实“recieved”；是不是“received”？（第 1 个字符附近）",
        "r.yaml:20:14: 字段 sections[0].children[1].id：节点编号“a.1”重复（第一次在第 19 行）",
        "r.yaml:20:67: 字段 sections[0].children[1].rule.when：表达式“in_person >= 1”有误：引用了未声明的事实“in_person”（第 1 个字符附近）",
    ]


def test_children_must_add_up_unless_parent_caps():
    text = GOOD.replace("max: 6, rule", "max: 5, rule").replace("total: 10", "total: 10")
    assert problems(text) == [
        "r.yaml:17:10: 字段 sections[0].max（依申请公开）：本项满分 10，但子项满分之和为 9；如果本项是“得分封顶”，请加 cap: true",
    ]
    capped = GOOD.replace("max: 6, rule", "max: 7, rule").replace(
        "    title: 依申请公开\n", "    title: 依申请公开\n    cap: true\n"
    )
    assert rubric_from_text(capped, "r.yaml").node_index["a"].cap


def test_leaf_needs_rule_and_parent_must_not_have_one():
    text = GOOD.replace(', rule: {kind: condition, when: "in_person >= 1"}', "")
    text = text.replace("    title: 依申请公开\n", "    title: 依申请公开\n    rule: {kind: manual}\n")
    assert problems(text) == [
        "r.yaml:17:11: 字段 sections[0].rule（依申请公开）：有子项的节点不能再有 rule；请把规则放到子项上",
        "r.yaml:21:9: 字段 sections[0].children[1]（当面）：末级评分标准必须有 rule（评分规则）",
    ]


def test_rule_points_cannot_exceed_node_max():
    text = GOOD.replace(
        '{kind: condition, when: "in_person >= 1"}',
        "{kind: scale, value: in_person, levels: {优: 7, 差: 0}}",
    )
    assert problems(text) == [
        "r.yaml:20:87: 字段 sections[0].children[1].rule.levels.优：等级“优”的分值 7 超过本项满分 6"
    ]


def test_expression_syntax_error_is_reported_at_the_expression():
    text = GOOD.replace('"received >= 1"', '"received >= "')
    assert problems(text) == [
        "r.yaml:19:68: 字段 sections[0].children[0].rule.when：表达式“received >=”有误：语法错误：表达式不完整（结尾缺少内容）"
    ]


def test_grades_must_descend():
    text = GOOD.replace(
        "[{name: 合格, min: 6}, {name: 不合格, min: 0}]",
        "[{name: 合格, min: 0}, {name: 优秀, min: 9}, {name: 差, min: 0}]",
    )
    assert problems(text) == [
        "r.yaml:7:48: 字段 rubric.grades[1].min：等次应从高到低排列，分数线逐档降低",
    ]


def test_a_grade_band_above_the_reachable_total_is_refused():
    """Before: accepted silently, so no body could ever be graded 优秀."""
    text = GOOD.replace(
        "[{name: 合格, min: 6}, {name: 不合格, min: 0}]", "[{name: 优秀, min: 90}, {name: 合格, min: 0}]"
    )
    assert problems(text) == [
        "r.yaml:7:28: 字段 rubric.grades[0].min：等次“优秀”的分数线 90 超过可得的最高分 10 分，这一等次永远评不上；"
        "请核对分数线和总分（total）",
    ]


def test_a_grade_band_reachable_only_with_bonus_is_accepted_when_grading_the_final_score():
    bonus = 'bonus:\n  - {id: b, title: 加分, max: 2, rule: {kind: condition, when: "received >= 9"}}\n'
    text = GOOD.replace(
        "[{name: 合格, min: 6}, {name: 不合格, min: 0}]", "[{name: 优秀, min: 11}, {name: 合格, min: 0}]"
    )
    rubric_from_text(textwrap.dedent(text + bonus), "r.yaml")
    on_base = text.replace("  total: 10\n", "  total: 10\n  grade_on: base\n")
    assert problems(on_base + bonus) == [
        "r.yaml:8:28: 字段 rubric.grades[0].min：等次“优秀”的分数线 11 超过可得的最高分 10 分，这一等次永远评不上；"
        "请核对分数线和总分（total）",
    ]


def test_weighted_children_need_weights_summing_to_one():
    text = GOOD.replace("    title: 依申请公开\n", "    title: 依申请公开\n    combine: weighted\n")
    text = text.replace("max: 4, rule", "max: 10, weight: 0.5, rule").replace(
        "max: 6, rule", "max: 10, weight: 0.4, rule"
    )
    assert problems(text) == ["r.yaml:17:14: 字段 sections[0].combine（依申请公开）：子项权重之和应为 1，实际为 0.9"]


def _foreach_rubric(sizes: list[int]) -> str:
    loops = ", ".join(f"v{k}: [{', '.join(f'x{j}' for j in range(n))}]" for k, n in enumerate(sizes))
    ids = ".".join(f"{{v{k}}}" for k in range(len(sizes)))
    return GOOD + f"checks:\n  - id: c.{ids}\n    foreach: {{{loops}}}\n    expect: received >= 0\n    message: 检查\n"


def test_foreach_expansions_are_capped_at_load_with_the_limit_named():
    """Before: 3 variables x 120 values were expanded into 1,728,000 checks (85 s, 3 GB, internal error)."""
    assert problems(_foreach_rubric([120, 120, 120])) == [
        "r.yaml:23:14: 字段 checks[0].foreach：foreach 展开后有 1,728,000 条校验规则，超过每条 1,000 条的上限；"
        "请减少取值，或拆成几条不同的校验规则"
    ]


def test_foreach_up_to_the_limit_is_expanded():
    rubric = rubric_from_text(_foreach_rubric([10, 10, 10]), "r.yaml")
    assert len(rubric.checks) == 1000
    assert rubric.checks[-1].id == "c.x9.x9.x9"
