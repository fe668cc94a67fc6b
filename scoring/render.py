"""Scorecards: a :class:`~scoring.result.Result` as an A4 Chinese PDF (and HTML).

* :func:`build_card` turns a result into plain strings for the template: every
  number is formatted here (:func:`~scoring.numbers.fmt`); the template only
  prints, with Jinja autoescaping and StrictUndefined.
* :class:`Renderer` loads the templates, fonts and CSS once and renders many
  documents (batch mode keeps one per worker process). Before a PDF is drawn,
  every character to print is checked against the fonts, so nothing vanishes.
* WeasyPrint reads files only through :class:`~scoring.fetcher.SafeFetcher`:
  templates, fonts and data: URLs. Submitted text never reaches CSS or style
  attributes, and evidence URLs are printed as text, never fetched.

WeasyPrint is imported inside :class:`Renderer` (0.5 s), not at module import.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs

from .errors import InputError, Problem, ScoringError
from .gctools import gc_paused
from .numbers import ZERO, fmt, quantize
from .result import KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS, FactValue, NodeResult, Result, show_value
from .tempdirs import private_dir

TEMPLATE = "scorecard.html.j2"
STYLESHEET = "scorecard.css"
TITLE = "政务公开工作考核评分表"
MAX_DEPTH_CLASS = 4  # deeper nodes indent like depth 4
BAR_WIDTH = 100  # SVG viewBox units of a full bar
SUM_REASON = "各子项得分之和"
#: Evidence items printed per criterion (①…⑳); the rest are counted, the result JSON lists all.
MAX_EVIDENCE_PRINTED = 20  # the engine's reason for a plain subtotal: not repeated on every parent row

#: The user-agent stylesheet for scorecards and reports: WeasyPrint's html5_ua.css (BSD licence) cut down
#: to the elements the templates use. The full one gives every element five pseudo-element
#: styles (``::marker``, ``::footnote-call``, ``::note-call``…) and tests attribute selectors
#: (``[dir]``, ``[hidden]``) on every element: a third of the style cascade of a scorecard.
SCORECARD_UA = r"""
head, link, meta, script, style, template, title { display: none }
body, div, h1, h2, h3, html, ol, p, section { display: block }
li { display: list-item }
table { display: table; box-sizing: border-box; border-spacing: 2px; border-collapse: separate;
        text-indent: initial; border-color: gray }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group; vertical-align: middle; border-color: inherit }
tbody { display: table-row-group; vertical-align: middle; border-color: inherit }
tfoot { display: table-footer-group; vertical-align: middle; border-color: inherit }
tr { display: table-row; vertical-align: inherit; border-color: inherit }
td, th { display: table-cell; padding: 1px; vertical-align: inherit; border-color: gray }
b, th { font-weight: bold }
h1 { font-size: 2em; margin-top: .67em; margin-bottom: .67em; bookmark-level: 1 }
h2 { font-size: 1.5em; margin-top: .83em; margin-bottom: .83em; bookmark-level: 2 }
h3 { font-size: 1.17em; margin-top: 1em; margin-bottom: 1em; bookmark-level: 3 }
h1, h2, h3 { font-weight: bold; bookmark-label: content(text); hyphens: manual; break-after: avoid; break-inside: avoid }
p { margin-top: 1em; margin-bottom: 1em }
body { margin: 8px }
ol { margin-top: 1em; margin-bottom: 1em; padding-left: 40px; list-style-type: decimal;
     counter-reset: list-item; break-before: avoid }
li::marker { font-variant-numeric: tabular-nums; white-space: pre; text-transform: none }
br::before { content: "\A"; white-space: pre-line }
small { font-size: smaller }
svg { overflow: hidden }
@page { margin: 75px }
"""


class RenderError(ScoringError):
    """A scorecard cannot be rendered (templates, fonts, libraries, output)."""


class GlyphError(RenderError):
    """Some characters to print are not in the scorecard's fonts."""

    def __init__(self, missing: list[tuple[str, list[str]]]) -> None:
        self.missing = missing  # [(character, [where, ...]), ...]
        parts = []
        for ch, places in missing:
            where = "、".join(places[:3]) + (f" 等 {len(places)} 处" if len(places) > 3 else "")
            parts.append(f"“{_visible(ch)}”（{describe_char(ch)}）出现在：{where}")
        super().__init__(
            "评分表字体中没有以下字符，打印出来会是空白，已停止生成：\n  "
            + "\n  ".join(parts)
            + "\n请核对：录入有误的请改正；确属规范用字（如人名、地名用字）的，请联系系统维护人员补充字体。"
        )


def describe_char(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    category = unicodedata.category(ch)
    if category == "Co":
        return f"{code}，私用区字符，没有标准字形"
    if category in ("Cc", "Cf", "Cs", "Cn"):
        return f"{code}，不可见的控制或格式字符"
    name = unicodedata.name(ch, "")
    if name.startswith("CJK UNIFIED IDEOGRAPH") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
        return f"{code}，生僻汉字"
    return f"{code} {name}".strip()


def _visible(ch: str) -> str:
    return ch if unicodedata.category(ch)[0] not in "CZ" else f"U+{ord(ch):04X}"


# -- the view model: plain strings, computed here ------------------------------------------------


@attrs.frozen
class Card:
    """What the template prints, plus where each piece of text came from (for glyph errors)."""

    data: dict[str, Any]
    sources: tuple[tuple[str, str], ...]  # (Chinese description of the field, text)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def signed(value: Decimal | None) -> str:
    """Difference as printed: ``+2``, ``−1.5``, ``0``; blank when there is none."""
    if value is None:
        return ""
    if value > 0:
        return f"+{fmt(value)}"
    if value < 0:
        return f"−{fmt(-value)}"
    return "0"


def percent(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "—"
    return f"{quantize(part / whole * 100, 1)}%"


def bar(part: Decimal, whole: Decimal) -> str:
    """Width of a bar in SVG units (0..BAR_WIDTH), as text for an attribute."""
    if whole <= 0:
        return "0"
    share = min(max(part / whole, ZERO), Decimal(1))
    return fmt(quantize(share * BAR_WIDTH, 2))


def build_card(result: Result, issued_on: dt.date) -> Card:
    """The scorecard's content as plain strings. Pure: no files, clock or environment."""
    return _CardBuilder(result, issued_on).build()


class _CardBuilder:
    def __init__(self, result: Result, issued_on: dt.date) -> None:
        self.r = result
        self.issued_on = issued_on
        self.sources: list[tuple[str, str]] = []
        self.numbers = _numbering(result.nodes)
        self.by_id = {n.id: n for n in result.nodes}
        self.children: dict[str, list[NodeResult]] = {}
        for n in result.nodes:
            if n.depth:
                self.children.setdefault(n.parent, []).append(n)

    def t(self, where: str, text: Any) -> str:
        """Record a piece of text with its origin and return it."""
        value = "" if text is None else str(text)
        if value:
            self.sources.append((where, value))
        return value

    def label(self, node_id: str) -> str:
        """``1.2.1 主要领导……`` for lists that point back to the detail table."""
        node = self.by_id.get(node_id)
        number = self.numbers.get(node_id, "")
        title = node.title if node else node_id
        return f"{number} {title}".strip()

    def build(self) -> Card:
        r = self.r
        rubric = r.rubric
        reviewed = any(getattr(n, "reviewed", None) is not None for n in r.nodes)
        review = getattr(r, "review", None)  # totals after an evaluator's review (核定), if any
        pending = [n for n in r.nodes if n.status == "needs_review" and n.kind == "criterion"]
        if review is not None:
            still = set(getattr(review, "pending", ()))
            pending = [n for n in pending if n.id in still]
        vetoes = getattr(r, "final_vetoes", r.vetoes)
        data = {
            "title": TITLE,
            "agency": {
                "name": self.t("被考核单位名称", r.agency.get("name", "")),
                "region": self.t("所属地区", r.agency.get("region", "")) or "—",
                "level": self.t("单位层级", r.agency.get("level", "")) or "—",
            },
            "year": f"{r.year}年度",
            "rubric": {
                "title": self.t("评分细则名称", rubric.get("title", "")),
                "version": self.t("评分细则版本", rubric.get("version", "")),
                "issuer": self.t("评分细则发布机关", rubric.get("issuer", "")) or "—",
                "id": self.t("评分细则编号", rubric.get("id", "")),
                "sha256": rubric.get("sha256", ""),
            },
            "issued_on": chinese_date(self.issued_on),
            "submitted": chinese_date(r.submitted) if r.submitted else "未填写",
            "score": self.score(pending, review),
            "grade": self.t("等次名称", getattr(r, "final_grade", r.grade)),
            "vetoes": [self.veto(v) for v in vetoes],
            "review": self.review(review),
            "sections": self.sections(),
            "rows": [self.row(n) for n in r.nodes],
            "show_reviewed": reviewed,
            "lost": self.lost(),
            "over": self.over(),
            "under_count": sum(1 for d in r.differences if d.kind == "under"),
            "findings": [self.finding(f) for f in r.findings],
            "missing": [self.missing(m) for m in r.missing_facts],
            "evidence": self.evidence(),
            "remarks": self.t("备注", r.remarks.strip()),
            "stamp": {
                "rubric_id": rubric.get("id", ""),
                "rubric_version": rubric.get("version", ""),
                "rubric_sha256": rubric.get("sha256", "") or "（未记录）",
                "submission_file": self.t("自评材料文件名", r.submission.get("file", "")),
                "submission_sha256": r.submission.get("sha256", "") or "（未记录）",
                "engine": r.engine_version,
            },
        }
        return Card(data, tuple(self.sources))

    def score(self, pending: list[NodeResult], review: Any) -> dict[str, Any]:
        """The result box. After a review (核定) the headline figures are the reviewed ones."""
        r = self.r
        self_total = r.self_total if r.self_declared_total is None else r.self_declared_total
        gap = None if self_total is None else self_total - r.final
        counted = r if review is None else review
        return {
            "headline": "核定得分" if review is not None else "最终得分",
            "grade_label": "核定等次" if review is not None else "等次",
            "final": fmt(counted.final),
            "computed": fmt(r.final),
            "max": fmt(r.max),
            "max_with_bonus": fmt(r.max_with_bonus) if r.max_with_bonus != r.max else "",
            "base": fmt(counted.base),
            "bonus": fmt(counted.bonus),
            "penalty": fmt(counted.penalty),
            "self_total": f"{fmt(self_total)} 分" if self_total is not None else "未填写",
            "self_gap": signed(gap) or "—",
            "pending": len(pending),
            "pending_points": fmt(sum((n.points for n in pending), ZERO)),
            "facts_filled": str(r.facts_filled),
            "facts_total": str(r.facts_total),
        }

    def veto(self, v: Any) -> dict[str, str]:
        grade = getattr(self.r, "final_grade", self.r.grade)
        effect = f"总分记 0 分，等次定为“{grade}”" if v.effect == "zero" else f"等次定为“{grade}”"
        return {
            "title": self.t("否决项名称", v.title),
            "message": self.t("否决项说明", v.message if v.message != v.title else ""),
            "facts": self.t(f"否决项“{v.title}”依据的数据", "；".join(f.display() for f in v.facts)),
            "effect": effect,
            "node": self.label(v.node) if v.node else "",
        }

    def review(self, review: Any) -> dict[str, Any] | None:
        """The evaluator's review (核定) totals and decisions, when the result carries one."""
        if review is None:
            return None
        when = getattr(review, "date", None)
        return {
            "final": fmt(review.final),
            "base": fmt(review.base),
            "bonus": fmt(review.bonus),
            "penalty": fmt(review.penalty),
            "grade": self.t("核定等次", review.grade),
            "reviewer": self.t("核定人", getattr(review, "reviewer", "")) or "—",
            "date": chinese_date(when) if when else "—",
            "file": self.t("核定记录文件名", getattr(review, "file", "")),
            "sha256": getattr(review, "sha256", "") or "（未记录）",
            "notes": [self.t("核定说明", n.display()) for n in getattr(review, "notes", ())],
        }

    def sections(self) -> list[dict[str, str]]:
        out = []
        for n in self.r.nodes:
            if n.depth != 0:
                continue
            out.append(
                {
                    "number": self.numbers[n.id],
                    "title": self.t(f"一级指标 {self.numbers[n.id]} 名称", n.title),
                    "bonus": n.bonus,
                    "max": fmt(n.max),
                    "self": fmt(self.self_sum(n)),
                    "points": fmt(n.points),
                    "reviewed": fmt(getattr(n, "reviewed", None)),
                    "ratio": percent(self.shown(n), n.max),
                    "bar": bar(self.shown(n), n.max),
                    "status": STATUS_LABELS[n.status],
                }
            )
        return out

    @staticmethod
    def shown(n: NodeResult) -> Decimal:
        """The points that count: 核定分 when reviewed, else 系统核算分."""
        reviewed = getattr(n, "reviewed", None)
        return n.points if reviewed is None else reviewed

    def self_sum(self, n: NodeResult) -> Decimal | None:
        """The self-score of ``n``: its own, else the sum of its children's (None if none)."""
        if n.self_points is not None:
            return n.self_points
        parts = [p for p in (self.self_sum(c) for c in self.children.get(n.id, ())) if p is not None]
        return sum(parts, ZERO) if parts else None

    def row(self, n: NodeResult) -> dict[str, Any]:
        number = self.numbers[n.id]
        where = f"评分项 {number}"
        title = self.t(f"{where} 的名称", n.title)
        text = n.text.strip()
        if text and text.startswith(title.rstrip("…")):
            title = ""  # the title is only the start of the text
        reason = "" if n.reason == SUM_REASON else self.t(f"{where} 的计分依据", compact_reason(n))
        facts = [self.t(f"{where} 的数据", f.display()) for f in n.facts if f.display() not in n.reason]
        reviewed = getattr(n, "reviewed", None)
        return {
            "number": number,
            "kind": n.kind if n.kind in ("section", "item", "criterion") else "item",
            "depth": str(min(n.depth, MAX_DEPTH_CLASS)),
            "bonus": n.bonus and n.depth == 0,
            "title": title,
            "text": self.t(f"{where} 的细则原文", text),
            "max": fmt(n.max),
            "self": fmt(n.self_points),
            "points": fmt(n.points),
            "diff": signed(n.difference),
            "reviewed": fmt(reviewed) if reviewed is not None else "",
            "review_notes": [self.t(f"{where} 的核定说明", x.display()) for x in getattr(n, "review_notes", ())],
            "status": STATUS_LABELS.get(n.status, n.status),
            "status_key": n.status if n.status in STATUS_LABELS else "error",
            "pending": n.status == "needs_review" and n.kind == "criterion",
            "reason": reason,
            "facts": facts,
            "evidence_count": str(len(n.evidence)) if n.evidence else "",
        }

    def lost(self) -> list[dict[str, str]]:
        leaves = [n for n in self.r.nodes if n.kind == "criterion" and not n.bonus and n.points < n.max]
        leaves.sort(key=lambda n: -n.lost)  # stable: ties keep document order
        return [
            {
                "label": self.label(n.id),
                "max": fmt(n.max),
                "points": fmt(n.points),
                "lost": fmt(n.lost),
                "status": STATUS_LABELS.get(n.status, n.status),
                "reason": n.reason,
                "advice": self.t(f"评分项 {self.numbers[n.id]} 要求的佐证材料", _advice(n)),
            }
            for n in leaves
        ]

    def over(self) -> list[dict[str, str]]:
        return [
            {
                "label": self.label(d.id),
                "self": fmt(d.self_points),
                "computed": fmt(d.computed),
                "difference": signed(d.difference),
                "kind": KIND_LABELS[d.kind],
            }
            for d in self.r.differences
            if d.kind in ("over", "unsupported")
        ]

    def finding(self, f: Any) -> dict[str, str]:
        return {
            "severity": SEVERITY_LABELS.get(f.severity, f.severity),
            "severity_key": "error" if f.severity == "error" else "warning",
            "title": self.t("校验规则名称", f.title),
            "message": self.t(f"校验“{f.title}”的提示", f.message),
            "data": self.t(f"校验“{f.title}”的数据", "；".join(v.display() for v in f.values)),
            "where": f.where,
        }

    def missing(self, m: Any) -> dict[str, str]:
        return {
            "label": self.t("缺少的数据项名称", m.label),
            "id": m.id,
            "required": "必填" if m.required else "选填",
            "feeds": "、".join(self.numbers.get(i, i) for i in m.feeds) or "（用于数据校验）",
        }

    def evidence(self) -> list[dict[str, Any]]:
        """One entry per node that cites evidence: its label and one line per item
        (``①文号或名称：…；网址：…``), at most :data:`MAX_EVIDENCE_PRINTED` of them; the rest are
        counted (``另有 N 条未列出``): the result JSON keeps every item. Each item is its own
        table row, so no cell holds more than one item's text (WeasyPrint lays out a long cell
        again from its start for every line: 10,000 items in one cell took 72 s, 20,000 264 s)."""
        fields = (("文号或名称", "doc"), ("网址", "url"), ("附件", "file"), ("说明", "note"))
        out = []
        for n in self.r.nodes:
            if not n.evidence:
                continue
            shown = n.evidence[:MAX_EVIDENCE_PRINTED]
            items = []
            for i, e in enumerate(shown, 1):
                where = f"评分项 {self.numbers[n.id]} 的第 {i} 份佐证材料"
                parts = [
                    f"{name}：{self.t(f'{where}（{name}）', e.get(key, ''))}" for name, key in fields if e.get(key, "")
                ]
                items.append("；".join(parts))
            if len(n.evidence) > 1:
                items = [f"{_circled(i)}{item}" for i, item in enumerate(items, 1)]
            hidden = len(n.evidence) - len(shown)
            more = f"另有 {hidden} 条未列出（共 {len(n.evidence)} 条，完整清单见结果 JSON 文件）" if hidden else ""
            out.append(
                {
                    "label": self.label(n.id),
                    "items": items,
                    "more": more,
                    "text": "　".join(items + ([more] if more else [])),  # for templates written before items
                }
            )
        return out


def _advice(n: NodeResult) -> str:
    """What to do about a lost point, from the status and the evidence the rubric expects."""
    first = {
        "data_missing": "补报所缺数据后重新核算",
        "needs_review": "待评估人核定",
        "error": "评分规则出错，请联系细则维护人",
        "vetoed": "触发否决，须整改",
    }.get(n.status, "")
    expected = f"应提供佐证：{n.evidence_expected}" if n.evidence_expected else ""
    return "；".join(x for x in (first, expected) if x)


def _circled(i: int) -> str:
    """①…⑳ (in the fonts), then （21）."""
    return chr(0x2460 + i - 1) if 1 <= i <= 20 else f"（{i}）"


_ECHO_NOISE = re.compile(r"[\s，、。；：,.;:（）()“”\"'《》已了]|^是否")


def _echo_key(text: str) -> str:
    return _ECHO_NOISE.sub("", text)


def compact_reason(n: NodeResult) -> str:
    """The reason, without a fact label that only repeats what the row already says.

    For a met condition the engine writes ``符合要求（已制定部门信息公开工作制度 = 是）``
    under the criterion text ``制定部门信息公开工作制度``; the card prints
    ``符合要求（填报“是”）``. Only for met rows whose reason cites exactly one fact, and
    only when the label (less 已, 了, a leading 是否 and punctuation) is contained in the criterion
    text, title or the reason's own words; any other reason is printed as the engine wrote it."""
    if n.status != "met" or len(n.facts) != 1:
        return n.reason
    fact: FactValue = n.facts[0]
    shown = fact.display()
    if fact.value is None or not n.reason.endswith(f"（{shown}）"):
        return n.reason
    message = n.reason[: -len(shown) - 2]
    label = _echo_key(fact.label)
    if not label or label not in _echo_key(n.text) + "|" + _echo_key(n.title) + "|" + _echo_key(message):
        return n.reason
    unit = f" {fact.unit}" if fact.unit else ""
    return f"{message}（填报“{show_value(fact.value)}{unit}”）"


def _numbering(nodes: Iterable[NodeResult]) -> dict[str, str]:
    """``1``, ``1.1``, ``1.1.2`` in document order, from the parent links."""
    numbers: dict[str, str] = {}
    counters: dict[str, int] = {}
    for n in nodes:
        parent = n.parent if n.depth else ""
        counters[parent] = counters.get(parent, 0) + 1
        prefix = numbers.get(parent, "")
        numbers[n.id] = f"{prefix}.{counters[parent]}" if prefix else str(counters[parent])
    return numbers


# -- text the PDF will print --------------------------------------------------------------------


class _BodyText(HTMLParser):
    """Text nodes inside <body>, as a browser would print them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth_body = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.depth_body += 1
        elif tag in ("style", "script", "title"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.depth_body -= 1
        elif tag in ("style", "script", "title"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if self.depth_body > 0 and not self.skip:
            self.parts.append(data)


def printed_text(html: str) -> str:
    parser = _BodyText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# -- templates, libraries, rendering -------------------------------------------------------------


def default_templates_dir() -> Path:
    """The packaged templates: ``scoring.templates`` if installed so, else the repository's."""
    from importlib.resources import files

    try:
        candidate = files("scoring.templates") / TEMPLATE  # a real file for editable and wheel installs
        if isinstance(candidate, Path) and candidate.is_file():
            return candidate.parent
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    import scoring

    return Path(scoring.__file__).resolve().parent.parent / "templates"


def check_harfbuzz() -> None:
    """Fail clearly when WeasyPrint would fall back to its ~25x slower Python font subsetting."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0):
        raise RenderError(
            "未能加载 HarfBuzz 字体子集库（libharfbuzz-subset.so.0，需要 4.1 或更新版本）。"
            "请安装 Debian 软件包 libharfbuzz-subset0（sudo apt-get install libharfbuzz-subset0）；"
            "缺少它时生成一页评分表要慢约 25 倍。"
        )


class Renderer:
    """Templates, fonts and CSS loaded once; renders any number of scorecards."""

    def __init__(self, templates_dir: Path | None = None, font_dir: Path | None = None) -> None:
        import jinja2

        from .fonts import prepare_fonts
        from .templating import describe, environment

        self.templates_dir = (Path(templates_dir) if templates_dir else default_templates_dir()).resolve()
        for name in (TEMPLATE, STYLESHEET):
            if not (self.templates_dir / name).is_file():
                raise RenderError(f"模板文件夹 {self.templates_dir} 中缺少 {name}")
        self.env = environment([self.templates_dir])  # sandboxed: templates may come from an evaluator
        try:
            self.template = self.env.get_template(TEMPLATE)
        except jinja2.TemplateError as exc:
            raise RenderError(describe(exc, str(self.templates_dir / TEMPLATE))) from exc
        self.css_text = (self.templates_dir / STYLESHEET).read_text(encoding="utf-8")

        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from .fetcher import SafeFetcher

        check_harfbuzz()
        self.fonts = prepare_fonts(font_dir)
        self.fetcher = SafeFetcher([self.templates_dir, self.fonts.folder])
        self.font_config = FontConfiguration()
        # WeasyPrint copies the @font-face files (~40 MB) into this folder; by default it is a
        # ``weasyprint-*`` folder removed only by ``__del__``, which batch workers never run.
        # ``_folder`` is private: WeasyPrint is pinned to one major version (pyproject.toml), and
        # tests/test_tempfiles.py counts what a render and a batch leave in the temporary folder.
        self.font_config._folder = Path(tempfile.mkdtemp(prefix="weasyprint-", dir=private_dir()))
        self._weasyprint = weasyprint
        self._html = _scorecard_html_class(
            weasyprint, weasyprint.CSS(string=SCORECARD_UA, url_fetcher=self.fetcher, font_config=self.font_config)
        )
        self.base_url = self.templates_dir.as_uri() + "/"
        self.stylesheets = [
            weasyprint.CSS(
                string=self.fonts.font_face_css(),
                base_url=self.fonts.folder.as_uri() + "/",
                url_fetcher=self.fetcher,
                font_config=self.font_config,
            ),
            weasyprint.CSS(
                string=self.css_text, base_url=self.base_url, url_fetcher=self.fetcher, font_config=self.font_config
            ),
        ]

    def close(self) -> None:
        """Remove the font copies now (also done at the end of the process, see :mod:`scoring.tempdirs`)."""
        folder = getattr(self.font_config, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            self.font_config._folder = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- documents --------------------------------------------------------------------------
    def _render(self, card: Card, standalone: bool) -> str:
        from markupsafe import Markup

        from .templating import describe

        css = Markup(self.css_text) if standalone else ""  # our own stylesheet file, never submitted text
        try:
            return self.template.render(card=card.data, css=css, standalone=standalone)
        except Exception as exc:  # whatever a template does wrong (sandbox refusal, 1/0): its file and line
            raise RenderError(describe(exc, str(self.templates_dir / TEMPLATE))) from exc

    def html(self, result: Result, issued_on: dt.date) -> str:
        """A standalone HTML scorecard (CSS inlined) for viewing in a browser."""
        return self._render(build_card(result, issued_on), standalone=True)

    def pdf(self, result: Result, issued_on: dt.date) -> bytes:
        """The A4 PDF scorecard. Raises :class:`GlyphError` if the fonts cannot print some text."""
        card = build_card(result, issued_on)
        html = self._render(card, standalone=False)
        self.check_glyphs(printed_text(html), card)
        with gc_paused():
            document = self._html(string=html, base_url=self.base_url, url_fetcher=self.fetcher)
            return document.write_pdf(stylesheets=self.stylesheets, font_config=self.font_config)

    def check_glyphs(self, text: str, card: Card) -> None:
        missing = self.fonts.uncovered(text)
        if not missing:
            return
        report = []
        for ch in missing:
            places = [f"{where}“{_shorten(value, ch)}”" for where, value in card.sources if ch in value]
            report.append((ch, places or ["评分表模板"]))
        raise GlyphError(report)


def _scorecard_html_class(weasyprint: Any, ua: Any) -> type:
    """``weasyprint.HTML`` with :data:`SCORECARD_UA` as its user-agent stylesheet.

    ``HTML._ua_stylesheets`` is the method WeasyPrint's style cascade asks for the user-agent
    sheets. It is private: WeasyPrint is pinned to one major version (pyproject.toml), and
    the tests render real PDFs, so a change there shows up as a failing test."""

    class ScorecardHTML(weasyprint.HTML):  # type: ignore[misc, name-defined]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [ua]

    return ScorecardHTML


def _shorten(value: str, ch: str, width: int = 30) -> str:
    value = value.replace("\n", " ")
    if len(value) <= width:
        return value
    at = value.index(ch)
    start = max(0, min(at - width // 2, len(value) - width))
    return ("…" if start else "") + value[start : start + width] + ("…" if start + width < len(value) else "")


def render_files(
    result: Result,
    pdf_path: Path,
    html_path: Path | None = None,
    issued_on: dt.date | None = None,
    templates_dir: Path | None = None,
    protect: Iterable[Path] = (),
    renderer: Renderer | None = None,
) -> None:
    """Render and write the PDF (and HTML) atomically: all outputs are rendered in memory
    first, then each is written to a temporary file beside it and moved into place.
    ``issued_on`` defaults to today; ``protect`` lists input files never to overwrite."""
    from .iofiles import write_atomic

    targets = [Path(pdf_path)] + ([Path(html_path)] if html_path is not None else [])
    if len({t.resolve() for t in targets}) < len(targets):
        raise RenderError(f"PDF 与 HTML 不能写到同一个文件：{pdf_path}")
    protect = list(protect)
    for target in targets:  # refuse before rendering, so no output is left half-done
        if any(p.exists() and p.resolve() == target.resolve() for p in protect):
            raise InputError(
                Problem("输出文件与输入文件相同，为防止覆盖原始材料，已停止；请换一个输出路径", str(target))
            )
    day = issued_on or dt.date.today()
    engine = renderer or Renderer(templates_dir)
    try:
        outputs = [engine.pdf(result, day)]
        if html_path is not None:
            outputs.append(engine.html(result, day).encode("utf-8"))
    finally:
        if renderer is None:
            engine.close()
    for target, data in zip(targets, outputs, strict=True):
        write_atomic(target, data, protect=protect)  # raises InputError (Chinese) on OS errors
