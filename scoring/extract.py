"""``scoring extract``: read a published annual report (plain text) into a draft submission.

Plain regular expressions, no guessing beyond what the text says:

* the parts of the report, by their headings (``二、主动公开政府信息情况``, ``(3)政府信息公开的收费
  及减免情况``, ``一是积极抓好主动公开工作``);
* the publication date (``发布日期:2011-01-14``, ``日期:2019-03-04``) and the date the report is
  signed (a line that is only a date, also in Chinese numerals: ``二O一一年一月十日``);
* figures in sentences (``全年共主动公开政务信息2100条``, ``其中网络申请2件、书信申请27件``) and in
  pipe-flattened tables (``21 | (一)收到申请数 | 件 | 2 |``, the unified format's Tables 2–4).

:func:`extract` is pure (text in, :class:`Extraction` out); :func:`draft_yaml` writes the draft for
a rubric: every fact of the rubric, the ones found filled in with the sentence they came from as a
YAML comment, the others ``~``, and a list of what was not found. Provenance stays in comments
because the submission format has no place for it; the draft validates once the evaluator has
completed the required facts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs

from . import model as m
from .textual import width
from .yamltext import comment as one_line
from .yamltext import quoted

FORMATS = ("2008", "2019", "2021")

# -- result ------------------------------------------------------------------------------------


@attrs.frozen
class Found:
    """A value read from the report, where it stands and how it was read."""

    value: Any
    line: int  # 1-based line in the report
    text: str  # the sentence or table row it came from
    how: str = ""  # e.g. "推断" for values inferred rather than read


@attrs.frozen
class Extraction:
    format: str
    facts: dict[str, Found]
    parts: dict[str, Found]  # part label (as in the rubric's options) -> heading
    agency: Found | None
    year: Found | None
    # figures read but not used for a fact: (what, found)
    also: tuple[tuple[str, Found], ...] = ()


# -- text helpers ------------------------------------------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "O": 0,
    "o": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_STOP = "，,。；;：:！？!?"


@attrs.frozen
class _Sentence:
    line: int
    start: int  # offset in the normalised text
    text: str


def _normalise(text: str) -> str:
    return text.translate(_FULLWIDTH).replace("\xa0", " ").replace("\u3000", " ").replace("\r", "")


def _sentences(lines: list[str]) -> list[_Sentence]:
    out: list[_Sentence] = []
    offset = 0
    for number, line in enumerate(lines, 1):
        for match in re.finditer(r"[^。；;！？!?]+[。；;！？!?]?", line):
            piece = match.group().strip()
            if piece:
                out.append(_Sentence(number, offset + match.start(), piece))
        offset += len(line) + 1
    return out


def _quote(text: str, around: tuple[int, int] | None = None, limit: int = 90) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if around is None:
        return text[: limit - 1] + "…"
    lo = max(0, min(around[0] - limit // 3, len(text) - limit))
    piece = text[lo : lo + limit]
    return ("…" if lo > 0 else "") + piece + ("…" if lo + limit < len(text) else "")


def chinese_number(text: str) -> int | None:
    """``十`` → 10, ``二十一`` → 21, ``三十`` → 30, ``九`` → 9; digit strings as they are."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for char in text:
        value = value * 10 + _CN_DIGITS[char]
    return value


_CN_DATE = re.compile(
    r"([〇○Oo零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?")


def _iso(year: int, month: int, day: int) -> str | None:
    import datetime as dt

    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``: ``2019-03-05``, ``2019年2月26日``, ``二O一一年一月十日``."""
    match = _DATE.search(text)
    if match:
        return _iso(*(int(g) for g in match.groups()))
    match = _CN_DATE.search(text)
    if match:
        parts = [chinese_number(g) for g in match.groups()]
        if None not in parts:
            return _iso(*parts)  # type: ignore[arg-type]
    return None


# -- headings and parts ------------------------------------------------------------------------

_ENUM = r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|[（(]\d+[)）]|\d+[、．.](?!\d))"
_HEADING = re.compile(rf"(?:^|(?<=[。：:]))\s*({_ENUM})\s*([^{_STOP}\n]{{2,60}})")
_SHI_HEADING = re.compile(r"^\s*([一二三四五六七八九十]是)\s*([^，,。；;：:！？!?\n]{2,40})")


@attrs.frozen
class _Heading:
    line: int
    level: int
    offset: int
    text: str  # enumerator + title
    title: str


def _level(enum: str) -> int:
    if enum.endswith("、") and not enum[0].isdigit():
        return 1
    if re.match(r"[（(][一二三四五六七八九十]", enum):
        return 2
    if enum.endswith("是"):
        return 4
    return 3


def _headings(lines: list[str]) -> list[_Heading]:
    out: list[_Heading] = []
    offset = 0
    for number, line in enumerate(lines, 1):
        if "|" not in line:
            for match in _HEADING.finditer(line):
                enum, title = match.group(1), match.group(2).strip()
                out.append(_Heading(number, _level(enum), offset + match.start(1), enum + title, title))
            match = _SHI_HEADING.match(line)
            if match:
                out.append(
                    _Heading(
                        number, 4, offset + match.start(1), match.group(1) + match.group(2), match.group(2).strip()
                    )
                )
        offset += len(line) + 1
    out.sort(key=lambda h: h.offset)
    return out


PROBLEM_WORDS = r"问题|不足|困境|差距|困难"
MEASURE_WORDS = r"改进|措施|打算|思路|安排|计划|下一步|下步|努力方向"
# (rubric option label, keywords a heading must contain)
PARTS_2008 = [
    ("主动公开政府信息的情况", r"主动公开"),
    ("依申请公开政府信息和不予公开政府信息的情况", r"依申请|申请公开|不予公开"),
    ("政府信息公开的收费及减免情况", r"收费"),
    ("因政府信息公开申请行政复议、提起行政诉讼的情况", r"复议|诉讼"),
    ("政府信息公开工作存在的主要问题及改进情况", None),  # problems and measures, see below
    ("其他需要报告的事项", r"其他需要报告|其他事项|其它需要报告"),
]
PARTS_UNIFIED = [
    ("一、总体情况", r"总体情况|概述|基本情况"),
    ("二、主动公开政府信息情况", r"主动公开"),
    ("三、收到和处理政府信息公开申请情况", r"收到和处理|依申请"),
    ("四、政府信息公开行政复议、行政诉讼情况", r"复议|诉讼"),
    ("五、存在的主要问题及改进情况", None),
    ("六、其他需要报告的事项", r"其他需要报告|其它需要报告"),
    ("工作考核、社会评议和责任追究结果情况", r"工作考核|社会评议|责任追究"),
]


def _section(headings: list[_Heading], pattern: str) -> tuple[int, int] | None:
    """Offsets of the first section whose heading matches ``pattern``: up to the next heading
    of the same or a higher level."""
    for i, heading in enumerate(headings):
        if re.search(pattern, heading.title):
            end = next((h.offset for h in headings[i + 1 :] if h.level <= heading.level), 10**9)
            return heading.offset, end
    return None


# -- sentence figures --------------------------------------------------------------------------

# a figure has at most 18 digits (as in YAML): a longer run of digits is not a figure, and int() of
# 5,000 digits was a ValueError (Python's int digit limit)
MAX_NAME_CANDIDATES = 50  # distinct body names weighed when a report has neither title nor signature
_N = r"(?<!\d)(\d{1,18})(?!\d)\s*"
_GAP = rf"[^{_STOP}\d]"
_ANY = rf"[^{_STOP}]"


@attrs.frozen
class _Pattern:
    fact: str
    regex: re.Pattern[str]
    value: int | None = None  # a constant (e.g. 0 for "没有收到申请") instead of group 1
    section: str = ""  # the mention inside this part's section is preferred
    exclude: str = ""  # skip a match whose text contains this


def _p(fact: str, regex: str, value: int | None = None, section: str = "", exclude: str = "") -> _Pattern:
    return _Pattern(fact, re.compile(regex), value, section, exclude)


PROACTIVE = r"主动公开"
REQUESTS = r"依申请|申请公开|收到和处理"
SENTENCE_2008 = [
    # totals before channels: a number is used once, by the first pattern that takes it
    _p(
        "published_total",
        rf"(?:全年|共|累计|总计|合计){_ANY}{{0,12}}?(?:主动)?(?:公开|发布){_GAP}{{0,10}}?信息{_GAP}{{0,3}}?{_N}条",
        section=PROACTIVE,
    ),
    _p("published_total", rf"主动公开(?:的)?(?:政府|政务)?信息{_N}条", section=PROACTIVE),
    # the body's own website only: 门户网站, 政府网站, 委/局网站 — not "在市级网站发布"
    _p(
        "published_website",
        rf"(?:门户网站|政府网站|[委局办厅]网站|本(?:部门|单位|机关)?网站){_ANY}{{0,12}}?(?:发布|公开)"
        rf"{_GAP}{{0,12}}?{_N}条",
        section=PROACTIVE,
    ),
    _p("published_weibo", rf"微博{_ANY}{{0,12}}?(?:发布|公开){_GAP}{{0,12}}?{_N}条", section=PROACTIVE),
    _p("published_weixin", rf"微信{_ANY}{{0,12}}?(?:发布|公开){_GAP}{{0,12}}?{_N}条", section=PROACTIVE),
    _p(
        "published_print",
        rf"(?:刊物|报刊|公报){_GAP}{{0,8}}?(?:发布|公开|刊登)?{_GAP}{{0,8}}?{_N}条",
        section=PROACTIVE,
    ),
    _p("published_other", rf"其他(?:渠道|方式|平台|途径){_GAP}{{0,10}}?{_N}条", section=PROACTIVE),
    _p(
        "requests_received",
        rf"(?:受理|收到|接到|处理|办理){_ANY}{{0,14}}?(?:依申请公开|信息公开申请|公开申请){_GAP}{{0,6}}?{_N}(?:件|个|项)",
        section=REQUESTS,
    ),
    _p(
        "requests_received",
        rf"(?:未|没有)(?:收到|受理|接到){_ANY}{{0,10}}?(?:公开申请|依申请公开)",
        0,
        section=REQUESTS,
        exclude="复议",
    ),
    _p("requests_received", r"暂无依申请公开", 0, section=REQUESTS),
    _p("requests_in_person", rf"(?:当面|现场)申请{_N}件"),
    _p("requests_fax", rf"传真申请{_N}件"),
    _p("requests_online", rf"(?:网络|网上|在线|电子邮件)申请{_N}件"),
    _p("requests_letter", rf"(?:信函|书信|来信|邮寄)申请{_N}件"),
    _p("review_total", rf"行政复议(?:申请|案件)?{_N}件"),
    _p("review_total", rf"(?:没有|未|无){_ANY}{{0,30}}?行政复议", 0),
    _p("litigation_total", rf"行政诉讼(?:案件)?{_N}件"),
    _p("litigation_total", rf"(?:没有|未|无){_ANY}{{0,40}}?诉讼", 0),
    _p("request_fees", r"(?:未|没有|不)收取(?:任何)?费用|没有收费|未收费|免费", 0),
    _p("staff_full_time", rf"{_N}名专职"),
    _p("staff_part_time", rf"{_N}名兼职"),
]
SENTENCE_UNIFIED = [
    _p(
        "published_total",
        rf"(?:全年|共|累计|总计|合计){_ANY}{{0,12}}?(?:主动)?(?:公开|发布){_GAP}{{0,10}}?信息{_GAP}{{0,3}}?{_N}条",
    ),
    _p("published_total", rf"主动公开(?:的)?(?:政府|政务)?信息{_N}条"),
    _p(
        "narrative_requests_new",
        rf"(?:新收|收到|受理){_ANY}{{0,10}}?(?:政府信息公开申请|依申请公开申请|公开申请){_GAP}{{0,4}}?{_N}件",
    ),
    _p("narrative_review_total", rf"行政复议(?:申请|案件)?{_N}件"),
    _p("narrative_review_total", rf"(?:没有|未|无){_ANY}{{0,20}}?行政复议", 0),
    _p("narrative_suit_total", rf"行政诉讼(?:案件)?{_N}件"),
    _p("narrative_suit_total", rf"(?:没有|未|无){_ANY}{{0,30}}?行政诉讼", 0),
    _p("narrative_normative_made", rf"(?:制发|制定|出台|印发|新制作)(?:行政)?规范性文件{_N}件"),
]
# a second mention of the same figure goes to the rubric's "另一处" fact, where there is one
NARRATIVE_OF = {
    "published_total": "narrative_published_total",
    "published_website": "narrative_published_website",
    "published_weibo": "narrative_published_weibo",
    "requests_received": "narrative_requests_received",
}
COMPARISON = re.compile(r"同比|比上年|较上年|较去年|比去年|与上年相比|与去年相比|上年同期|比上一年|较上一年")


# -- tables ------------------------------------------------------------------------------------

# 2008-era statistics table (seed 001, 附件2): normalised row label (prefix) -> fact, by block
STATS_ROWS: list[tuple[str, str, str]] = [
    ("", "主动公开政府信息总数", "published_total"),
    ("", "规范性文件数", "published_normative"),
    ("", "制发规范性文件总数", "normative_issued"),
    ("", "在本部门门户网站公开政府信息数", "published_website"),
    ("", "门户网站公开政府信息数", "published_website"),
    ("", "政务微博公开政府信息数", "published_weibo"),
    ("", "政务微信公开政府信息数", "published_weixin"),
    ("", "其他方式公开政府信息数", "published_other"),
    ("", "回应公众关注热点或重大舆情数", "hotspots_responded"),
    ("", "参加或举办新闻发布会次数", "press_conferences"),
    ("", "主要负责同志参加新闻发布会次数", "press_conferences_head"),
    ("", "政府网站在线访谈或电视问政访谈数", "interviews"),
    ("", "主要负责同志参加在线访谈或电视问政访谈数", "interviews_head"),
    ("", "政策解读稿件发布数", "interpretations"),
    ("", "微博微信回应事件数", "responses_weibo_weixin"),
    ("", "其它方式回应事件数", "responses_other"),
    ("", "收到申请数", "requests_received"),
    ("", "当面申请数", "requests_in_person"),
    ("", "传真申请数", "requests_fax"),
    ("", "网络申请数", "requests_online"),
    ("", "信函申请数", "requests_letter"),
    ("", "申请办结数", "requests_closed"),
    ("", "按时办结数", "requests_closed_on_time"),
    ("", "延期办结数", "requests_closed_extended"),
    ("", "答复申请数", "replies_total"),
    ("", "属于已主动公开范围数", "replies_already_public"),
    ("", "同意公开答复数", "replies_granted"),
    ("", "同意部分公开答复数", "replies_partial"),
    ("", "不同意公开答复数", "replies_refused"),
    ("", "涉及国家秘密", "refused_state_secret"),
    ("", "涉及商业秘密", "refused_commercial_secret"),
    ("", "涉及个人隐私", "refused_privacy"),
    ("", "危及国家安全", "refused_security"),
    ("", "不是《政府信息公开条例》所指应公开的政府信息", "refused_not_gov_info"),
    ("", "法律法规规定的其他情形", "refused_other_legal"),
    ("", "不属于本行政机关公开数", "replies_not_this_agency"),
    ("", "申请信息不存在数", "replies_not_exist"),
    ("", "告知作出更改补充数", "replies_amend"),
    ("", "告知通过其它途径办理数", "replies_other_channel"),
    ("", "行政复议数量", "review_total"),
    ("review", "维持具体行政行为数", "review_upheld"),
    ("review", "被依法纠错数", "review_corrected"),
    ("review", "其它情形数", "review_other"),
    ("", "行政诉讼数量", "litigation_total"),
    ("litigation", "维持具体行政行为或者驳回原告诉讼请求数", "litigation_upheld"),
    ("litigation", "被依法纠错数", "litigation_corrected"),
    ("litigation", "其它情形数", "litigation_other"),
    ("", "举报投诉数量", "complaints"),
    ("", "依申请公开信息收取的费用", "request_fees"),
    ("", "政务公开工作专门机构数", "dedicated_units"),
    ("", "设置政府信息公开查阅点数", "reading_points"),
    ("", "从事政务公开工作人员数", "staff_total"),
    ("", "专职人员数", "staff_full_time"),
    ("", "兼职人员数", "staff_part_time"),
    ("", "政务公开专项经费", "special_funds"),
    ("", "召开政务公开工作会议或专题会议数", "meetings"),
    ("", "举办各类培训班", "trainings"),
    ("", "接受培训人数", "trainees"),
    ("", "是否设立实体办事大厅", "has_service_hall"),
    ("", "是否与监察系统联网", "linked_to_supervision"),
    ("", "部门网站是否具备网上办事功能", "online_service"),
]
T3_ROW_WORDS = [  # most specific first
    ("逾期不补正", "misc_uncorrected"),
    ("缴纳费用", "misc_unpaid"),
    ("本年新收", "new"),
    ("上年结转", "carry"),
    ("结转下年度", "next"),
    ("部分公开", "partial"),
    ("予以公开", "open"),
    ("国家秘密", "deny_secret"),
    ("其他法律行政法规禁止公开", "deny_law"),
    ("三安全一稳定", "deny_safety"),
    ("第三方合法权益", "deny_third_party"),
    ("三类内部事务", "deny_internal"),
    ("四类过程性", "deny_process"),
    ("行政执法案卷", "deny_enforcement"),
    ("行政查询事项", "deny_query"),
    ("不掌握", "unable_not_held"),
    ("另行制作", "unable_create"),
    ("仍不明确", "unable_unclear"),
    ("信访举报投诉", "reject_petition"),
    ("重复申请", "reject_repeat"),
    ("公开出版物", "reject_publication"),
    ("大量反复申请", "reject_mass"),
    ("确认或重新出具", "reject_confirm"),
]
T3_COLUMNS = ["natural", "commercial", "research", "nonprofit", "legal", "org_other", "total"]
T4_BLOCKS = ["review", "suit_direct", "suit_after"]
T4_COLUMNS = ["upheld", "corrected", "other", "pending", "total"]
T2_ROWS = {
    "2021": [
        ("行政规范性文件", ["t2_normative_made", "t2_normative_repealed", "t2_normative_valid"]),
        ("规范性文件", ["t2_normative_made", "t2_normative_repealed", "t2_normative_valid"]),
        ("规章", ["t2_rules_made", "t2_rules_repealed", "t2_rules_valid"]),
        ("行政许可", ["t2_license_decisions"]),
        ("行政处罚", ["t2_penalty_decisions"]),
        ("行政强制", ["t2_coercion_decisions"]),
        ("行政事业性收费", ["t2_fees_amount"]),
    ],
    "2019": [
        ("规范性文件", ["t2_normative_made", "t2_normative_published", "t2_normative_public_total"]),
        ("规章", ["t2_rules_made", "t2_rules_published", "t2_rules_public_total"]),
        ("行政许可", ["t2_license_prev", "t2_license_change", "t2_license_decisions"]),
        ("其他对外管理服务事项", ["t2_services_prev", "t2_services_change", "t2_services_decisions"]),
        ("行政处罚", ["t2_penalty_prev", "t2_penalty_change", "t2_penalty_decisions"]),
        ("行政强制", ["t2_coercion_prev", "t2_coercion_change", "t2_coercion_decisions"]),
        ("行政事业性收费", ["t2_fees_prev", "t2_fees_change"]),
        ("政府集中采购", ["t2_procurement_items", "t2_procurement_amount"]),
    ],
}
_NUMBER = re.compile(r"^[-+]?\d{1,18}(?:\.\d{1,18})?$")
_BLANK_CELL = {"", "—", "-", "－", "/", "／", "——"}


def _cells(line: str) -> list[str]:
    cells = [c.strip() for c in line.split("|")]
    if line.rstrip().endswith("|"):
        cells = cells[:-1]
    return cells


def _number(text: str) -> int | Decimal:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text else value


def _split_row(line: str) -> tuple[str, list[str]] | None:
    """A table row as (label, value cells after the label); None if it has no numeric part."""
    cells = _cells(line)
    labels = [i for i, c in enumerate(cells) if re.search(r"[\u4e00-\u9fff]", c) and c not in ("是", "否")]
    start = labels[-1] + 1 if labels else 0
    label = "".join(cells[i] for i in labels).replace(" ", "")
    values = cells[start:]
    if not values or not all(v in _BLANK_CELL or _NUMBER.match(v) or v in ("是", "否") for v in values):
        return None
    return label, values


def _clean_label(label: str) -> str:
    label = label.replace(" ", "")
    label = re.sub(r"^(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.、．])", "", label)
    return re.sub(r"^其中[，,：:]?", "", label)


# -- extraction --------------------------------------------------------------------------------


class _Reader:
    def __init__(self, text: str) -> None:
        self.raw_lines = text.splitlines()
        self.lines = [_normalise(line) for line in self.raw_lines]
        self.sentences = _sentences(self.lines)
        self.headings = _headings(self.lines)
        self.facts: dict[str, Found] = {}
        self.also: list[tuple[str, Found]] = []
        self.used: set[tuple[int, int, str]] = set()  # numbers (and constant readings) already used

    def line_text(self, number: int) -> str:
        return self.raw_lines[number - 1].strip()

    def put(self, fact: str, found: Found, narrative: str | None = None) -> None:
        """Keep the first (preferred) value; a further, different mention goes to the
        narrative fact if there is one, else to ``also``."""
        if fact not in self.facts:
            self.facts[fact] = found
        elif narrative and narrative not in self.facts:
            self.facts[narrative] = found
        else:
            self.also.append((fact, found))

    # -- sentences ----------------------------------------------------------------------------
    def sentence_figures(self, patterns: list[_Pattern], narrative_of: dict[str, str]) -> None:
        hits: dict[str, list[tuple[bool, int, Found]]] = {}
        sections: dict[str, tuple[int, int] | None] = {}
        for sentence in self.sentences:
            if "|" in sentence.text:
                continue
            for pattern in patterns:
                for match in pattern.regex.finditer(sentence.text):
                    if pattern.exclude and pattern.exclude in match.group():
                        continue
                    # a number is used once; a constant ("没有…复议和诉讼") once per fact
                    key = (
                        (sentence.line, sentence.start + match.start(1), "")
                        if pattern.value is None
                        else (sentence.line, sentence.start + match.start(), pattern.fact)
                    )
                    if key in self.used:
                        continue
                    self.used.add(key)
                    value = pattern.value if pattern.value is not None else int(match.group(1))
                    where = None
                    if pattern.section:  # once per pattern: per match it was quadratic (0.87 MB: 176 s)
                        if pattern.section not in sections:
                            sections[pattern.section] = _section(self.headings, pattern.section)
                        where = sections[pattern.section]
                    inside = bool(where and where[0] <= sentence.start < where[1])
                    span = (match.start(), match.end())
                    found = Found(value, sentence.line, _quote(sentence.text, span))
                    hits.setdefault(pattern.fact, []).append((inside, len(hits.get(pattern.fact, [])), found))
        for fact, mentions in hits.items():
            # the mention inside the relevant part comes first, then the rest in reading order
            mentions.sort(key=lambda h: (not h[0], h[1]))
            for _, _, found in mentions:
                self.put(fact, found, narrative_of.get(fact))

    def categories(self) -> None:
        """``其中服务职能类信息20条,工作动态类信息890条,…,其他公开信息1097条``."""
        item = re.compile(
            r"^(?:其中|主动公开(?:的)?(?:政府|政务)?信息中)?[:：]?([\u4e00-\u9fff]{2,10}?)(?:类(?:信息)?|(?<=其他)[\u4e00-\u9fff]{0,4}?信息)(\d{1,18})条$"
        )
        for sentence in self.sentences:
            pieces = [p.strip() for p in re.split(r"[，,、；;。]", sentence.text) if p.strip()]
            items = []
            for piece in pieces:
                match = item.match(piece)
                if match and ("类" in piece or piece.startswith("其他")):
                    items.append((match.group(1).removesuffix("公开"), int(match.group(2))))
            if len(items) >= 3:
                quote = _quote(sentence.text)
                for i, (label, count) in enumerate(items[:8], 1):
                    self.put(f"category_{i}_label", Found(label + "类", sentence.line, quote))
                    self.put(f"category_{i}", Found(count, sentence.line, quote))
                return

    # -- tables -------------------------------------------------------------------------------
    def statistics_table(self) -> bool:
        block = ""
        seen = False
        for number, line in enumerate(self.lines, 1):
            if "|" not in line:
                continue
            cells = _cells(line)
            if len(cells) < 3:
                continue
            raw = (cells[1] if cells[0].isdigit() else cells[0]).replace(" ", "")
            if re.match(r"^[一二三四五六七八九十]+、", raw):  # a top-level row opens a block
                block = "review" if "行政复议" in raw else "litigation" if "行政诉讼" in raw else ""
            label = _clean_label(raw)
            # a block-specific row (复议/诉讼 “被依法纠错数”) wins over a general one with the same prefix
            fact = next((f for b, prefix, f in STATS_ROWS if b and b == block and label.startswith(prefix)), None)
            fact = fact or next((f for b, prefix, f in STATS_ROWS if not b and label.startswith(prefix)), None)
            if fact is None:
                continue
            seen = True
            value = cells[-1]
            quote = _quote(self.line_text(number))
            if value in ("是", "否"):
                self.put(fact, Found(value, number, quote))
            elif _NUMBER.match(value):
                self.put(fact, Found(_number(value), number, quote))
        return seen

    def unified_tables(self, fmt: str) -> None:
        group = ""
        for number, line in enumerate(self.lines, 1):
            if "|" not in line:
                continue
            row = _split_row(line)
            if row is None:
                continue
            label, values = row
            quote = _quote(self.line_text(number))
            for word in ("不予公开", "无法提供", "不予处理", "其他处理"):
                if word in label:
                    group = word
            # Table 4: one row of 15 cells, or one row of 5 cells per block
            if len(values) == 15 and not label:
                for i, block in enumerate(T4_BLOCKS):
                    for j, col in enumerate(T4_COLUMNS):
                        self.cell(f"t4_{block}_{col}", values[i * 5 + j], number, quote)
                continue
            if len(values) == 5:
                block = (
                    "suit_after"
                    if "复议后" in label
                    else "suit_direct"
                    if "直接起诉" in label
                    else "review"
                    if "复议" in label
                    else ""
                )
                if block:
                    for j, col in enumerate(T4_COLUMNS):
                        self.cell(f"t4_{block}_{col}", values[j], number, quote)
                    continue
            if len(values) == 7:
                key = next((k for word, k in T3_ROW_WORDS if word in label), None)
                if key is None and "总计" in label:
                    key = "total"
                if key is None and group == "其他处理":
                    key = (
                        "misc" if fmt == "2019" else ("misc_other" if re.search(r"其他$|3[.．、]其他", label) else None)
                    )
                if key:
                    for j, col in enumerate(T3_COLUMNS):
                        self.cell(f"t3_{key}_{col}", values[j], number, quote)
                continue
            # a narrower block may end in empty cells ("行政事业性收费 | 0 | 0 | |")
            for word, ids in T2_ROWS[fmt]:
                if (
                    label.endswith(word)
                    and len(values) >= len(ids)
                    and all(v in _BLANK_CELL for v in values[len(ids) :])
                ):
                    values = values[: len(ids)]
                    for fact, value in zip(ids, values, strict=True):
                        self.cell(fact, value, number, quote)
                    break

    def cell(self, fact: str, value: str, number: int, quote: str) -> None:
        if _NUMBER.match(value) and fact not in self.facts:
            self.facts[fact] = Found(_number(value), number, quote)

    # -- dates, year, agency ------------------------------------------------------------------
    def dates(self) -> None:
        for number, line in enumerate(self.lines, 1):
            match = re.search(r"(成文|发布|公开|印发|发文)?(?:日期|时间)\s*[:：]\s*(\S.*)", line)
            if match:
                iso = parse_date(match.group(2))
                if iso:
                    self.put("dated" if match.group(1) == "成文" else "published", Found(iso, number, _quote(line)))
        for number in range(len(self.lines), 0, -1):
            line = self.lines[number - 1].strip()
            if line and (_DATE.fullmatch(line) or _CN_DATE.fullmatch(line)):
                iso = parse_date(line)
                if iso:
                    self.put("dated", Found(iso, number, line))
                    return

    def title(self) -> tuple[int, str] | None:
        for number, line in enumerate(self.lines[:15], 1):
            text = line.strip()
            if len(text) <= 60 and re.search(r"\d{4}\s*年", text) and re.search(r"报告|总结", text) and "|" not in text:
                return number, text
        return None

    def year(self) -> Found | None:
        title = self.title()
        if title:
            match = re.search(r"(\d{4})\s*年", title[1])
            if match:
                return Found(int(match.group(1)), title[0], title[1])
        for sentence in self.sentences:
            match = re.search(r"(\d{4})\s*年", sentence.text)
            if match and 2000 <= int(match.group(1)) <= 2100:
                return Found(int(match.group(1)), sentence.line, _quote(sentence.text, match.span()), "推断")
        return None

    def agency(self) -> Found | None:
        suffix = r"(?:人民政府|委员会|办公室|局|委|办|厅|中心|政府)"
        title = self.title()
        if title:
            match = re.match(r"^(.*?)\d{4}\s*年度?(.*?)(?:政府信息公开|政务信息公开|政务公开|信息公开)", title[1])
            if match:
                name = (match.group(1) or match.group(2)).strip()
                if name:
                    for number, line in enumerate(self.lines[:10], 1):
                        text = line.strip()
                        if name in text and text != title[1] and len(text) <= 30 and re.search(suffix + "$", text):
                            return Found(text, number, text)
                    return Found(name, title[0], title[1])
        dated = self.facts.get("dated")
        if dated and dated.line > 1:
            above = self.lines[dated.line - 2].strip()
            if above and len(above) <= 30 and re.search(suffix + "$", above):
                return Found(above, dated.line - 1, above)
        # no title, no signature: the place-and-body name whose body part the text repeats most
        # ("随州市住建委" in a report that says "市住建委" throughout)
        text = "\n".join(self.lines)
        place = r"[^\W\d_a-zA-Z和的在及与对了是为把被从向按照关于]"
        names = list(
            re.finditer(rf"({place}{{2,3}}(?:市|县|区|旗|州|盟))([\u4e00-\u9fff]{{2,6}}?(?:委员会|委|局|厅))", text)
        )
        if names:
            # each distinct name counted once, and only the most frequent few: text.count() for every
            # match was quadratic (1.68 MB of "东胜区住建局，": 120 s)
            first: dict[str, re.Match[str]] = {}
            for n in names:
                first.setdefault(n.group(), n)
            often = Counter(n.group() for n in names).most_common(MAX_NAME_CANDIDATES)
            counts: dict[str, int] = {}

            def seen(part: str) -> int:
                if part not in counts:
                    counts[part] = text.count(part)
                return counts[part]

            candidates = [first[name] for name, _ in often]
            best = max(candidates, key=lambda n: (seen(n.group(2)), seen(n.group(1)), -n.start()))
            number = text[: best.start()].count("\n") + 1
            return Found(best.group(), number, _quote(self.lines[number - 1], (best.start(), best.end())), "推断")
        return None

    # -- parts ---------------------------------------------------------------------------------
    def parts(self, table: list[tuple[str, str | None]]) -> dict[str, Found]:
        out: dict[str, Found] = {}

        def first(pattern: str) -> _Heading | None:
            return next((h for h in self.headings if re.search(pattern, h.title)), None)

        for label, pattern in table:
            if pattern is None:
                problems, measures = first(PROBLEM_WORDS), first(MEASURE_WORDS)
                if problems and measures:
                    text = problems.text if problems is measures else f"{problems.text}；{measures.text}"
                    out[label] = Found(True, problems.line, _quote(text))
                continue
            heading = first(pattern)
            if heading:
                out[label] = Found(True, heading.line, _quote(heading.text))
        return out

    def flags(self) -> None:
        problems = next((h for h in self.headings if re.search(PROBLEM_WORDS, h.title)), None)
        measures = next((h for h in self.headings if re.search(MEASURE_WORDS, h.title)), None)
        if problems:
            self.put("problems_stated", Found("是", problems.line, _quote(problems.text)))
        if measures:
            self.put("improvements_stated", Found("是", measures.line, _quote(measures.text)))
        for sentence in self.sentences:
            match = COMPARISON.search(sentence.text)
            if match:
                self.put("compares_previous_year", Found("是", sentence.line, _quote(sentence.text, match.span())))
                break


def detect_format(text: str, year: int | None) -> str:
    """2021 or 2019 by the unified tables' own wording, else by the report's year."""
    if re.search(r"本年制发件数|逾期不补正|逾期未按收费通知", text):
        return "2021"
    if re.search(r"本年新制作数量|本年新收政府信息公开申请数量|上年结转政府信息公开申请数量", text):
        return "2019" if year is None or year < 2021 else "2021"
    if year is not None and year >= 2021:
        return "2021"
    if year is not None and year >= 2019:
        return "2019"
    return "2008"


def infer_body(name: str) -> tuple[str | None, str | None]:
    """(body_kind, body_level) from an agency name, or None where the name does not tell."""
    kind = None
    if re.search(r"(?:人民政府|区政府|县政府|市政府|镇政府|乡政府)$", name):
        kind = "人民政府"
    elif re.search(r"(?:街道办事处|办事处)$", name):
        kind = "其他机关"
    elif re.search(r"(?:局|委员会|委|办公室|厅|部|署|中心)$", name):
        kind = "政府部门"
    # the place part: units left to right, each after a 1–6 character name ("荆州市沙市区": 荆州市, then
    # 沙市 is a name, 区 its unit); 市场 (市场监督管理局) and 城乡 are not units
    last = None
    end = 0
    for unit in re.finditer(r"自治区|自治州|省|市(?!场)|州|盟|县|旗|区|(?<!城)乡|镇|街道", name):
        gap = unit.start() - end
        if gap > 6:
            break
        if gap >= 1 or last is not None:
            last = unit.group()
        end = unit.end()
    levels = {
        "自治区": "省级",
        "省": "省级",
        "自治州": "地市级",
        "市": "地市级",
        "州": "地市级",
        "盟": "地市级",
        "县": "县级",
        "旗": "县级",
        "区": "县级",
        "乡": "乡镇级",
        "镇": "乡镇级",
        "街道": "乡镇级",
    }
    level = levels[last] if last else None
    return kind, level


def extract(text: str, fmt: str | None = None) -> Extraction:
    """Read what the report states. ``fmt`` is 2008, 2019 or 2021; by default it is detected."""
    reader = _Reader(text)
    year = reader.year()
    normalised = "\n".join(reader.lines)
    fmt = fmt or detect_format(normalised, year.value if year else None)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    reader.dates()
    if fmt == "2008":
        if reader.statistics_table():
            reader.facts["has_statistics_table"] = Found("是", 0, "报告附有统计表（已按行读出）")
        reader.sentence_figures(SENTENCE_2008, NARRATIVE_OF)
        reader.categories()
        parts = reader.parts(PARTS_2008)
    else:
        reader.unified_tables(fmt)
        reader.sentence_figures(SENTENCE_UNIFIED, {})
        parts = reader.parts(PARTS_UNIFIED)
    reader.flags()
    agency = reader.agency()
    if year:
        reader.facts["report_year"] = year
    if agency:
        kind, level = infer_body(agency.value)
        if kind:
            reader.facts["body_kind"] = Found(kind, agency.line, agency.text, f"由单位名称“{agency.value}”推断")
        if level:
            reader.facts["body_level"] = Found(level, agency.line, agency.text, f"由单位名称“{agency.value}”推断")
    if parts:
        reader.facts["parts_present"] = Found(list(parts), 0, "按标题找到的部分")
    return Extraction(fmt, reader.facts, parts, agency, year, tuple(reader.also))


# -- the draft ---------------------------------------------------------------------------------

KEY_FIGURES = {
    "2008": [
        "published_total",
        "published_website",
        "published_weibo",
        "published_weixin",
        "published_print",
        "published_other",
        "category_1",
        "requests_received",
        "requests_in_person",
        "requests_fax",
        "requests_online",
        "requests_letter",
        "review_total",
        "litigation_total",
        "request_fees",
    ],
    "2019": [
        "published_total",
        "narrative_requests_new",
        "narrative_review_total",
        "narrative_suit_total",
        "narrative_normative_made",
    ],
    "2021": [
        "published_total",
        "narrative_requests_new",
        "narrative_review_total",
        "narrative_suit_total",
        "narrative_normative_made",
    ],
}
ALWAYS = [
    "report_year",
    "body_kind",
    "body_level",
    "published",
    "dated",
    "compares_previous_year",
    "problems_stated",
    "improvements_stated",
]
FORMAT_NAMES = {
    "2008": "2008年条例时期的年度报告（叙述体，可附统计表）",
    "2019": "2019年试行统一格式（国办公开办函〔2019〕60号）",
    "2021": "2021年统一格式（国办公开办函〔2021〕30号）",
}


def _scalar(fact: m.Fact, value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(quoted(str(v)) for v in value) + "]"
    if isinstance(value, bool):
        return '"是"' if value else '"否"'
    if isinstance(value, int | Decimal) and fact.type in ("count", "integer", "decimal"):
        return str(value)
    return quoted(str(value))


def _comment(text: str) -> str:
    return one_line(" ".join(str(text).split()))  # one line, whatever the report or rubric text


def _where(found: Found) -> str:
    if found.line <= 0:
        return _comment(found.text)
    return f"第 {found.line} 行“{_comment(found.text)}”"


def draft_yaml(ex: Extraction, rubric: m.Rubric, source: str) -> str:
    """The draft submission for ``rubric``: every fact, found ones filled with their source."""
    facts = {k: v for k, v in ex.facts.items() if k in rubric.fact_index}
    dropped = sorted(k for k in ex.facts if k not in rubric.fact_index)
    out: list[str] = [
        f"# 年度报告草稿：由 scoring extract 从“{_comment(source)}”读出",
        f"# 格式：{FORMAT_NAMES[ex.format]}；评分细则 {rubric.id}（{_comment(rubric.title)}）",
        "#",
        "# 这是待补全的草稿。数值旁的注释是它在报告中的出处（行号和原句），请逐项对照原文核对；",
        "# “~”表示没有读到。补全后检查并评分：",
        "#   scoring validate 本文件",
        "#   scoring score 本文件 --format table",
        "#",
    ]
    part_options = next((f.options for f in rubric.facts if f.id == "parts_present"), ())
    if part_options:
        out.append("# 按标题找到的部分：")
        for label in part_options:
            if label in ex.parts:
                out.append(f"#   - {_comment(label)} ← {_where(ex.parts[label])}")
        out.append("# 没有找到标题的部分（请在正文中核对，确无再保留缺项）：")
        missing_parts = [label for label in part_options if label not in ex.parts]
        out += [f"#   - {_comment(label)}" for label in missing_parts] or ["#   （无）"]
    not_found = [f for f in ALWAYS + KEY_FIGURES[ex.format] if f in rubric.fact_index and f not in facts]
    missing = [f"{rubric.fact_index[f].label}（{f}）" for f in not_found] + list(_table_coverage(rubric, facts))
    out.append("# 没有读到的主要数字和事项：")
    out += [f"#   - {_comment(line)}" for line in missing] or ["#   （无）"]
    if ex.also:
        out.append("# 另见（读到但未填入的其他说法，请核对）：")
        for fact, found in ex.also:
            label = rubric.fact_index[fact].label if fact in rubric.fact_index else fact
            out.append(f"#   - {_comment(label)}：{_comment(found.value)} ← {_where(found)}")
    if dropped:
        out.append("# 本细则没有对应事实、未填入的读数：" + _comment("、".join(dropped)))
    out.append("")
    out.append(f"rubric: {{id: {rubric.id}, version: {quoted(rubric.version)}}}")
    out.append("")
    out.append("agency:")
    if ex.agency:
        note = "（推断，请核对）" if ex.agency.how else ""
        out.append(f"  name: {quoted(str(ex.agency.value))}   # 单位名称{note} ← {_where(ex.agency)}")
    else:
        out.append('  name: "（未读出单位名称，请填写）"')
    out.append('  region: ""')
    out.append('  level: ""')
    year = ex.year.value if ex.year else None
    out.append("")
    out.append(f"year: {year if year else '~'}   # 报告年度" + ("" if year else "（未读出，请填写）"))
    out.append("submitted: ~")
    out.append("")
    out.append("facts:")
    previous = None
    for group in rubric.groups:
        out.append(f"  # ───── {_comment(group.label)} ─────")
        for fact_id in group.facts:
            fact = rubric.fact_index[fact_id]
            found = facts.get(fact_id)
            unit = f"，{fact.unit}" if fact.unit else ""
            if found is None:
                value = "~"
                comment = f"{fact.label}{unit}"
            else:
                value = _scalar(fact, found.value)
                how = f"（{found.how}，请核对）" if found.how else ""
                where = "同上" if (found.line, found.text) == previous else _where(found)
                comment = f"{fact.label}{unit}{how} ← {where}" if fact_id != "parts_present" else fact.label
                previous = (found.line, found.text)
            line = f"  {fact_id}: {value}"
            out.append(line + " " * max(1, 40 - width(line)) + f"  # {_comment(comment)}")
        out.append("")
    out.append('remarks: ""   # 补全时的说明（如：哪些数字是人工补的、依据哪句原文）')
    return "\n".join(out) + "\n"


def _table_coverage(rubric: m.Rubric, facts: dict[str, Found]) -> Iterator[str]:
    for prefix, name in (("t2_", "表二"), ("t3_", "表三"), ("t4_", "表四")):
        cells = [f.id for f in rubric.facts if f.id.startswith(prefix)]
        if cells:
            got = sum(1 for c in cells if c in facts)
            if got < len(cells):
                yield f"{name}：读到 {got}/{len(cells)} 个单元格（未读到的为 ~）"
