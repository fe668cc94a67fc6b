"""Where everything goes in a body's workbook, derived from the rubric alone.

The writer (:mod:`.generate`) and the reader (:mod:`.read`) share this one model, so a
workbook is read back from exactly the cells it was written with. Every input cell has
the submission path it fills (``("facts", "requests_received")``), the label a message
names it by, and its kind.
"""

from __future__ import annotations

import attrs

from .. import model as m

FORMAT_VERSION = "1"

INFO = "填报说明"
AGENCY = "单位信息"
STATS = "统计表"
OTHER = "其他事实"
SCORES = "自查评分表"
EVIDENCE = "佐证材料"
LISTS = "选项"  # hidden: long option lists for data validation
STAMP = "校验信息"  # hidden: rubric id, version, SHA-256, format version

HEADER_ROW = 3  # title in row 1, a note in row 2, column headings in row 3
FIRST_ROW = 4
EVIDENCE_ROWS = 120  # blank evidence rows offered (more are kept when a submission has more)
EVIDENCE_FIELDS = ("doc", "url", "file", "note")
EVIDENCE_LABELS = {"doc": "文号或文件名称", "url": "网址", "file": "附件文件名", "note": "说明"}

# (path, label, kind, help) of the 单位信息 rows, in order
AGENCY_ROWS: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("agency", "name"), "单位名称", "name", "单位全称（必填），如 鄂托克前旗住房和城乡规划建设局"),
    (("agency", "region"), "所属地区", "short", "如 内蒙古自治区鄂尔多斯市鄂托克前旗"),
    (("agency", "level"), "层级", "short", "如 旗县级部门"),
    (("agency", "code"), "统一社会信用代码或单位编码", "short", "选填"),
    (("agency", "contact"), "联系人及电话", "short", "填报联系人姓名和电话，如 张三 0477-1234567（选填）"),
    (("year",), "考核年度", "year", "整数，如 2017"),
    (("submitted",), "报送日期", "date", "如 2018-01-12"),
    (("remarks",), "其他需要说明的情况", "text", "选填"),
)


@attrs.frozen
class Input:
    """One cell the body fills in."""

    path: tuple[str, ...]
    sheet: str
    row: int
    column: str
    label: str
    kind: str  # a fact type, or name/short/year/date/text/score/total/evidence
    fact: m.Fact | None = None
    node: m.Node | None = None

    @property
    def ref(self) -> str:
        return f"{self.column}{self.row}"

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.ref}"


@attrs.frozen
class ScoreRow:
    node: m.Node
    depth: int
    row: int
    top: m.Node  # its top-level section (column A)
    second: m.Node | None  # its level-2 item (column B), if any


@attrs.frozen
class Layout:
    rubric_id: str
    rubric_version: str
    agency: tuple[Input, ...]
    stats: tuple[tuple[str, Input | str, int], ...]  # ("group", label, row) or ("fact", input, row), in row order
    other: tuple[tuple[str, Input | str, int], ...]
    scores: tuple[ScoreRow, ...]
    score_inputs: tuple[Input, ...]
    total_row: int  # the 总分 row (a live SUM, never read)
    self_total: Input
    evidence_first: int
    node_choices: tuple[str, ...]  # "org.head 机构负责人" for the evidence sheet's first column

    @property
    def inputs(self) -> tuple[Input, ...]:
        return (*self.agency, *self.fact_inputs(), *self.score_inputs, self.self_total)

    def fact_inputs(self) -> list[Input]:
        return [i for _k, i, _r in (*self.stats, *self.other) if isinstance(i, Input)]


def _fact_rows(rubric: m.Rubric, sheet: str, facts: list[m.Fact]) -> tuple[tuple[str, Input | str, int], ...]:
    rows: list[tuple[str, Input | str, int]] = []
    row = FIRST_ROW
    wanted = {f.id for f in facts}
    groups = [g for g in rubric.groups if any(f in wanted for f in g.facts)]
    for group in groups:
        if len(groups) > 1 or sheet == OTHER:
            rows.append(("group", group.label, row))
            row += 1
        for fact_id in group.facts:
            if fact_id not in wanted:
                continue
            fact = rubric.fact_index[fact_id]
            rows.append(("fact", Input(("facts", fact.id), sheet, row, "D", fact.label, fact.type, fact=fact), row))
            row += 1
    return tuple(rows)


def _walk(
    node: m.Node, depth: int, top: m.Node, second: m.Node | None, out: list[tuple[m.Node, int, m.Node, m.Node | None]]
) -> None:
    out.append((node, depth, top, second))
    for child in node.children:
        _walk(child, depth + 1, top, second if depth >= 1 else child, out)


def layout(rubric: m.Rubric) -> Layout:
    """The workbook layout of ``rubric``."""
    agency = tuple(
        Input(path, AGENCY, FIRST_ROW + i, "B", label, kind) for i, (path, label, kind, _help) in enumerate(AGENCY_ROWS)
    )
    stats = _fact_rows(rubric, STATS, [f for f in rubric.facts if f.row])
    other = _fact_rows(rubric, OTHER, [f for f in rubric.facts if not f.row])
    walked: list[tuple[m.Node, int, m.Node, m.Node | None]] = []
    for top in (*rubric.sections, *rubric.bonus):
        _walk(top, 0, top, None, walked)
    scores = tuple(ScoreRow(n, d, FIRST_ROW + i, t, s) for i, (n, d, t, s) in enumerate(walked))
    score_inputs = tuple(
        Input(("self_scores", r.node.id), SCORES, r.row, "E", f"{r.node.title}（自评分）", "score", node=r.node)
        for r in scores
    )
    total_row = FIRST_ROW + len(scores)
    self_total = Input(("self_total",), SCORES, total_row + 1, "E", "自评总分", "total")
    return Layout(
        rubric.id,
        rubric.version,
        agency,
        stats,
        other,
        scores,
        score_inputs,
        total_row,
        self_total,
        FIRST_ROW,
        tuple(f"{n.id} {n.title}" for n in rubric.all_nodes()),
    )
