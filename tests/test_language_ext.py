"""Language extension: scoring rules may count failed consistency checks (``failed_checks``).

Real rubrics score "数据准确" (figures consistent) by deducting per inconsistency found;
the checks already find them, so a rule counts them instead of restating every identity.
"""

from __future__ import annotations

import pytest
from conftest import rubric_yaml, score, submission_with

from scoring.errors import RubricError
from scoring.expr import CHECK_RESULTS, CompileError, EvalError, compile_expression

RUBRIC = """
rubric: {id: t, version: "1", title: 测试, year: 2024, total: 10, grades: [{name: 合格, min: 6}, {name: 不合格, min: 0}]}
facts:
  - {id: total, label: 总数, type: count}
  - {id: a, label: 甲, type: count}
  - {id: b, label: 乙, type: count}
  - {id: note, label: 说明, type: text}
sections:
  - id: accurate
    title: 数据准确
    max: 10
    rule:
      kind: deduction
      items:
        - {label: 每处计算错误, count: 'failed_checks("sum.*")', per: 3}
        - {label: 每处提醒, count: 'failed_checks("*", "warning")', per: 1}
checks:
  - {id: sum.a, expect: total >= a, message: "甲 {a} 大于总数 {total}"}
  - {id: sum.b, expect: total >= b, message: "乙 {b} 大于总数 {total}"}
  - {id: note, severity: warning, expect: filled(note), message: 未填写说明}
"""


def test_rule_deducts_per_failed_check_and_counts_only_failures():
    r = rubric_yaml(RUBRIC)
    clean = score(r, submission_with(r, "{total: 5, a: 1, b: 2, note: 有}"))
    assert (clean.node("accurate").points, clean.findings) == (10, ())
    two = score(r, submission_with(r, "{total: 1, a: 2, b: 3}"))
    assert two.node("accurate").points == 3  # 10 - 2×3 - 1×1
    assert two.node("accurate").reason == (
        "每处计算错误 2 处 × 3 分 = 扣 6 分；每处提醒 1 处 × 1 分 = 扣 1 分。满分 10 − 7 = 3 分"
    )
    # the checks' own findings are still reported, in rubric order
    assert [f.rule for f in two.findings] == ["sum.a", "sum.b", "note"]


def test_checks_skipped_over_blank_facts_are_not_failures():
    r = rubric_yaml(RUBRIC)
    result = score(r, submission_with(r, "{a: 2, note: 有}"))  # total blank: both sums skipped
    assert (result.node("accurate").points, result.findings) == (10, ())


def test_pattern_that_matches_no_check_is_a_rubric_error():
    with pytest.raises(RubricError) as err:
        rubric_yaml(RUBRIC.replace('failed_checks("sum.*")', 'failed_checks("sums.*")'))
    assert "没有匹配任何校验规则编号" in str(err.value)
    assert 'failed_checks("sums.*")' in str(err.value)


def test_checks_may_not_count_checks():
    text = RUBRIC.replace("expect: filled(note)", 'expect: failed_checks("sum.*") == 0')
    with pytest.raises(RubricError) as err:
        rubric_yaml(text)
    assert "校验规则中不能使用 failed_checks()" in str(err.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "failed_checks(a)",
            '写法应为 failed_checks("编号模式") 或 failed_checks("编号模式", "error")，参数须为文字常量',
        ),
        ('failed_checks("x", "fatal")', 'failed_checks() 的级别应为 "error" 或 "warning"，不是“fatal”'),
        ('failed_check("x")', "未知函数“failed_check”；是不是“failed_checks”？"),
    ],
)
def test_compile_errors_name_the_right_shape(source, message):
    with pytest.raises(CompileError) as err:
        compile_expression(source, {"a"})
    assert err.value.message == message


def test_without_check_outcomes_the_function_refuses():
    expression = compile_expression('failed_checks("*")')
    assert expression.check_patterns == frozenset({"*"})
    with pytest.raises(EvalError):
        expression.evaluate({})
    outcomes = {"x.1": ("error", True), "x.2": ("warning", True), "y": ("error", False)}
    assert expression.evaluate({CHECK_RESULTS: outcomes}) == 2
    assert compile_expression('failed_checks("x.*", "error")').evaluate({CHECK_RESULTS: outcomes}) == 1


# -- rubric.years: a rubric that applies to several years ------------------------------------------

YEARS = """
rubric: {id: t, version: "1", title: 测试, year: 2008, %s total: 10, grades: [{name: 合格, min: 0}]}
facts:
  - {id: n, label: 数量, type: count}
sections:
  - {id: a, title: 工作, max: 10, rule: {kind: condition, when: "n >= 1"}}
"""


def _year_findings(years: str, year: int) -> list[str]:
    r = rubric_yaml(YEARS % years)
    text = submission_with(r, "{n: 1}").replace("year: 2024", f"year: {year}")
    return [f.message for f in score(r, text).findings]


def test_without_years_the_rubric_applies_to_its_own_year_only():
    assert _year_findings("", 2008) == []
    assert _year_findings("", 2017) == ["材料的考核年度为 2017 年，而评分细则适用于 2008 年，请确认所用细则是否正确"]


def test_years_range_and_open_end():
    assert _year_findings("years: {from: 2008, to: 2018},", 2017) == []
    assert _year_findings("years: {from: 2008, to: 2018},", 2019) == [
        "材料的考核年度为 2019 年，而评分细则适用于 2008–2018 年，请确认所用细则是否正确"
    ]
    assert _year_findings("years: {from: 2021},", 2030) == []
    assert _year_findings("years: {from: 2021},", 2020) == [
        "材料的考核年度为 2020 年，而评分细则适用于 2021 年及以后，请确认所用细则是否正确"
    ]


def test_years_must_run_forwards():
    with pytest.raises(RubricError) as err:
        rubric_yaml(YEARS % "years: {from: 2018, to: 2008},")
    assert "适用年度范围的截止年度 2008 早于起始年度 2018" in str(err.value)
