"""Submission loading: typing of every fact kind and the exact messages for wrong values."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from scoring.editor import schema_text
from scoring.errors import InputError, SubmissionError
from scoring.rubric import load_rubric
from scoring.submission import submission_from_text, submission_schema
from scoring.validation import make_validator

RUBRIC = load_rubric(Path(__file__).resolve().parent / "hostile" / "rubric.yaml")
HEAD = 'rubric: {id: hostile-fixture, version: "1.0"}\nagency: {name: 测试局}\nyear: 2024\n'


def load(text: str):
    return submission_from_text(text, RUBRIC, "s.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(SubmissionError) as info:
        load(text)
    return [str(p) for p in info.value.problems]


def test_every_fact_kind_is_typed():
    submission, missing = load(
        HEAD
        + "facts:\n"
        + "  meetings: 2\n  rate: 95.50\n  has_plan: 是\n  plan_date: 2024-02-01\n"
        + "  level: 好\n  channels: [网站, 微信]\n  note: 010\n"
        + "self_scores: {org.meet: 3.5, org.plan: ~}\n"
    )
    assert missing == []
    assert submission.facts == {
        "meetings": 2,
        "rate": Decimal("95.50"),
        "has_plan": True,
        "plan_date": dt.date(2024, 2, 1),
        "level": "好",
        "channels": ("网站", "微信"),
        "note": "010",
    }
    assert str(submission.facts["rate"]) == "95.50"
    assert submission.self_scores == {"org.meet": Decimal("3.5")}


@pytest.mark.parametrize(("written", "expected"), [("是", True), ("否", False), ("true", True), ("false", False)])
def test_yes_no_facts_accept_chinese_and_true_false(written, expected):
    submission, _ = load(HEAD + f"facts:\n  meetings: 1\n  has_plan: {written}\n")
    assert submission.facts["has_plan"] is expected


@pytest.mark.parametrize("written", ["yes", "no", "NO", "Y", "1", "0", "是的", "'true'", "对"])
def test_other_yes_no_words_are_refused_listing_the_accepted_forms(written):
    shown = written.strip("'")
    kind = "数字 " + shown if shown.isdigit() else f"文字“{shown}”"
    assert problems(HEAD + f"facts:\n  meetings: 1\n  has_plan: {written}\n") == [
        f"s.yaml:6:13: 字段 facts.has_plan（是否印发年度工作要点）：应为以下之一：true、false、是、否；实际为{kind}"
    ]


def test_blank_facts_count_as_not_filled_and_required_ones_are_reported_at_their_placeholder():
    submission, missing = load(HEAD + "facts:\n  meetings:\n  note: ''\n  rate: 80\n")
    assert submission.facts == {"rate": Decimal("80")}
    assert [str(p) for p in missing] == [
        "s.yaml:5:3: 字段 facts.meetings（召开专题会议次数）：必填项“召开专题会议次数”（统计表第 5 行）没有填写"
    ]


def test_a_required_fact_not_written_at_all_is_reported_at_the_facts_key():
    _, missing = load(HEAD + "facts:\n  rate: 80\n")
    assert [str(p) for p in missing] == [
        "s.yaml:4:1: 字段 facts.meetings（召开专题会议次数）：必填项“召开专题会议次数”（统计表第 5 行）没有填写"
    ]


def test_type_errors_and_missing_required_facts_come_in_one_round():
    assert problems(HEAD + "facts:\n  meetings: ~\n  rate: 九十\n") == [
        "s.yaml:5:3: 字段 facts.meetings（召开专题会议次数）：必填项“召开专题会议次数”（统计表第 5 行）没有填写",
        "s.yaml:6:9: 字段 facts.rate（按时答复率）：应为数字，实际为文字“九十”",
    ]


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ("meetings: -3", "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应不小于 0，实际为 -3"),
        ("meetings: 三十", "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应为整数，实际为文字“三十”"),
        ("meetings: 2.5", "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应为整数，实际为数字 2.5"),
        (
            "meetings: 010",
            "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：数字前面多了 0：请写成 10，不要写成 010",
        ),
        ("meetings: true", "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应为整数，实际为是/否值 是"),
        ("meetings: [1]", "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应为整数，实际为列表"),
        (
            "meetings: 1000000000001",
            "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应不大于 1000000000000，实际为 1000000000001",
        ),
        ("rate: 100.5", "s.yaml:5:9: 字段 facts.rate（按时答复率）：应不大于 100，实际为 100.5"),
        ("rate: 95%", "s.yaml:5:9: 字段 facts.rate（按时答复率）：应为数字，实际为文字“95%”"),
        ("rate: 九十", "s.yaml:5:9: 字段 facts.rate（按时答复率）：应为数字，实际为文字“九十”"),
        (
            'plan_date: "2018-02-30"',
            "s.yaml:5:14: 字段 facts.plan_date（工作要点印发日期）：日期“2018-02-30”不存在，请检查月份和日期",
        ),
        (
            "plan_date: 2018-1-5",
            "s.yaml:5:14: 字段 facts.plan_date（工作要点印发日期）：应为日期，写成 2018-01-12 这样（年-月-日，月和日各两位），实际为文字“2018-1-5”",
        ),
        (
            "plan_date: 2018年1月5日",
            "s.yaml:5:14: 字段 facts.plan_date（工作要点印发日期）：应为日期，写成 2018-01-12 这样（年-月-日，月和日各两位），实际为文字“2018年1月5日”",
        ),
        ("level: 优", "s.yaml:5:10: 字段 facts.level（平台建设等级）：应为以下之一：好、中、差；实际为文字“优”"),
        (
            "channels: 网站",
            "s.yaml:5:13: 字段 facts.channels（公开渠道）：应为列表（每项以“- ”开头），实际为文字“网站”",
        ),
        (
            "channels: [网站, 抖音]",
            "s.yaml:5:18: 字段 facts.channels[1]（公开渠道）：应为以下之一：网站、微博、微信；实际为文字“抖音”",
        ),
        ("channels: [网站, 网站]", "s.yaml:5:13: 字段 facts.channels（公开渠道）：列表中有重复项"),
        ("note: {a: 1}", "s.yaml:5:9: 字段 facts.note（情况说明）：应为文字，实际为映射（“名称: 值”）"),
        ("meeting: 2", "s.yaml:5:3: 字段 facts.meeting：不认识的名称“meeting”；是不是“meetings”？"),
        ("完全无关: 2", "s.yaml:5:3: 字段 facts.完全无关：不认识的名称“完全无关”"),
    ],
)
def test_wrong_fact_values_have_exact_messages_with_chinese_labels(facts, message):
    found = problems(HEAD + f"facts:\n  {facts}\n")
    assert [p for p in found if "必填项" not in p] == [message]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEAD.replace("{name: 测试局}", "{region: 测试市}") + "facts: {meetings: 1}\n",
            "s.yaml:2:9: 字段 agency（被考核单位）：缺少必填项“name”（单位名称）",
        ),
        (
            HEAD.replace("2024", "二〇二四") + "facts: {meetings: 1}\n",
            "s.yaml:3:7: 字段 year（考核年度）：应为整数，实际为文字“二〇二四”",
        ),
        (
            HEAD.replace("2024", "1899") + "facts: {meetings: 1}\n",
            "s.yaml:3:7: 字段 year（考核年度）：应不小于 1990，实际为 1899",
        ),
        (
            HEAD + "facts: {meetings: 1}\nself_scores: {org.meet: 5}\n",
            "s.yaml:5:25: 字段 self_scores.org.meet（专题会议）：应不大于 4，实际为 5",
        ),
        (
            HEAD + "facts: {meetings: 1}\nself_scores: {org.meet: -1}\n",
            "s.yaml:5:25: 字段 self_scores.org.meet（专题会议）：应不小于 0，实际为 -1",
        ),
        (
            HEAD + "facts: {meetings: 1}\nself_scores: {org.met: 1}\n",
            "s.yaml:5:15: 字段 self_scores.org.met：不认识的名称“org.met”；是不是“org.meet”？",
        ),
        (
            HEAD + "facts: {meetings: 1}\nsubmitted: 2024-13-01\n",
            "s.yaml:5:12: 字段 submitted（报送日期）：日期“2024-13-01”不存在，请检查月份和日期",
        ),
        (
            HEAD + "facts: {meetings: 1}\nremark: 无\n",
            "s.yaml:5:1: 字段 remark：不认识的名称“remark”；是不是“remarks”？",
        ),
        (
            'rubric: {id: other-2019, version: "1"}\nagency: {name: 测试局}\nyear: 2024\nfacts: {}\n',
            "s.yaml:1:14: 字段 rubric.id：本材料对应的评分细则是“other-2019”，而所用细则是“hostile-fixture”（恶意输入测试细则）",
        ),
        ("- 测试局\n- 2024\n", "s.yaml:1:1: 自评材料文件的最外层应为“名称: 值”形式的映射（例如 agency:、facts:）"),
    ],
)
def test_wrong_headers_and_self_scores_have_exact_messages(text, message):
    assert problems(text) == [message]


def test_all_problems_are_reported_in_file_order():
    text = HEAD + "facts:\n  rate: 九十\n  meetings: -1\n  level: 优\n"
    assert problems(text) == [
        "s.yaml:5:9: 字段 facts.rate（按时答复率）：应为数字，实际为文字“九十”",
        "s.yaml:6:13: 字段 facts.meetings（召开专题会议次数）：应不小于 0，实际为 -1",
        "s.yaml:7:10: 字段 facts.level（平台建设等级）：应为以下之一：好、中、差；实际为文字“优”",
    ]


def test_a_flood_of_errors_is_cut_to_one_screen():
    items = ", ".join(f"x{i}" for i in range(150))
    found = problems(HEAD + f"facts:\n  meetings: 1\n  channels: [{items}]\n")
    assert len(found) == 101
    assert found[-1] == "s.yaml: 另有 50 个问题未列出；请先改正以上问题再检查"


def test_duplicate_check_on_thousands_of_mappings_is_linear():
    """jsonschema's own uniqueItems compares unhashable items pairwise: 3,000 took 17 s."""
    items = ", ".join(f"{{a: {i}}}" for i in range(3000))
    started = time.perf_counter()
    found = problems(HEAD + f"facts:\n  meetings: 1\n  channels: [{items}]\n")
    assert time.perf_counter() - started < 5
    assert found[0].startswith("s.yaml:6:14: 字段 facts.channels[0]（公开渠道）：应为以下之一：网站、微博、微信")


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, 1.0], False),
        ([True, 1], True),
        ([False, 0], True),
        (["1", 1], True),
        ([{"a": [1]}, {"a": [Decimal("1.0")]}], False),
        ([{"a": 1}, {"a": 1, "b": 2}], True),
        ([[1, 2], [2, 1]], True),
        ([None, None], False),
    ],
)
def test_duplicate_check_keeps_json_equality(items, unique):
    validator = make_validator({"uniqueItems": True})
    assert validator.is_valid(items) is unique


def test_schema_for_editors_is_plain_json():
    schema = submission_schema(RUBRIC)
    assert json.loads(json.dumps(schema, ensure_ascii=False)) == schema
    assert schema["properties"]["facts"]["properties"]["has_plan"]["enum"] == [True, False, "是", "否", None]


def test_a_blank_agency_name_is_an_unfilled_required_item_with_its_label():
    # the template writes name: "" so the editor shows no error; the tool reminds, like a blank required fact
    _submission, missing = load(HEAD.replace("{name: 测试局}", "{name: ''}") + "facts: {meetings: 1}\n")
    assert [str(p) for p in missing] == ["s.yaml:2:16: 字段 agency.name（单位名称）：必填项“单位名称”没有填写"]


def test_the_committed_editor_schemas_are_current():
    rubrics = Path(__file__).resolve().parent.parent / "rubrics"
    committed = sorted(rubrics.glob("*.submission.schema.json"))
    assert [p.name for p in committed] == ["ordos-otqq-zjj-2017.submission.schema.json"]
    for path in committed:
        ident = path.name.removesuffix(".submission.schema.json")
        expected = schema_text(load_rubric(rubrics / f"{ident}.yaml"))
        assert path.read_text(encoding="utf-8") == expected, (
            f"regenerate: .venv/bin/scoring schema {ident} -o rubrics/{path.name}"
        )


def test_the_editor_schema_lists_required_facts_and_accepts_blanks_where_the_tool_does():
    schema = submission_schema(RUBRIC)["properties"]["facts"]
    assert schema["required"] == ["meetings"]
    kinds = {k: v.get("type", v.get("enum")) for k, v in schema["properties"].items()}
    assert kinds == {
        "meetings": ["integer", "null"],
        "rate": ["number", "null"],
        "has_plan": [True, False, "是", "否", None],
        "plan_date": ["string", "null"],
        "level": ["好", "中", "差", None],
        "channels": ["array", "null"],
        "note": ["string", "null"],
        "requests": ["integer", "null"],
        "requests_online": ["integer", "null"],
        "requests_letter": ["integer", "null"],
    }
    # the tool's own schema leaves required facts to its reminders (blank or deleted alike)
    assert "required" not in submission_schema(RUBRIC, for_tool=True)["properties"]["facts"]
    # every fact and self-score says in the editor what it is, in Chinese, first
    fact = schema["properties"]["meetings"]
    assert fact["title"] == "召开专题会议次数"
    assert fact["markdownDescription"].startswith("**召开专题会议次数（非负整数，单位：次，必填）**")
    assert fact["defaultSnippets"] == [{"label": "~（未填写）", "body": "~"}]
    score = submission_schema(RUBRIC)["properties"]["self_scores"]["properties"]["org.meet"]
    assert score["markdownDescription"].startswith("**专题会议（满分 4 分）**")


def test_a_blank_fact_is_not_filled_in_and_an_empty_text_is_blank_only_for_text_facts():
    submission, missing = load(HEAD + 'facts:\n  meetings: ~\n  note: ""\n  rate: 12.0\n')
    assert submission.facts == {"rate": Decimal("12.0")}
    assert [p.message for p in missing] == ["必填项“召开专题会议次数”（统计表第 5 行）没有填写"]
    assert problems(HEAD + 'facts:\n  meetings: ""\n') == [
        "s.yaml:5:13: 字段 facts.meetings（召开专题会议次数）：应为整数，实际为文字“”"
    ]


@pytest.mark.parametrize("written", ["12.0", "1e3", "12.00"])
def test_a_whole_number_written_with_a_point_or_exponent_is_an_integer_as_in_json_schema(written):
    submission, _ = load(HEAD + f"facts:\n  meetings: {written}\n")
    assert submission.facts["meetings"] == int(Decimal(written)) and type(submission.facts["meetings"]) is int


def test_rubric_text_cannot_put_links_or_images_into_the_editor():
    from scoring.model import Fact
    from scoring.submission import fact_schema

    fact = Fact(
        id="x", label="名称![](https://t.example/p.png)<img src=x>", type="text", help="[点我](https://e.example)"
    )
    text = fact_schema(fact)["markdownDescription"]
    assert re.search(r"(?<!\\)[!\[\]<>]", text) is None  # every one escaped: no link, image or HTML
    assert text.startswith(r"**名称\!\[\](https://t.example/p.png)\<img src=x\>（文字）**")


@pytest.mark.parametrize(("written", "ok"), [("2024-02-29", True), ("2023-02-29", False), ("2024-04-31", False)])
def test_dates_that_do_not_exist_are_refused_by_the_schema_pattern_too(written, ok):
    schema = submission_schema(RUBRIC)["properties"]["facts"]["properties"]["plan_date"]
    assert make_validator(schema).is_valid(written) is ok


# -- digits policy: points no finer than the rubric's rounding -------------------------------------


def test_self_scores_and_self_total_finer_than_the_rubric_rounding_are_refused_at_their_lines():
    """The fixture rubric keeps one decimal: 3.25 could be neither shown nor totalled as written."""
    assert problems(HEAD + FACTS_OK + "self_scores: {org.meet: 3.25, org.plan: 2.50}\nself_total: 5.75\n") == [
        "s.yaml:6:25: 字段 self_scores.org.meet（专题会议）：分数 3.25 的小数位数多于评分细则的计分精度"
        "（保留 1 位小数）；请按细则的精度填写",
        "s.yaml:7:13: 字段 self_total（自评总分）：分数 5.75 的小数位数多于评分细则的计分精度（保留 1 位小数）；"
        "请按细则的精度填写",
    ]


def test_a_self_score_of_seventeen_digits_is_refused_not_rounded():
    with pytest.raises(InputError) as info:
        load(HEAD + FACTS_OK + "self_scores: {org.meet: 3.1234567890123456}\n")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:6:25: 字段 self_scores.org.meet：数字的有效数字过多（超过 15 位）：3.1234567890123456；"
        "请按实际精度填写，多余的位数无法准确计算和保存"
    ]


FACTS_OK = "facts:\n  meetings: 2\n"


def test_the_derived_schema_is_valid_and_is_not_rechecked_when_a_validator_is_built(monkeypatch):
    """Checking the derived schema against the metaschema was 11 of the 11.5 s a 2,400-node rubric's
    validator took to build (60,000 nodes: 184 s per submission). It is checked here instead, once."""
    from jsonschema import Draft202012Validator

    from scoring.registry import PROJECT_RUBRICS
    from scoring.submission import _validator_for, validator_for

    for path in sorted(PROJECT_RUBRICS.glob("*.yaml")):
        Draft202012Validator.check_schema(submission_schema(load_rubric(path), for_tool=True))

    def refuse(*args, **kwargs):
        raise AssertionError("the derived schema was checked against the metaschema again")

    monkeypatch.setattr(Draft202012Validator, "check_schema", refuse)
    _validator_for.cache_clear()
    fresh = load_rubric(Path(__file__).resolve().parent / "hostile" / "rubric.yaml")
    assert list(validator_for(fresh).iter_errors({"year": "x"}))
