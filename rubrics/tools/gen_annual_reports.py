"""Generate the annual-report rubrics from the tables' rows and columns.

    .venv/bin/python rubrics/tools/gen_annual_reports.py           # (re)write rubrics/annual-report-*.yaml
    .venv/bin/python rubrics/tools/gen_annual_reports.py --check   # exit 1 if a file is out of date
    .venv/bin/python rubrics/tools/gen_annual_reports.py --out DIR # write into DIR instead

Why a generator: Table 3 of the unified format is 25 rows × 7 columns = 175 cells, each a fact
with its own id and Chinese label. Writing them by hand invites typos; the rubric language needs
no special construct for it. Everything else (identities, warnings, deadlines, points) is plain
rubric YAML that the generator only spells out once per format: identities use ``foreach`` so each
finding names its column or row, and the generated files stay readable and reviewable.

Outputs (edit this script, not the YAML):
  annual-report-2021.yaml  2021 unified format (国办公开办函〔2021〕30号), 2021 年度起
  annual-report-2019.yaml  2019 trial format (国办公开办函〔2019〕60号), 2019、2020 年度
  annual-report-2008.yaml  reports under the 2008 条例 (2008-2018 年度), with the era's 统计表

Fact ids: ``t3_{row}_{col}`` (e.g. ``t3_new_natural``, ``t3_total_total``), ``t4_{block}_{col}``,
``t2_{item}_{column}``; check ids: ``I1.{col}``, ``I2.{col}``, ``I3.{row}``, ``I4.{block}`` for the
identities, ``carry.*``, ``valid.*``, ``narrative.*``, ``rules_level.*``, ``table.*``, ``blank.*``
for warnings, ``part.*`` and ``deadline`` for content and timeliness. The scored sections count
failed checks by these prefixes (``failed_checks("I*")``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUBRICS = HERE.parent


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def flow(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {q(v)}" for k, v in mapping.items()) + "}"


# -- deadlines (rubric data) -------------------------------------------------------------------
# 2019 条例 第四十九条: 县级以上人民政府部门 by 1月31日, 本级政府 by 3月31日 (in force 2019-05-15, so
# from the 2019 annual report on); 2008 条例 第三十一条: every body by 3月31日.
DEADLINE_2019_DEPARTMENT = (1, 31)
DEADLINE_OTHER = (3, 31)
FIRST_YEAR_UNDER_2019_REGULATION = 2019
DEADLINE = (
    f"(date(report_year + 1, {DEADLINE_2019_DEPARTMENT[0]}, {DEADLINE_2019_DEPARTMENT[1]}) "
    f"if report_year >= {FIRST_YEAR_UNDER_2019_REGULATION} and body_kind == '政府部门' "
    f"else date(report_year + 1, {DEADLINE_OTHER[0]}, {DEADLINE_OTHER[1]}))"
)

# -- Table 3 (both unified formats) -------------------------------------------------------------
T3_COLUMNS = {
    "natural": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "nonprofit": "社会公益组织",
    "legal": "法律服务机构",
    "org_other": "其他法人或其他组织",
    "total": "总计",
}
T3_PARTS = [c for c in T3_COLUMNS if c != "total"]
T3_HEAD = {
    "new": "一、本年新收政府信息公开申请数量",
    "carry": "二、上年结转政府信息公开申请数量",
    "open": "三（一）予以公开",
    "partial": "三（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "deny_secret": "三（三）不予公开 1.属于国家秘密",
    "deny_law": "三（三）不予公开 2.其他法律行政法规禁止公开",
    "deny_safety": "三（三）不予公开 3.危及“三安全一稳定”",
    "deny_third_party": "三（三）不予公开 4.保护第三方合法权益",
    "deny_internal": "三（三）不予公开 5.属于三类内部事务信息",
    "deny_process": "三（三）不予公开 6.属于四类过程性信息",
    "deny_enforcement": "三（三）不予公开 7.属于行政执法案卷",
    "deny_query": "三（三）不予公开 8.属于行政查询事项",
    "unable_not_held": "三（四）无法提供 1.本机关不掌握相关政府信息",
    "unable_create": "三（四）无法提供 2.没有现成信息需要另行制作",
    "unable_unclear": "三（四）无法提供 3.补正后申请内容仍不明确",
    "reject_petition": "三（五）不予处理 1.信访举报投诉类申请",
    "reject_repeat": "三（五）不予处理 2.重复申请",
    "reject_publication": "三（五）不予处理 3.要求提供公开出版物",
    "reject_mass": "三（五）不予处理 4.无正当理由大量反复申请",
    "reject_confirm": "三（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
}
T3_MISC_2021 = {
    "misc_uncorrected": "三（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "misc_unpaid": "三（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "misc_other": "三（六）其他处理 3.其他",
}
T3_MISC_2019 = {"misc": "三（六）其他处理"}
T3_TAIL = {"total": "三（七）总计", "next": "四、结转下年度继续办理"}


def t3_rows(misc: dict[str, str]) -> dict[str, str]:
    return {**T3_HEAD, **misc, **T3_TAIL}


def t3_results(misc: dict[str, str]) -> list[str]:
    """The rows that add up to 三（七）总计: （一）（二） and every numbered row of （三）–（六）."""
    return [r for r in t3_rows(misc) if r not in ("new", "carry", "total", "next")]


# -- Table 4 (both unified formats) -------------------------------------------------------------
T4_BLOCKS = {
    "review": "行政复议",
    "suit_direct": "行政诉讼（未经复议直接起诉）",
    "suit_after": "行政诉讼（复议后起诉）",
}
T4_COLUMNS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计"}

# -- Table 2 -----------------------------------------------------------------------------------
# (id, label, type, unit)
T2_2021 = [
    ("t2_rules_made", "第二十条第（一）项 规章：本年制发件数", "count", "件"),
    ("t2_rules_repealed", "第二十条第（一）项 规章：本年废止件数", "count", "件"),
    ("t2_rules_valid", "第二十条第（一）项 规章：现行有效件数", "count", "件"),
    ("t2_normative_made", "第二十条第（一）项 行政规范性文件：本年制发件数", "count", "件"),
    ("t2_normative_repealed", "第二十条第（一）项 行政规范性文件：本年废止件数", "count", "件"),
    ("t2_normative_valid", "第二十条第（一）项 行政规范性文件：现行有效件数", "count", "件"),
    ("t2_license_decisions", "第二十条第（五）项 行政许可：本年处理决定数量", "count", "件"),
    ("t2_penalty_decisions", "第二十条第（六）项 行政处罚：本年处理决定数量", "count", "件"),
    ("t2_coercion_decisions", "第二十条第（六）项 行政强制：本年处理决定数量", "count", "件"),
    ("t2_fees_amount", "第二十条第（八）项 行政事业性收费：本年收费金额", "decimal", "万元"),
]
T2_2019 = [
    ("t2_rules_made", "第二十条第（一）项 规章：本年新制作数量", "count", "件"),
    ("t2_rules_published", "第二十条第（一）项 规章：本年新公开数量", "count", "件"),
    ("t2_rules_public_total", "第二十条第（一）项 规章：对外公开总数量", "count", "件"),
    ("t2_normative_made", "第二十条第（一）项 规范性文件：本年新制作数量", "count", "件"),
    ("t2_normative_published", "第二十条第（一）项 规范性文件：本年新公开数量", "count", "件"),
    ("t2_normative_public_total", "第二十条第（一）项 规范性文件：对外公开总数量", "count", "件"),
]
T2_2019_ITEMS = {
    "license": ("第二十条第（五）项 行政许可", True),
    "services": ("第二十条第（五）项 其他对外管理服务事项", True),
    "penalty": ("第二十条第（六）项 行政处罚", True),
    "coercion": ("第二十条第（六）项 行政强制", True),
    "fees": ("第二十条第（八）项 行政事业性收费", False),
}
for _item, (_label, _decisions) in T2_2019_ITEMS.items():
    T2_2019.append((f"t2_{_item}_prev", f"{_label}：上一年项目数量", "count", "项"))
    T2_2019.append((f"t2_{_item}_change", f"{_label}：本年增/减", "integer", "项"))
    if _decisions:
        T2_2019.append((f"t2_{_item}_decisions", f"{_label}：处理决定数量", "count", "件"))
T2_2019 += [
    ("t2_procurement_items", "第二十条第（九）项 政府集中采购：采购项目数量", "count", "项"),
    ("t2_procurement_amount", "第二十条第（九）项 政府集中采购：采购总金额", "decimal", "万元"),
]

# -- parts (content) ---------------------------------------------------------------------------
UNIFIED_PARTS = {
    "overview": "一、总体情况",
    "proactive": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "review": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况",
    "other": "六、其他需要报告的事项",
}
GOV_ASSESSMENT = "工作考核、社会评议和责任追究结果情况"
PARTS_2008 = {
    "proactive": "主动公开政府信息的情况",
    "requests": "依申请公开政府信息和不予公开政府信息的情况",
    "fees": "政府信息公开的收费及减免情况",
    "review": "因政府信息公开申请行政复议、提起行政诉讼的情况",
    "problems": "政府信息公开工作存在的主要问题及改进情况",
    "other": "其他需要报告的事项",
}

# -- 2008-era statistics table (as in seed 001, 附件2) ------------------------------------------
# Ids follow rubrics/ordos-otqq-zjj-2017.yaml, which encodes the same table for the self-assessment.
STATS_2008 = [
    # (group id, group label, [(id, label, type, unit, row)])
    (
        "proactive",
        "主动公开",
        [
            ("published_total", "主动公开政府信息总数（不同渠道发相同信息计1条）", "count", "条", 2),
            ("published_normative", "其中：规范性文件数", "count", "条", 3),
            ("normative_issued", "制发规范性文件总数", "count", "件", 4),
            ("published_website", "在本部门门户网站公开政府信息数", "count", "条", 6),
            ("published_weibo", "政务微博公开政府信息数", "count", "条", 7),
            ("published_weixin", "政务微信公开政府信息数", "count", "条", 8),
            ("published_print", "政府公报、报刊等刊物公开政府信息数", "count", "条", ""),
            ("published_other", "其他方式公开政府信息数", "count", "条", 9),
        ],
    ),
    (
        "responses",
        "回应解读",
        [
            ("hotspots_responded", "回应公众关注热点或重大舆情数", "count", "次", 11),
            ("press_conferences", "参加或举办新闻发布会次数", "count", "次", 13),
            ("press_conferences_head", "其中：主要负责同志参加新闻发布会次数", "count", "次", 14),
            ("interviews", "政府网站在线访谈或电视问政访谈数", "count", "次", 15),
            ("interviews_head", "其中：主要负责同志参加在线访谈或电视问政访谈数", "count", "次", 16),
            ("interpretations", "政策解读稿件发布数", "count", "篇", 17),
            ("responses_weibo_weixin", "微博微信回应事件数", "count", "次", 18),
            ("responses_other", "其它方式回应事件数", "count", "次", 19),
        ],
    ),
    (
        "requests",
        "依申请公开",
        [
            ("requests_received", "收到申请数", "count", "件", 21),
            ("requests_in_person", "当面申请数", "count", "件", 22),
            ("requests_fax", "传真申请数", "count", "件", 23),
            ("requests_online", "网络申请数", "count", "件", 24),
            ("requests_letter", "信函申请数", "count", "件", 25),
            ("requests_closed", "申请办结数", "count", "件", 26),
            ("requests_closed_on_time", "按时办结数", "count", "件", 27),
            ("requests_closed_extended", "延期办结数", "count", "件", 28),
            ("replies_total", "答复申请数", "count", "件", 29),
            ("replies_already_public", "属于已主动公开范围数", "count", "件", 30),
            ("replies_granted", "同意公开答复数", "count", "件", 31),
            ("replies_partial", "同意部分公开答复数", "count", "件", 32),
            ("replies_refused", "不同意公开答复数", "count", "件", 33),
            ("refused_state_secret", "不同意公开：涉及国家秘密", "count", "件", 34),
            ("refused_commercial_secret", "不同意公开：涉及商业秘密", "count", "件", 35),
            ("refused_privacy", "不同意公开：涉及个人隐私", "count", "件", 36),
            ("refused_security", "不同意公开：危及国家安全、公共安全、经济安全和社会稳定", "count", "件", 37),
            ("refused_not_gov_info", "不同意公开：不是《政府信息公开条例》所指应公开的政府信息", "count", "件", 38),
            ("refused_other_legal", "不同意公开：法律法规规定的其他情形", "count", "件", 39),
            ("replies_not_this_agency", "不属于本行政机关公开数", "count", "件", 40),
            ("replies_not_exist", "申请信息不存在数", "count", "件", 41),
            ("replies_amend", "告知作出更改补充数", "count", "件", 42),
            ("replies_other_channel", "告知通过其它途径办理数", "count", "件", 43),
        ],
    ),
    (
        "review",
        "行政复议、行政诉讼、举报投诉和收费",
        [
            ("review_total", "行政复议数量", "count", "件", 44),
            ("review_upheld", "行政复议：维持具体行政行为数", "count", "件", 45),
            ("review_corrected", "行政复议：被依法纠错数", "count", "件", 46),
            ("review_other", "行政复议：其它情形数", "count", "件", 47),
            ("litigation_total", "行政诉讼数量", "count", "件", 48),
            ("litigation_upheld", "行政诉讼：维持具体行政行为或者驳回原告诉讼请求数", "count", "件", 49),
            ("litigation_corrected", "行政诉讼：被依法纠错数", "count", "件", 50),
            ("litigation_other", "行政诉讼：其它情形数", "count", "件", 51),
            ("complaints", "举报投诉数量", "count", "件", 52),
            ("request_fees", "依申请公开信息收取的费用", "decimal", "万元", 53),
        ],
    ),
    (
        "org",
        "机构、人员、经费、会议和培训",
        [
            ("dedicated_units", "政务公开工作专门机构数", "count", "个", 55),
            ("reading_points", "设置政府信息公开查阅点数", "count", "个", 56),
            ("staff_total", "从事政务公开工作人员数", "count", "人", 57),
            ("staff_full_time", "专职人员数", "count", "人", 58),
            ("staff_part_time", "兼职人员数", "count", "人", 59),
            ("special_funds", "政务公开专项经费", "decimal", "万元", 60),
            ("meetings", "召开政务公开工作会议或专题会议数", "count", "次", 62),
            ("trainings", "举办各类培训班", "count", "次", 63),
            ("trainees", "接受培训人数", "count", "人次", 64),
            ("has_service_hall", "是否设立实体办事大厅", "bool", "", 66),
            ("linked_to_supervision", "是否与监察系统联网", "bool", "", 68),
            ("online_service", "部门网站是否具备网上办事功能", "bool", "", 69),
        ],
    ),
]
CATEGORY_SLOTS = 8
CHANNELS_2008 = {
    "website": "门户网站",
    "weibo": "政务微博",
    "weixin": "政务微信",
    "print": "政府公报、报刊等刊物",
    "other": "其他方式",
}


# -- writer ------------------------------------------------------------------------------------


class Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def fact_line(ident: str, label: str, kind: str, unit: str = "", **extra: object) -> str:
    parts = [f"id: {ident}", f"label: {q(label)}", f"type: {kind}"]
    if unit:
        parts.append(f"unit: {unit}")
    for key, value in extra.items():
        if value in (None, ""):
            continue
        if isinstance(value, bool):
            parts.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, list):
            parts.append(f"{key}: [{', '.join(q(v) for v in value)}]")
        elif isinstance(value, str):
            parts.append(f"{key}: {q(value)}")
        else:
            parts.append(f"{key}: {value}")
    return "      - {" + ", ".join(parts) + "}"


def group(out: Out, ident: str, label: str, help_text: str = "") -> None:
    out()
    out(f"  - group: {ident}")
    out(f"    label: {q(label)}")
    if help_text:
        out(f"    help: {q(help_text)}")
    out("    facts:")


def check(
    out: Out,
    ident: str,
    title: str,
    expect: str,
    message: str,
    severity: str = "error",
    when: str = "",
    foreach: dict[str, dict[str, str]] | None = None,
) -> None:
    out(f"  - id: {ident}")
    out(f"    title: {q(title)}")
    out(f"    severity: {severity}")
    if foreach:
        out("    foreach:")
        for var, values in foreach.items():
            out(f"      {var}: {flow(values)}")
    if when:
        out(f"    when: {q(when)}")
    out(f"    expect: {q(expect)}")
    out(f"    message: {q(message)}")


def header(out: Out, ident: str, title: str, years: tuple[int, int | None], source: str, description: str) -> None:
    out("# 本文件由 rubrics/tools/gen_annual_reports.py 生成：请修改脚本后重新运行，不要直接编辑。")
    out("# Generated by rubrics/tools/gen_annual_reports.py: edit the script and re-run it, not this file.")
    out("rubric:")
    out(f"  id: {ident}")
    out('  version: "1"')
    out(f"  title: {q(title)}")
    out(f"  issuer: {q('（依据《中华人民共和国政府信息公开条例》及国务院办公厅政府信息公开办公室格式要求整理）')}")
    out(f"  year: {years[0]}")
    until = f", to: {years[1]}" if years[1] else ""
    out(f"  years: {{from: {years[0]}{until}}}  # 适用的报告年度")
    out(f"  source: {q(source)}")
    out(f"  description: {q(description)}")
    out("  total: 100")
    out("  rounding: {places: 1}")
    out("  grades: [{name: 优秀, min: 90}, {name: 良好, min: 80}, {name: 合格, min: 60}, {name: 不合格, min: 0}]")


BODY_HELP = (
    "县级以上人民政府部门填“政府部门”（2019年条例：次年1月31日前公布）；各级人民政府填“人民政府”"
    "（次年3月31日前）；街道办事处、法律法规授权的组织等填“其他机关”（按次年3月31日核对）"
)


def basic_facts(out: Out, parts: dict[str, str], extra_parts: list[str]) -> None:
    out("facts:")
    group(out, "basic", "报告基本情况", "报告年度、报告主体、发布和落款日期")
    out(fact_line("report_year", "报告年度", "count", "年", required=True, minimum=2000, maximum=2100,
                  help="报告所述年度，如 2021 年度报告填 2021（发布期限按此计算）"))
    out(fact_line("body_kind", "报告主体类别", "choice", required=True, options=["政府部门", "人民政府", "其他机关"],
                  help=BODY_HELP))
    out(fact_line("body_level", "报告主体层级", "choice", required=True,
                  options=["国家级", "省级", "地市级", "县级", "乡镇级"],
                  help="县级含县级市、市辖区、旗；乡镇级含街道"))
    out(fact_line("published", "报告发布日期", "date", help="网站公开（发布）日期；页面未注明的留空"))
    out(fact_line("dated", "报告落款日期", "date", help="报告正文末尾的成文日期"))
    group(out, "content", "报告内容", "按报告的标题和正文核对；没有的项目不要勾选")
    out(fact_line("parts_present", "报告包含的部分", "multi_choice", options=[*parts.values(), *extra_parts],
                  help="勾选报告中实际写到的部分（有标题或有成段的内容）"))
    out(fact_line("compares_previous_year", "是否与上一年度比较", "bool",
                  help="有同比数字或与上年的变化分析（如“较上年增长”）填“是”"))
    out(fact_line("problems_stated", "是否写明存在的主要问题", "bool"))
    out(fact_line("improvements_stated", "是否写明改进措施或下一步打算", "bool"))


def timeliness_checks(out: Out) -> None:
    out()
    out("  # ───── 发布时间 ─────")
    check(out, "deadline", "按法定期限公布",
          f"published <= {DEADLINE}",
          "报告于 {published} 发布，晚于法定期限 {right}（2019年条例施行后，县级以上人民政府部门为次年1月31日、"
          "人民政府为次年3月31日；此前均为次年3月31日）")
    check(out, "published_missing", "注明发布日期", "filled(published)",
          "未能确定报告的发布日期（页面未注明），无法核对是否按期公布", severity="warning")
    check(out, "dated_after_published", "落款日期不晚于发布日期", "dated <= published",
          "落款日期 {dated} 晚于发布日期 {published}，请核对", severity="warning")
    check(out, "published_early", "发布日期在报告年度结束之后", "published > date(report_year, 12, 31)",
          "发布日期 {published} 早于 {report_year} 年度结束，请核对报告年度或发布日期", severity="warning")


def part_checks(out: Out, parts: dict[str, str], regulation: str, with_assessment: bool) -> None:
    out()
    out(f"  # ───── 法定内容（{regulation}）─────")
    required = {k: v for k, v in parts.items() if k != "other"}
    check(out, "part.{part}", "包含法定内容", "'{part.label}' in parts_present",
          f"报告缺少{regulation}规定的内容：“{{part.label}}”", foreach={"part": required})
    check(out, "part.other", "包含其他需要报告的事项", f"'{parts['other']}' in parts_present",
          f"报告没有“{parts['other']}”部分；没有需要报告的事项也宜写明“无”", severity="warning")
    if with_assessment:
        check(out, "part.assessment", "人民政府报告包含考核、评议和追责结果", f"'{GOV_ASSESSMENT}' in parts_present",
              f"各级人民政府的年度报告还应当包括{GOV_ASSESSMENT}（2019年条例第五十条第四项），报告中未见",
              when="body_kind == '人民政府'")


def quality_sections(out: Out, parts: dict[str, str], accurate_items: list[tuple[str, str, str]],
                     with_assessment: bool) -> None:
    base = ", ".join(f"'{label}' in parts_present" for label in parts.values())
    n = len(parts)
    if with_assessment:
        ratio = (f"count([{base}, '{GOV_ASSESSMENT}' in parts_present]) / {n + 1} "
                 f"if body_kind == '人民政府' else count([{base}]) / {n}")
    else:
        ratio = f"count([{base}]) / {n}"
    out()
    out("# 评分版：同一套 100 分质量标准（按时 20、完整 25、准确 30、对比 10、问题与改进 15），各格式细则相同，")
    out("# 便于对一批年度报告排序；“数据准确”按本细则校验规则发现的问题逐处扣分（failed_checks）。")
    out("sections:")
    out("  - id: timely")
    out("    title: 按时公开")
    out("    text: 在法定期限内公布得 20 分；逾期 30 日以内得 10 分；逾期更久不得分")
    out("    max: 20")
    out("    rule:")
    out("      kind: tiers")
    out("      tiers:")
    out(f"        - {{when: {q(f'published <= {DEADLINE}')}, points: 20, label: 在法定期限内公布}}")
    out(f"        - {{when: {q(f'days_between({DEADLINE}, published) <= 30')}, points: 10, label: 逾期 30 日以内}}")
    out("      otherwise: 0")
    out("  - id: complete")
    out("    title: 内容完整")
    out("    text: 按法定内容逐项核对，按包含的比例得分")
    out("    max: 25")
    out(f"    rule: {{kind: proportional, ratio: {q(ratio)}}}")
    out("  - id: accurate")
    out("    title: 数据准确")
    out("    text: 数字之间的计算关系成立、前后一致、统计表填写完整；逐处扣分，扣完为止")
    out("    max: 30")
    out("    rule:")
    out("      kind: deduction")
    out("      items:")
    for label, count, per in accurate_items:
        out(f"        - {{label: {q(label)}, count: {q(count)}, per: {per}}}")
    out("  - id: compared")
    out("    title: 与上年对比")
    out("    text: 有与上一年度的比较（同比数字或变化分析）")
    out("    max: 10")
    out("    rule: {kind: condition, when: compares_previous_year, met: 有与上一年度的比较, unmet: 没有与上一年度的比较}")
    out("  - id: improve")
    out("    title: 问题与改进")
    out("    max: 15")
    out("    children:")
    out("      - {id: improve.problems, title: 写明存在的主要问题, max: 8, rule: {kind: condition, when: problems_stated}}")
    out("      - {id: improve.measures, title: 写明改进措施或下一步打算, max: 7, "
        "rule: {kind: condition, when: improvements_stated}}")


# -- unified formats (2019 trial, 2021) ----------------------------------------------------------


def unified(year: int) -> str:
    is_2021 = year == 2021
    misc = T3_MISC_2021 if is_2021 else T3_MISC_2019
    rows = t3_rows(misc)
    out = Out()
    if is_2021:
        header(
            out, "annual-report-2021",
            "政府信息公开工作年度报告核查与评分（2021年统一格式）", (2021, None),
            "国办公开办函〔2021〕30号（政府信息公开工作年度报告格式）；《中华人民共和国政府信息公开条例》"
            "（国务院令第711号）第四十九条、第五十条",
            "用于2021年度及以后的年度报告。表二、表三、表四逐格录入（空白表示未填报，与 0 不同）；"
            "I1–I4 为表内恒等式（错误），与上年报告、正文叙述、层级的比对和空白单元格为提醒；"
            "另核对法定内容与发布期限，并按统一的 100 分质量标准评分。",
        )
    else:
        header(
            out, "annual-report-2019",
            "政府信息公开工作年度报告核查与评分（2019年试行格式）", (2019, 2020),
            "国办公开办函〔2019〕60号（政府信息公开工作年度报告格式，试行）；《中华人民共和国政府信息公开条例》"
            "（国务院令第711号）第四十九条、第五十条",
            "用于2019、2020年度的年度报告。表三“（六）其他处理”只有一行；表二为2019年试行格式。"
            "其余与2021年格式细则相同。",
        )
    basic_facts(out, UNIFIED_PARTS, [GOV_ASSESSMENT])

    t2 = T2_2021 if is_2021 else T2_2019
    group(out, "t2", "表二 主动公开政府信息情况", "按报告表二逐格录入；表中为空白的留空，不要填 0")
    for ident, label, kind, unit in t2:
        out(fact_line(ident, label, kind, unit))
    group(out, "t3", "表三 收到和处理政府信息公开申请情况",
          "按报告表三逐格录入：行为申请数量和办理结果，列为申请人类别；表中为空白的留空，不要填 0")
    for row, row_label in rows.items():
        for col, col_label in T3_COLUMNS.items():
            out(fact_line(f"t3_{row}_{col}", f"{row_label}（{col_label}）", "count", "件"))
    group(out, "t4", "表四 政府信息公开行政复议、行政诉讼情况", "按报告表四逐格录入")
    for block, block_label in T4_BLOCKS.items():
        for col, col_label in T4_COLUMNS.items():
            out(fact_line(f"t4_{block}_{col}", f"{block_label}：{col_label}", "count", "件"))
    group(out, "narrative", "正文中的数字", "报告正文（叙述部分）写到的数字，用于与表格核对；正文没有写的留空")
    out(fact_line("published_total", "正文所述主动公开政府信息数", "count", "条"))
    out(fact_line("narrative_requests_new", "正文所述本年新收政府信息公开申请数", "count", "件"))
    out(fact_line("narrative_review_total", "正文所述政府信息公开行政复议数", "count", "件"))
    out(fact_line("narrative_suit_total", "正文所述政府信息公开行政诉讼数", "count", "件"))
    normative_word = "行政规范性文件" if is_2021 else "规范性文件"
    made_word = "制发" if is_2021 else "新制作"
    out(fact_line("narrative_normative_made", f"正文所述本年{made_word}{normative_word}数", "count", "件"))
    group(out, "prev", "上一年度报告", "从本机关上一年度报告中照抄，用于核对结转和累计数；没有上年报告的留空")
    for col, col_label in T3_COLUMNS.items():
        out(fact_line(f"prev_t3_next_{col}", f"上年报告 四、结转下年度继续办理（{col_label}）", "count", "件"))
    if is_2021:
        out(fact_line("prev_t2_rules_valid", "上年报告 规章现行有效件数", "count", "件"))
        out(fact_line("prev_t2_normative_valid", "上年报告 行政规范性文件现行有效件数", "count", "件"))
    else:
        out(fact_line("prev_t2_rules_public_total", "上年报告 规章对外公开总数量", "count", "件"))
        out(fact_line("prev_t2_normative_public_total", "上年报告 规范性文件对外公开总数量", "count", "件"))

    accurate = [
        ("表内计算关系（I1–I4）不成立，每处", 'failed_checks("I*")', 5),
        ("与上年报告、正文叙述或本机关层级不符，每处",
         'failed_checks("carry.*") + failed_checks("valid.*") + failed_checks("narrative.*")'
         ' + failed_checks("rules_level.*")', 2),
        ("统计表整张未填报，每张", 'failed_checks("table.*")', 10),
        ("统计表单元格空白（未填 0），每格", 'failed_checks("blank.*")', 0.5),
    ]
    quality_sections(out, UNIFIED_PARTS, accurate, with_assessment=True)

    out()
    out("checks:")
    out("  # ───── 表三、表四恒等式（错误）─────")
    results = t3_results(misc)
    check(out, "I1.{col}", "I1 一＋二＝三（七）总计＋四",
          "t3_new_{col} + t3_carry_{col} == t3_total_{col} + t3_next_{col}",
          "表三“{col.label}”列：一、本年新收 {t3_new_{col}} ＋ 二、上年结转 {t3_carry_{col}} ＝ {left}，"
          "但 三（七）总计 {t3_total_{col}} ＋ 四、结转下年度继续办理 {t3_next_{col}} ＝ {right}，两边应相等（I1）",
          foreach={"col": T3_COLUMNS})
    check(out, "I2.{col}", "I2 三（七）总计＝（一）至（六）各项之和",
          "t3_total_{col} == " + " + ".join(f"t3_{r}_{{col}}" for r in results),
          "表三“{col.label}”列：三（七）总计 {left}，但（一）予以公开至（六）其他处理各项之和为 {right}，两边应相等（I2）",
          foreach={"col": T3_COLUMNS})
    check(out, "I3.{row}", "I3 总计列＝自然人＋五类法人或其他组织",
          "t3_{row}_total == " + " + ".join(f"t3_{{row}}_{c}" for c in T3_PARTS),
          "表三“{row.label}”行：总计 {left}，但自然人与商业企业、科研机构、社会公益组织、法律服务机构、其他各列之和为 "
          "{right}，两边应相等（I3）",
          foreach={"row": rows})
    check(out, "I4.{block}", "I4 表四总计＝维持＋纠正＋其他＋尚未审结",
          "t4_{block}_total == t4_{block}_upheld + t4_{block}_corrected + t4_{block}_other + t4_{block}_pending",
          "表四“{block.label}”：总计 {left}，但结果维持 {t4_{block}_upheld} ＋ 结果纠正 {t4_{block}_corrected} ＋ "
          "其他结果 {t4_{block}_other} ＋ 尚未审结 {t4_{block}_pending} ＝ {right}，两边应相等（I4）",
          foreach={"block": T4_BLOCKS})

    out()
    out("  # ───── 与上年报告、正文叙述、层级的比对（提醒）─────")
    check(out, "carry.{col}", "上年结转＝上年报告的结转下年度",
          "t3_carry_{col} == prev_t3_next_{col}",
          "表三“{col.label}”列：二、上年结转 {left} 件，但上年报告的“四、结转下年度继续办理”为 {right} 件",
          severity="warning", foreach={"col": T3_COLUMNS})
    if is_2021:
        check(out, "valid.{kind}", "现行有效件数＝上年现行有效＋本年制发－本年废止",
              "t2_{kind}_valid == prev_t2_{kind}_valid + t2_{kind}_made - t2_{kind}_repealed",
              "表二“{kind.label}”现行有效 {left} 件，但上年现行有效 {prev_t2_{kind}_valid} ＋ 本年制发 {t2_{kind}_made} "
              "－ 本年废止 {t2_{kind}_repealed} ＝ {right} 件",
              severity="warning", foreach={"kind": {"rules": "规章", "normative": "行政规范性文件"}})
    else:
        kinds = {"rules": "规章", "normative": "规范性文件"}
        check(out, "valid.published.{kind}", "本年新公开数量不大于对外公开总数量",
              "t2_{kind}_published <= t2_{kind}_public_total",
              "表二“{kind.label}”本年新公开 {left} 件，多于对外公开总数量 {right} 件",
              severity="warning", foreach={"kind": kinds})
        check(out, "valid.total.{kind}", "对外公开总数量＝上年对外公开总数量＋本年新公开",
              "t2_{kind}_public_total == prev_t2_{kind}_public_total + t2_{kind}_published",
              "表二“{kind.label}”对外公开总数量 {left} 件，但上年对外公开总数量 {prev_t2_{kind}_public_total} ＋ "
              "本年新公开 {t2_{kind}_published} ＝ {right} 件（如有废止或失效，请在报告中说明）",
              severity="warning", foreach={"kind": kinds})
        check(out, "valid.items.{item}", "上一年项目数量加本年增减不为负",
              "t2_{item}_prev + t2_{item}_change >= 0",
              "表二“{item.label}”上一年项目数量 {t2_{item}_prev} 加本年增/减 {t2_{item}_change} 为负数 {left}",
              severity="warning", foreach={"item": {k: v[0] for k, v in T2_2019_ITEMS.items()}})
    check(out, "narrative.requests_new", "正文与表三一致：本年新收申请",
          "narrative_requests_new == t3_new_total",
          "正文称本年新收政府信息公开申请 {left} 件，但表三“一、本年新收政府信息公开申请数量”总计为 {right} 件",
          severity="warning")
    check(out, "narrative.review", "正文与表四一致：行政复议",
          "narrative_review_total == t4_review_total",
          "正文称政府信息公开行政复议 {left} 件，但表四行政复议总计为 {right} 件", severity="warning")
    check(out, "narrative.suit", "正文与表四一致：行政诉讼",
          "narrative_suit_total == t4_suit_direct_total + t4_suit_after_total",
          "正文称政府信息公开行政诉讼 {left} 件，但表四两类行政诉讼总计之和为 {right} 件", severity="warning")
    check(out, "narrative.normative", f"正文与表二一致：{normative_word}",
          "narrative_normative_made == t2_normative_made",
          f"正文称本年{made_word}{normative_word} {{left}} 件，但表二为 {{right}} 件", severity="warning")
    cells = ({"made": "本年制发件数", "repealed": "本年废止件数", "valid": "现行有效件数"} if is_2021 else
             {"made": "本年新制作数量", "published": "本年新公开数量", "public_total": "对外公开总数量"})
    check(out, "rules_level.{cell}", "县级、乡镇级机关不制定规章",
          "t2_rules_{cell} == 0",
          "县级和乡镇级机关没有规章制定权，表二“规章”的“{cell.label}”应为 0，报告填为 {left}",
          severity="warning", when="body_level in ['县级', '乡镇级']", foreach={"cell": cells})

    out()
    out("  # ───── 未填报与空白单元格（提醒：空白不等于 0）─────")
    t2_ids = {ident: label for ident, label, _, _ in t2}
    t2_any = " or ".join(f"filled({i})" for i in list(t2_ids)[:: 3 if is_2021 else 2])
    t3_any = "filled(t3_new_total) or filled(t3_total_total) or filled(t3_next_total) or filled(t3_new_natural)"
    t4_any = " or ".join(f"filled(t4_{b}_total)" for b in T4_BLOCKS)
    for table, label, any_filled in (("t2", "表二（主动公开政府信息情况）", t2_any),
                                     ("t3", "表三（收到和处理政府信息公开申请情况）", t3_any),
                                     ("t4", "表四（政府信息公开行政复议、行政诉讼情况）", t4_any)):
        check(out, f"table.{table}", "统计表已填报", any_filled,
              f"{label}整张未填报（或未录入）；统一格式要求逐项填报，没有发生的填 0", severity="warning")
    check(out, "blank.t2.{cell}", "表二单元格已填写", "filled({cell})",
          "表二“{cell.label}”空白：空白表示未填报，不等于 0；没有发生的应填 0",
          severity="warning", when=t2_any, foreach={"cell": t2_ids})
    check(out, "blank.t3.{row}.{col}", "表三单元格已填写", "filled(t3_{row}_{col})",
          "表三“{row.label}”行“{col.label}”列空白：空白表示未填报，不等于 0；没有发生的应填 0",
          severity="warning", when=t3_any, foreach={"row": rows, "col": T3_COLUMNS})
    check(out, "blank.t4.{block}.{col}", "表四单元格已填写", "filled(t4_{block}_{col})",
          "表四“{block.label}”的“{col.label}”空白：空白表示未填报，不等于 0；没有发生的应填 0",
          severity="warning", when=t4_any, foreach={"block": T4_BLOCKS, "col": T4_COLUMNS})

    part_checks(out, UNIFIED_PARTS, "2019年条例第五十条和统一格式", with_assessment=True)
    timeliness_checks(out)
    return out.text()


# -- 2008 条例 era -------------------------------------------------------------------------------


def pre2019() -> str:
    out = Out()
    header(
        out, "annual-report-2008",
        "政府信息公开工作年度报告核查与评分（2008年条例时期，2019年以前的年度报告）", (2008, 2018),
        "《中华人民共和国政府信息公开条例》（国务院令第492号）第三十一条、第三十二条；当时的政务公开工作统计表",
        "用于2008–2018年度的年度报告（叙述体，可附统计表）。核对正文所列分项与总数是否相符（“其中”所列各项未写明的"
        "按 0 计）、各渠道发布数不超过去重后的总数、统计表各项计算关系、正文前后数字是否一致，"
        "以及第三十二条规定的内容和3月31日的发布期限；并按统一的 100 分质量标准评分。",
    )
    basic_facts(out, PARTS_2008, [])
    for gid, glabel, facts in STATS_2008:
        group(out, gid, glabel, "正文写明的数字或统计表的数字；原文没有写的留空（空白不等于 0）")
        for ident, label, kind, unit, row in facts:
            out(fact_line(ident, label, kind, unit, row=row))
        if gid == "proactive":
            for i in range(1, CATEGORY_SLOTS + 1):
                out(fact_line(f"category_{i}_label", f"主动公开信息分类：第{i}类名称", "text",
                              help="正文“其中……类信息××条”所列类别的名称，按原文顺序" if i == 1 else ""))
                out(fact_line(f"category_{i}", f"主动公开信息分类：第{i}类条数", "count", "条"))
    group(out, "statistics", "统计表", "")
    out(fact_line("has_statistics_table", "报告附有统计表并已逐行录入", "bool",
                  help="附有统计表（如本时期的政务公开工作统计表）并已逐行录入填“是”，将提醒其中的空白栏"))
    group(out, "narrative", "正文中另处的数字", "同一数字在正文另一处（如概述、工作做法）的说法，用于前后核对；没有的留空")
    out(fact_line("narrative_published_total", "正文另一处所述主动公开政府信息数", "count", "条"))
    out(fact_line("narrative_published_website", "正文另一处所述网站发布信息数", "count", "条"))
    out(fact_line("narrative_published_weibo", "正文另一处所述政务微博发布信息数", "count", "条"))
    out(fact_line("narrative_requests_received", "正文（叙述部分）所述收到申请数", "count", "件",
                  help="与统计表“收到申请数”核对；正文称“暂无依申请公开”的填 0"))

    accurate = [
        ("数字之间的计算关系不成立，每处", 'failed_checks("I.*")', 5),
        ("正文前后或正文与统计表数字不一致，每处", 'failed_checks("narrative.*")', 2),
        ("未写明主动公开或依申请公开的数量，每项", 'failed_checks("reported.*")', 5),
        ("统计表栏目空白（未填 0），每栏", 'failed_checks("blank.*")', 0.5),
    ]
    quality_sections(out, PARTS_2008, accurate, with_assessment=False)

    out()
    out("checks:")
    out("  # ───── 分项与总数（错误）；正文“其中”所列分项中未写明的按 0 计 ─────")

    def breakdown(ident: str, title: str, total: str, parts: list[str], message: str) -> None:
        check(out, ident, title,
              f"{total} == " + " + ".join(f"value({p}, 0)" for p in parts),
              message, when=" or ".join(f"filled({p})" for p in parts))

    breakdown("I.requests_channels", "收到申请数＝当面＋传真＋网络＋信函", "requests_received",
              ["requests_in_person", "requests_fax", "requests_online", "requests_letter"],
              "收到政府信息公开申请 {left} 件，但所列各渠道合计 {right} 件（当面{requests_in_person}、传真{requests_fax}、"
              "网络{requests_online}、信函{requests_letter}；未写明的渠道按 0 计）")
    breakdown("I.requests_closed", "申请办结数＝按时办结＋延期办结", "requests_closed",
              ["requests_closed_on_time", "requests_closed_extended"],
              "申请办结 {left} 件，但按时办结 {requests_closed_on_time} 件与延期办结 {requests_closed_extended} 件合计 "
              "{right} 件")
    breakdown("I.replies", "答复申请数＝八类答复之和", "replies_total",
              ["replies_already_public", "replies_granted", "replies_partial", "replies_refused",
               "replies_not_this_agency", "replies_not_exist", "replies_amend", "replies_other_channel"],
              "答复申请 {left} 件，但八类答复（已主动公开、同意公开、同意部分公开、不同意公开、不属于本机关、"
              "信息不存在、告知更改补充、告知其他途径）合计 {right} 件")
    breakdown("I.refusals", "不同意公开答复数＝六种理由之和", "replies_refused",
              ["refused_state_secret", "refused_commercial_secret", "refused_privacy", "refused_security",
               "refused_not_gov_info", "refused_other_legal"],
              "不同意公开答复 {left} 件，但六种理由合计 {right} 件")
    breakdown("I.review", "行政复议数量＝维持＋纠错＋其他", "review_total",
              ["review_upheld", "review_corrected", "review_other"],
              "政府信息公开行政复议 {left} 件，但维持 {review_upheld}、被依法纠错 {review_corrected}、其它 {review_other} "
              "合计 {right} 件")
    breakdown("I.litigation", "行政诉讼数量＝维持或驳回＋纠错＋其他", "litigation_total",
              ["litigation_upheld", "litigation_corrected", "litigation_other"],
              "政府信息公开行政诉讼 {left} 件，但维持或驳回 {litigation_upheld}、被依法纠错 {litigation_corrected}、"
              "其它 {litigation_other} 合计 {right} 件")
    breakdown("I.staff", "工作人员数＝专职＋兼职", "staff_total", ["staff_full_time", "staff_part_time"],
              "从事政务公开工作人员 {left} 人，但专职 {staff_full_time} 人与兼职 {staff_part_time} 人合计 {right} 人")
    check(out, "I.categories", "主动公开总数＝各类别之和",
          "published_total == " + " + ".join(f"value(category_{i}, 0)" for i in range(1, CATEGORY_SLOTS + 1)),
          "主动公开政府信息 {left} 条，但按类别列出的各类合计 {right} 条，两者应相等", when="filled(category_1)")
    check(out, "I.channel.{ch}", "单一渠道发布数不超过主动公开总数", "published_{ch} <= published_total",
          "通过{ch.label}公开 {left} 条，多于主动公开政府信息总数 {right} 条（总数按“不同渠道发相同信息计1条”去重，"
          "任一渠道都不应超过总数）", foreach={"ch": CHANNELS_2008})
    check(out, "I.normative", "其中规范性文件数不超过主动公开总数", "published_normative <= published_total",
          "主动公开的规范性文件 {left} 条，多于主动公开政府信息总数 {right} 条")
    check(out, "I.press_head", "主要负责同志参加新闻发布会次数不超过总次数",
          "press_conferences_head <= press_conferences",
          "主要负责同志参加新闻发布会 {left} 次，多于参加或举办新闻发布会 {right} 次")
    check(out, "I.interviews_head", "主要负责同志参加访谈次数不超过总次数", "interviews_head <= interviews",
          "主要负责同志参加在线访谈或电视问政 {left} 次，多于访谈总数 {right} 次")

    out()
    out("  # ───── 正文前后、正文与统计表（提醒）─────")
    for ident, label, unit, a, b in (
        ("published_total", "主动公开政府信息", "条", "narrative_published_total", "published_total"),
        ("published_website", "网站发布信息", "条", "narrative_published_website", "published_website"),
        ("published_weibo", "政务微博发布信息", "条", "narrative_published_weibo", "published_weibo"),
        ("requests_received", "收到政府信息公开申请", "件", "narrative_requests_received", "requests_received"),
    ):
        check(out, f"narrative.{ident}", f"正文前后一致：{label}", f"{a} == {b}",
              f"正文一处所述{label} {{left}} {unit}，与另一处（主动公开或依申请公开情况部分、统计表）的 {{right}} {unit}不一致",
              severity="warning")
    out()
    out("  # ───── 主要数字是否报告（提醒）─────")
    check(out, "reported.published_total", "写明主动公开数量", "filled(published_total)",
          "报告没有写明全年主动公开政府信息的数量", severity="warning")
    check(out, "reported.requests_received", "写明收到申请数量", "filled(requests_received)",
          "报告没有写明收到政府信息公开申请的数量（没有收到申请也应写明 0 件）", severity="warning")
    stats = {ident: label for _, _, facts in STATS_2008 for ident, label, _, _, row in facts if row != ""}
    check(out, "blank.{cell}", "统计表栏目已填写", "filled({cell})",
          "统计表“{cell.label}”一栏空白：空白表示未填报，不等于 0；没有发生的应填 0",
          severity="warning", when="has_statistics_table", foreach={"cell": stats})

    part_checks(out, PARTS_2008, "2008年条例第三十二条", with_assessment=False)
    timeliness_checks(out)
    return out.text()


OUTPUTS = {
    "annual-report-2021.yaml": lambda: unified(2021),
    "annual-report-2019.yaml": lambda: unified(2019),
    "annual-report-2008.yaml": pre2019,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a file is out of date")
    parser.add_argument("--out", type=Path, default=RUBRICS, help="output folder (default: rubrics/)")
    args = parser.parse_args(argv)
    stale = []
    for name, make in OUTPUTS.items():
        text = make()
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run rubrics/tools/gen_annual_reports.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
