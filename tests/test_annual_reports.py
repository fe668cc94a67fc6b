"""The annual-report rubrics: identities I1–I4, softer warnings, content and deadlines, the
scored sections, and the worked examples in examples/reports/ (seeds 000–004 and two invented
unified-format reports). Each finding is pinned by its exact message: the column, the row and
both sides of the equation are what an evaluator reads."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT

from scoring.engine import evaluate
from scoring.rubric import load_rubric
from scoring.submission import submission_from_text

EXAMPLES = ROOT / "examples" / "reports"
GENERATOR = ROOT / "rubrics" / "tools" / "gen_annual_reports.py"


@cache
def rubric(ident: str):
    return load_rubric(ROOT / "rubrics" / f"{ident}.yaml")


def example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def with_facts(text: str, **changes: object) -> str:
    """Replace the value of ``fact:`` lines (keeping their comments)."""
    for fact, value in changes.items():
        text, count = re.subn(rf"^(  {fact}:) [^#\n]*", lambda m, v=value: f"{m.group(1)} {v} ", text, flags=re.M)
        assert count == 1, fact
    return text


def score(text: str):
    ident = re.search(r"^rubric: \{id: ([\w-]+)", text, re.M).group(1)
    submission, missing = submission_from_text(text, rubric(ident), "example.yaml")
    assert missing == []
    return evaluate(rubric(ident), submission)


def findings(result) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity, f.message) for f in result.findings]


CONSISTENT = example("example-2021.yaml")


def test_generated_rubrics_are_up_to_date(tmp_path: Path):
    import runpy

    module = runpy.run_path(str(GENERATOR))
    assert module["main"](["--check"]) == 0, "run rubrics/tools/gen_annual_reports.py"
    assert module["main"](["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "annual-report-2008.yaml",
        "annual-report-2019.yaml",
        "annual-report-2021.yaml",
    ]


def test_rubrics_load_with_their_tables():
    r21, r19, r08 = rubric("annual-report-2021"), rubric("annual-report-2019"), rubric("annual-report-2008")
    assert sum(f.id.startswith("t3_") for f in r21.facts) == 25 * 7
    assert sum(f.id.startswith("t3_") for f in r19.facts) == 23 * 7  # （六）其他处理 is one row
    assert r21.fact_index["t3_new_natural"].label == "一、本年新收政府信息公开申请数量（自然人）"
    assert r21.fact_index["t2_fees_amount"].type == "decimal"
    assert r19.fact_index["t2_services_change"].type == "integer"  # 本年增/减 may be negative
    assert [c.id for c in r21.checks if c.id.startswith("I1.")] == [
        "I1.natural",
        "I1.commercial",
        "I1.research",
        "I1.nonprofit",
        "I1.legal",
        "I1.org_other",
        "I1.total",
    ]
    assert all(c.severity == "error" for c in r21.checks if re.match(r"I\d\.", c.id))
    assert r08.fact_index["requests_received"].unit == "件"
    assert (r21.years, r19.years, r08.years) == ((2021, None), (2019, 2020), (2008, 2018))


# -- the consistent example: no false alarms ------------------------------------------------------


def test_complete_consistent_2021_report_has_no_finding():
    result = score(CONSISTENT)
    assert result.findings == ()
    assert result.missing_facts == ()
    assert (result.final, result.grade) == (100, "优秀")


# -- each identity breaking --------------------------------------------------------------------


def test_i1_new_plus_carry_equals_total_plus_next():
    # one request moved from 商业企业 to 自然人 in row 一 only: row 一 still adds up (I3), columns do not
    result = score(with_facts(CONSISTENT, t3_new_natural=19, t3_new_commercial=3))
    assert findings(result) == [
        (
            "I1.natural",
            "error",
            "表三“自然人”列：一、本年新收 19 ＋ 二、上年结转 2 ＝ 21，"
            "但 三（七）总计 19 ＋ 四、结转下年度继续办理 1 ＝ 20，两边应相等（I1）",
        ),
        (
            "I1.commercial",
            "error",
            "表三“商业企业”列：一、本年新收 3 ＋ 二、上年结转 0 ＝ 3，"
            "但 三（七）总计 4 ＋ 四、结转下年度继续办理 0 ＝ 4，两边应相等（I1）",
        ),
    ]
    assert (result.findings[0].left, result.findings[0].right) == (21, 20)


def test_i2_total_equals_sum_of_outcomes():
    # 予以公开 moved between columns: the row still adds up, the two columns' outcomes do not
    result = score(with_facts(CONSISTENT, t3_open_natural=7, t3_open_commercial=0))
    assert findings(result) == [
        (
            "I2.natural",
            "error",
            "表三“自然人”列：三（七）总计 19，但（一）予以公开至（六）其他处理各项之和为 20，两边应相等（I2）",
        ),
        (
            "I2.commercial",
            "error",
            "表三“商业企业”列：三（七）总计 4，但（一）予以公开至（六）其他处理各项之和为 3，两边应相等（I2）",
        ),
    ]


def test_i3_total_column_equals_applicant_columns():
    # a case counted under the wrong reason in the 总计 column only
    result = score(with_facts(CONSISTENT, t3_deny_process_total=2, t3_deny_third_party_total=0))
    assert findings(result) == [
        (
            "I3.deny_third_party",
            "error",
            "表三“三（三）不予公开 4.保护第三方合法权益”行：总计 0，"
            "但自然人与商业企业、科研机构、社会公益组织、法律服务机构、其他各列之和为 1，两边应相等（I3）",
        ),
        (
            "I3.deny_process",
            "error",
            "表三“三（三）不予公开 6.属于四类过程性信息”行：总计 2，"
            "但自然人与商业企业、科研机构、社会公益组织、法律服务机构、其他各列之和为 1，两边应相等（I3）",
        ),
    ]


def test_i4_table_four_totals():
    result = score(with_facts(CONSISTENT, t4_review_pending=0))
    assert findings(result) == [
        (
            "I4.review",
            "error",
            "表四“行政复议”：总计 2，但结果维持 1 ＋ 结果纠正 0 ＋ 其他结果 0 ＋ 尚未审结 0 ＝ 1，两边应相等（I4）",
        ),
    ]


def test_identity_errors_cost_points():
    result = score(with_facts(CONSISTENT, t4_review_pending=0, t3_new_natural=19, t3_new_commercial=3))
    node = result.node("accurate")
    assert (node.points, result.final) == (15, 85)
    assert node.reason == "表内计算关系（I1–I4）不成立，每处 3 处 × 5 分 = 扣 15 分。满分 30 − 15 = 15 分"


# -- blank cells -------------------------------------------------------------------------------


def test_blank_cell_is_flagged_not_taken_as_zero():
    result = score(with_facts(CONSISTENT, t3_deny_law_legal="~"))
    # the identities over that column and row are skipped (no false alarm); the blank itself is flagged
    assert findings(result) == [
        (
            "blank.t3.deny_law.legal",
            "warning",
            "表三“三（三）不予公开 2.其他法律行政法规禁止公开”行“法律服务机构”列空白："
            "空白表示未填报，不等于 0；没有发生的应填 0",
        ),
    ]
    assert result.node("accurate").points == Decimal("29.5")


def test_a_table_not_reported_at_all_is_one_warning():
    text = re.sub(r"^  t3_\w+: \d+ ", lambda m: m.group().split(":")[0] + ": ~ ", CONSISTENT, flags=re.M)
    result = score(text)
    assert findings(result) == [
        (
            "table.t3",
            "warning",
            "表三（收到和处理政府信息公开申请情况）整张未填报（或未录入）；统一格式要求逐项填报，没有发生的填 0",
        ),
    ]


# -- softer checks ------------------------------------------------------------------------------


def test_rules_reported_by_a_county_body():
    result = score(with_facts(CONSISTENT, t2_rules_made=1, t2_rules_valid=1))
    assert findings(result) == [
        ("rules_level.made", "warning", "县级和乡镇级机关没有规章制定权，表二“规章”的“本年制发件数”应为 0，报告填为 1"),
        (
            "rules_level.valid",
            "warning",
            "县级和乡镇级机关没有规章制定权，表二“规章”的“现行有效件数”应为 0，报告填为 1",
        ),
    ]
    city = score(with_facts(CONSISTENT, t2_rules_made=1, t2_rules_valid=1, body_level='"地市级"'))
    assert city.findings == ()


def test_carry_over_against_last_years_report():
    result = score(with_facts(CONSISTENT, prev_t3_next_natural=3, prev_t3_next_total=3))
    assert [(f.rule, f.message) for f in result.findings] == [
        ("carry.natural", "表三“自然人”列：二、上年结转 2 件，但上年报告的“四、结转下年度继续办理”为 3 件"),
        ("carry.total", "表三“总计”列：二、上年结转 2 件，但上年报告的“四、结转下年度继续办理”为 3 件"),
    ]
    assert {f.severity for f in result.findings} == {"warning"}


def test_valid_documents_follow_last_year():
    result = score(with_facts(CONSISTENT, prev_t2_normative_valid=11))
    assert findings(result) == [
        (
            "valid.normative",
            "warning",
            "表二“行政规范性文件”现行有效 12 件，但上年现行有效 11 ＋ 本年制发 3 － 本年废止 1 ＝ 13 件",
        ),
    ]


def test_narrative_figures_against_tables():
    result = score(with_facts(CONSISTENT, narrative_requests_new=25, narrative_suit_total=0))
    assert findings(result) == [
        (
            "narrative.requests_new",
            "warning",
            "正文称本年新收政府信息公开申请 25 件，但表三“一、本年新收政府信息公开申请数量”总计为 23 件",
        ),
        ("narrative.suit", "warning", "正文称政府信息公开行政诉讼 0 件，但表四两类行政诉讼总计之和为 1 件"),
    ]


# -- content and timeliness -----------------------------------------------------------------------

DEADLINE_NOTE = "（2019年条例施行后，县级以上人民政府部门为次年1月31日、人民政府为次年3月31日；此前均为次年3月31日）"


def test_department_deadline_is_january_31_under_the_2019_regulation():
    late = score(with_facts(CONSISTENT, published='"2023-02-01"'))
    assert findings(late) == [("deadline", "error", "报告于 2023-02-01 发布，晚于法定期限 2023-01-31" + DEADLINE_NOTE)]
    assert late.node("timely").points == 10  # within 30 days of the deadline
    assert score(with_facts(CONSISTENT, published='"2023-03-05"')).node("timely").points == 0


def test_government_deadline_is_march_31():
    gov = with_facts(
        CONSISTENT,
        body_kind='"人民政府"',
        parts_present=(
            '["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", '
            '"四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项", '
            '"工作考核、社会评议和责任追究结果情况"]'
        ),
    )
    assert score(with_facts(gov, published='"2023-03-31"')).findings == ()
    assert findings(score(with_facts(gov, published='"2023-04-01"'))) == [
        ("deadline", "error", "报告于 2023-04-01 发布，晚于法定期限 2023-03-31" + DEADLINE_NOTE)
    ]


def test_before_2019_every_body_had_until_march_31():
    seed = example("003-luoyang-fgw-2018.yaml")  # a 2018 department report, published 2019-03-05
    assert "deadline" not in [f.rule for f in score(seed).findings]
    late = score(with_facts(seed, published='"2019-04-02"'))
    assert ("deadline", "error", "报告于 2019-04-02 发布，晚于法定期限 2019-03-31" + DEADLINE_NOTE) in findings(late)


def test_government_report_must_include_assessment_results():
    result = score(with_facts(CONSISTENT, body_kind='"人民政府"'))
    assert findings(result) == [
        (
            "part.assessment",
            "error",
            "各级人民政府的年度报告还应当包括工作考核、社会评议和责任追究结果情况（2019年条例第五十条第四项），报告中未见",
        ),
    ]
    assert result.node("complete").points == Decimal("21.4")  # 6 of 7 parts


def test_missing_part_and_missing_date():
    text = with_facts(
        CONSISTENT,
        published="~",
        parts_present='["一、总体情况", "二、主动公开政府信息情况", '
        '"三、收到和处理政府信息公开申请情况", "五、存在的主要问题及改进情况"]',
    )
    assert findings(score(text)) == [
        (
            "part.review",
            "error",
            "报告缺少2019年条例第五十条和统一格式规定的内容：“四、政府信息公开行政复议、行政诉讼情况”",
        ),
        ("part.other", "warning", "报告没有“六、其他需要报告的事项”部分；没有需要报告的事项也宜写明“无”"),
        ("published_missing", "warning", "未能确定报告的发布日期（页面未注明），无法核对是否按期公布"),
    ]


def test_year_outside_the_rubrics_range_is_a_warning():
    text = re.sub(r"^year: 2022", "year: 2018", CONSISTENT, flags=re.M)
    assert [(f.rule, f.message) for f in score(text).findings] == [
        ("year", "材料的考核年度为 2018 年，而评分细则适用于 2021 年及以后，请确认所用细则是否正确")
    ]


# -- the worked examples -------------------------------------------------------------------------

EXPECTED = {
    # seed 000: no request count, no 其他事项, no publication date; categories add up (2100)
    "000-suizhou-zjw-2017.yaml": (
        60.8,
        [("reported.requests_received", "warning"), ("part.other", "warning"), ("published_missing", "warning")],
    ),
    # seed 001 (统计表): website 45 > total 30; narrative says no requests, table 2; two blank rows
    "001-otqq-zjj-2017.yaml": (
        37,
        [
            ("I.channel.website", "error"),
            ("narrative.requests_received", "warning"),
            ("blank.reading_points", "warning"),
            ("blank.special_funds", "warning"),
            ("published_missing", "warning"),
        ],
    ),
    # seed 002: no fees part, no count of proactive disclosure
    "002-jingyu-zjj-2010.yaml": (
        76.7,
        [("reported.published_total", "warning"), ("part.fees", "error"), ("part.other", "warning")],
    ),
    # seed 003: requests 39 vs 29, categories 845 vs 1376, 微博 1920 vs 433
    "003-luoyang-fgw-2018.yaml": (
        73.8,
        [
            ("I.requests_channels", "error"),
            ("I.categories", "error"),
            ("narrative.published_weibo", "warning"),
            ("part.other", "warning"),
        ],
    ),
    # seed 004: no 复议/诉讼 part
    "004-shashi-qzf-2018.yaml": (81.7, [("part.review", "error"), ("part.other", "warning")]),
    "example-2019.yaml": (
        79,
        [
            ("I1.total", "error"),
            ("I2.total", "error"),
            ("I3.total", "error"),
            ("carry.natural", "warning"),
            ("carry.total", "warning"),
            ("rules_level.public_total", "warning"),
        ],
    ),
    "example-2021.yaml": (100, []),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_find_the_real_problems_and_nothing_else(name):
    result = score(example(name))
    final, expected = EXPECTED[name]
    assert [(f.rule, f.severity) for f in result.findings] == expected
    assert result.final == Decimal(str(final))


def test_seed_003_messages_name_both_sides():
    messages = [f.message for f in score(example("003-luoyang-fgw-2018.yaml")).findings]
    assert messages[:3] == [
        "收到政府信息公开申请 39 件，但所列各渠道合计 29 件（当面（未填写）、传真（未填写）、网络2、信函27；未写明的渠道按 0 计）",
        "主动公开政府信息 1376 条，但按类别列出的各类合计 845 条，两者应相等",
        "正文一处所述政务微博发布信息 1920 条，与另一处（主动公开或依申请公开情况部分、统计表）的 433 条不一致",
    ]


def test_seed_001_website_above_deduplicated_total():
    first = score(example("001-otqq-zjj-2017.yaml")).findings[0]
    assert first.message == (
        "通过门户网站公开 45 条，多于主动公开政府信息总数 30 条"
        "（总数按“不同渠道发相同信息计1条”去重，任一渠道都不应超过总数）"
    )


def test_example_2019_one_typo_breaks_three_identities():
    messages = {f.rule: f.message for f in score(example("example-2019.yaml")).findings}
    assert messages["I1.total"] == (
        "表三“总计”列：一、本年新收 8 ＋ 二、上年结转 0 ＝ 8，"
        "但 三（七）总计 9 ＋ 四、结转下年度继续办理 0 ＝ 9，两边应相等（I1）"
    )
    assert (
        messages["I2.total"]
        == "表三“总计”列：三（七）总计 9，但（一）予以公开至（六）其他处理各项之和为 8，两边应相等（I2）"
    )
    assert messages["I3.total"] == (
        "表三“三（七）总计”行：总计 9，但自然人与商业企业、科研机构、社会公益组织、"
        "法律服务机构、其他各列之和为 8，两边应相等（I3）"
    )


def test_examples_rank_like_self_assessments():
    ranked = sorted(EXPECTED, key=lambda n: -score(example(n)).final)
    assert ranked[0] == "example-2021.yaml" and ranked[-1] == "001-otqq-zjj-2017.yaml"
