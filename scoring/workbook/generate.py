"""``scoring template RUBRIC --xlsx``: the body's workbook, drawn from the rubric (never by hand).

Sheets: 填报说明, 单位信息, 统计表 (the facts with a ``row:``), 其他事实, 自查评分表, 佐证材料,
and two hidden ones: 选项 (long option lists, referenced through defined names) and 校验信息
(the stamp). Labels are locked and input cells unlocked and shaded (sheet protection without a
password); every input cell has data validation and an input message; A4 print set-up with
print titles and fit-to-width; Chinese fonts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .. import model as m
from ..numbers import fmt
from ..submission import fact_uses
from ..summary import reproducible_xlsx
from . import layout as L
from .stamp import write_stamp

BODY = "宋体"
HEAD = "黑体"
_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: fill in here
SECTION_FILL = PatternFill("solid", fgColor="E7E6E6")
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)
# fixed document properties: the same rubric gives the same workbook bytes
FIXED_TIME = dt.datetime(2000, 1, 1)
LITERAL_LIST_LIMIT = 255  # Excel's limit for a literal list in data validation


def workbook_bytes(rubric: m.Rubric, submission: dict[str, Any] | None = None) -> bytes:
    """The ``.xlsx`` for ``rubric``; ``submission`` (plain data as the YAML loader gives it) pre-fills it."""
    wb = build_workbook(rubric)
    fill(wb, rubric, submission if submission is not None else {"year": rubric.year})  # as the YAML template
    if submission is not None:
        for ws in wb.worksheets:
            _fit_rows(ws)  # the filled-in text, too
    return reproducible_xlsx(wb, FIXED_TIME.date())  # same rubric and data, same bytes


def build_workbook(rubric: m.Rubric) -> Workbook:
    lay = L.layout(rubric)
    wb = Workbook()
    wb.properties.creator = "scoring"
    wb.properties.title = f"{rubric.title}（{rubric.version}）自评表"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    lists = _Lists(wb)
    info = wb.active
    info.title = L.INFO
    _info_sheet(info, rubric)
    _agency_sheet(wb.create_sheet(L.AGENCY), lay)
    uses = fact_uses(rubric)
    if lay.stats:
        _fact_sheet(wb.create_sheet(L.STATS), rubric, lay.stats, L.STATS, uses, lists)
    if lay.other:
        _fact_sheet(wb.create_sheet(L.OTHER), rubric, lay.other, L.OTHER, uses, lists)
    _score_sheet(wb.create_sheet(L.SCORES), rubric, lay)
    _evidence_sheet(wb.create_sheet(L.EVIDENCE), lay, lists, L.EVIDENCE_ROWS)
    lists.sheet.sheet_state = "hidden"
    wb.move_sheet(lists.sheet, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(L.LISTS))
    write_stamp(wb, rubric)
    for ws in wb.worksheets:
        _fit_rows(ws)
    return wb


def _width(text: str) -> float:
    """Display width in Excel column units (a CJK character is about two)."""
    return sum(2.1 if ord(ch) > 0x2E7F else 1.1 for ch in text)


def _fit_rows(ws: Worksheet) -> None:
    """Row heights for wrapped text: spreadsheet programs do not grow rows written by a library."""
    if ws.sheet_state != "visible":
        return
    merged: dict[str, float] = {}
    for rng in ws.merged_cells.ranges:
        width = sum(ws.column_dimensions[get_column_letter(c)].width or 9 for c in range(rng.min_col, rng.max_col + 1))
        rows = rng.max_row - rng.min_row + 1
        merged[ws.cell(rng.min_row, rng.min_col).coordinate] = width if rows == 1 else -1.0
    for row in ws.iter_rows(min_row=L.HEADER_ROW):
        lines = 1
        for cell in row:
            if cell.value is None or str(cell.value).startswith("="):
                continue
            width = merged.get(cell.coordinate, ws.column_dimensions[cell.column_letter].width or 9)
            if width <= 0:
                continue
            for part in str(cell.value).split("\n"):
                lines = max(lines, -(-int(_width(part) + 1) // max(1, int(width - 1))))
        if lines > 1 or row[0].row == L.HEADER_ROW:
            ws.row_dimensions[row[0].row].height = max(ws.row_dimensions[row[0].row].height or 0, 14.5 * lines + 4)


class _Lists:
    """The hidden 选项 sheet: one column per long list, each reachable by a defined name."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.sheet = wb.create_sheet(L.LISTS)
        self.count = 0

    def formula(self, options: list[str]) -> str:
        literal = ",".join(options)
        if len(literal) + 2 <= LITERAL_LIST_LIMIT and not any("," in o or '"' in o for o in options):
            return f'"{literal}"'
        self.count += 1
        column = get_column_letter(self.count)
        for i, option in enumerate(options, start=1):
            self.sheet.cell(i, self.count, option)
        name = f"选项{self.count}"
        ref = f"'{L.LISTS}'!${column}$1:${column}${len(options)}"
        self.wb.defined_names[name] = DefinedName(name, attr_text=ref)
        return name


def _page(ws: Worksheet, title_rows: str, landscape: bool = False) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = 0.6
    ws.page_margins.bottom = 0.8
    ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.protection.sheet = True  # no password: labels protected from slips, nobody locked out
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _title(ws: Worksheet, text: str, note: str, last: str) -> None:
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = text
    ws["A1"].font = Font(name=HEAD, size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 30
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = note
    ws["A2"].font = Font(name=BODY, size=10)
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[2].height = 30


def _heads(ws: Worksheet, heads: list[tuple[str, float]]) -> None:
    for i, (text, width) in enumerate(heads, start=1):
        cell = ws.cell(L.HEADER_ROW, i, text)
        cell.font = Font(name=HEAD, size=11, bold=True)
        cell.alignment = CENTER
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{L.FIRST_ROW}"


def _label(ws: Worksheet, ref: str, value: Any, center: bool = False) -> None:
    cell = ws[ref]
    cell.value = value
    cell.font = Font(name=BODY, size=10.5)
    cell.alignment = CENTER if center else WRAP
    cell.border = BORDER


def _input(ws: Worksheet, ref: str, number_format: str = "General", center: bool = False) -> None:
    cell = ws[ref]
    cell.fill = INPUT_FILL
    cell.protection = UNLOCKED
    cell.border = BORDER
    cell.font = Font(name=BODY, size=10.5)
    cell.alignment = CENTER if center else WRAP
    cell.number_format = number_format


def _prompt(title: str, text: str) -> dict[str, Any]:
    return {"promptTitle": title[:32], "prompt": text[:255], "showInputMessage": True, "showErrorMessage": True}


def _validate(ws: Worksheet, ref: str, kind: str, title: str, help_text: str, **extra: Any) -> None:
    dv = DataValidation(type=kind, allow_blank=True, errorTitle="填写有误", **_prompt(title, help_text), **extra)
    dv.add(ref)
    ws.add_data_validation(dv)


def _info_sheet(ws: Worksheet, rubric: m.Rubric) -> None:
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 80
    ws.merge_cells("A1:B1")
    ws["A1"] = f"{rubric.title}自评表"
    ws["A1"].font = Font(name=HEAD, size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 32
    rows = [
        ("评分细则", rubric.title),
        ("发布单位", rubric.issuer),
        ("考核年度", rubric.years_text),
        ("细则编号", rubric.id),
        ("细则版本", rubric.version),
        (
            "填写内容",
            "依次填写“单位信息”“统计表”“其他事实”“自查评分表”“佐证材料”各表中浅黄色的单元格；其余单元格已锁定，不用修改。",
        ),
        (
            "填写方法",
            "数量只填阿拉伯数字，不带单位；是/否 类从下拉列表中选择；日期写成 2018-01-12；不知道的留空（留空与 0 不同）。单元格中不要写公式。",
        ),
        ("自评分", "在“自查评分表”逐项填写自评分；“总分”一行自动合计，仅供参考；上报的自评总分请填在其下一行。"),
        (
            "报送方式",
            "按考核通知规定的时间，将本表（.xlsx 格式，不要改名为其他格式）连同佐证材料报送考核办公室。报送前可运行 scoring validate 本文件 自行检查。",
        ),
        ("注意", "请不要增删行列、改动表名或隐藏的工作表；本表由评分细则自动生成，细则改版后请索取新表。"),
    ]
    for i, (head, text) in enumerate(rows, start=3):
        _label(ws, f"A{i}", head, center=True)
        ws[f"A{i}"].font = Font(name=HEAD, size=11, bold=True)
        _label(ws, f"B{i}", text)
        ws.row_dimensions[i].height = 36 if len(text) > 40 else 20
    _page(ws, "1:1")


def _agency_sheet(ws: Worksheet, lay: L.Layout) -> None:
    _title(ws, "单位信息", "浅黄色单元格为填写处；带“（必填）”的必须填写。", "C")
    _heads(ws, [("项目", 26), ("填写", 48), ("说明", 44)])
    helps = {path: help_text for path, _l, _k, help_text in L.AGENCY_ROWS}
    for item in lay.agency:
        required = item.kind in ("name", "year")
        _label(ws, f"A{item.row}", item.label + ("（必填）" if required else ""))
        _label(ws, f"C{item.row}", helps[item.path])
        fmt_code = "yyyy-mm-dd" if item.kind == "date" else ("0" if item.kind == "year" else "@")
        _input(ws, item.ref, fmt_code, center=item.kind in ("date", "year"))
        if item.kind == "year":
            _validate(
                ws,
                item.ref,
                "whole",
                item.label,
                helps[item.path],
                operator="between",
                formula1="1990",
                formula2="2100",
            )
        elif item.kind == "date":
            _validate(ws, item.ref, "date", item.label, helps[item.path], operator="greaterThan", formula1="1")
        else:
            _validate(
                ws, item.ref, "textLength", item.label, helps[item.path], operator="lessThanOrEqual", formula1="5000"
            )
        if item.kind == "text":
            ws.row_dimensions[item.row].height = 80
    _page(ws, f"1:{L.HEADER_ROW}")


def _kind_text(fact: m.Fact) -> str:
    kind = m.FACT_TYPES[fact.type]
    if fact.type == "multi_choice":
        kind += "（可多选，用“、”分隔；都没有的填“无”）"
    return kind + ("，必填" if fact.required else "")


def _fact_sheet(
    ws: Worksheet,
    rubric: m.Rubric,
    rows: tuple[tuple[str, L.Input | str, int], ...],
    sheet: str,
    uses: dict[str, list[m.Node]],
    lists: _Lists,
) -> None:
    if sheet == L.STATS:
        _title(
            ws,
            f"{rubric.year}年度政务公开工作统计表",
            "按纸质统计表逐行填写“统计数”一栏（浅黄色单元格）；“*”为必填。",
            "E",
        )
        _heads(ws, [("序号", 7), ("统计指标", 46), ("单位", 8), ("统计数", 14), ("说明", 46)])
    else:
        _title(ws, "其他事实", "按本单位实际情况填写（浅黄色单元格）；“*”为必填；不知道的留空。", "F")
        _heads(ws, [("序号", 7), ("事项", 40), ("单位", 8), ("填写", 16), ("说明", 40), ("用于评分", 30)])
    last = "E" if sheet == L.STATS else "F"
    number = 0
    for kind, item, row in rows:
        if kind == "group":
            ws.merge_cells(f"A{row}:{last}{row}")
            _label(ws, f"A{row}", item)
            ws[f"A{row}"].font = Font(name=HEAD, size=11, bold=True)
            ws[f"A{row}"].fill = SECTION_FILL
            continue
        assert isinstance(item, L.Input) and item.fact is not None
        fact = item.fact
        number += 1
        r = item.row
        _label(ws, f"A{r}", fact.row if sheet == L.STATS else number, center=True)
        _label(ws, f"B{r}", ("* " if fact.required else "") + fact.label)
        _label(ws, f"C{r}", fact.unit, center=True)
        _label(ws, f"E{r}", f"{_kind_text(fact)}。{fact.help}".strip("。") if fact.help else _kind_text(fact))
        if sheet == L.OTHER:
            used = uses.get(fact.id, [])
            _label(
                ws,
                f"F{r}",
                "；".join(f"{n.title}" for n in used[:4]) + (f" 等 {len(used)} 项" if len(used) > 4 else ""),
            )
        _input(
            ws, item.ref, {"count": "0", "integer": "0", "date": "yyyy-mm-dd", "decimal": "General"}.get(fact.type, "@")
        )
        help_text = fact.help or fact.label
        low = fact.minimum if fact.minimum is not None else (0 if fact.type == "count" else None)
        if fact.type in ("count", "integer", "decimal"):
            extra = {
                "operator": "between",
                "formula1": fmt(low if low is not None else -(10**12)),
                "formula2": fmt(fact.maximum or 10**12),
            }
            kind = "decimal" if fact.type == "decimal" else "whole"
            _validate(ws, item.ref, kind, fact.label, help_text, **extra)
        elif fact.type == "bool":
            _validate(ws, item.ref, "list", fact.label, help_text, formula1='"是,否"')
        elif fact.type == "choice":
            _validate(ws, item.ref, "list", fact.label, help_text, formula1=lists.formula(list(fact.options)))
        elif fact.type == "date":
            _validate(ws, item.ref, "date", fact.label, help_text, operator="greaterThan", formula1="1")
        else:
            _validate(ws, item.ref, "textLength", fact.label, help_text, operator="lessThanOrEqual", formula1="5000")
    _page(ws, f"1:{L.HEADER_ROW}")


def _score_sheet(ws: Worksheet, rubric: m.Rubric, lay: L.Layout) -> None:
    _title(
        ws,
        f"{rubric.title}自查评分表",
        "在“自评分”一栏（浅黄色）逐项填写本单位的自评分；评分标准照录评分细则原文。",
        "F",
    )
    _heads(ws, [("考核项目", 12), ("目标要求", 18), ("具体标准", 56), ("分值", 7), ("自评分", 9), ("佐证材料", 30)])
    spans: dict[tuple[str, str], list[int]] = {}
    for r in lay.scores:
        node = r.node
        spans.setdefault(("A", r.top.id), []).append(r.row)
        if r.second is not None:
            spans.setdefault(("B", r.second.id), []).append(r.row)
        _label(ws, f"A{r.row}", r.top.title, center=True)
        _label(ws, f"B{r.row}", r.second.title if r.second else "", center=True)
        if r.depth == 0:
            text = f"{node.title}（小计）" if node.children else (node.text or node.title)
        elif r.depth == 1:
            text = "本项小计" if node.children else (node.text or node.title)
        else:
            text = "　" * (r.depth - 2) + (
                f"{node.title}：{node.text}" if node.text and node.text != node.title else node.title
            )
        _label(ws, f"C{r.row}", text)
        _label(ws, f"D{r.row}", _number(node.max), center=True)
        _label(ws, f"F{r.row}", node.evidence)
        if node.children:
            for col in "CDE":
                ws[f"{col}{r.row}"].font = Font(name=BODY, size=10.5, bold=True)
        ref = f"E{r.row}"
        _input(ws, ref, "General", center=True)
        _validate(
            ws,
            ref,
            "decimal",
            node.title,
            f"满分 {fmt(node.max)} 分",
            operator="between",
            formula1="0",
            formula2=fmt(node.max),
        )
    for (col, _ident), rows in spans.items():
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            value = ws[f"{col}{first}"].value
            for row in rows[1:]:
                ws[f"{col}{row}"].value = None
            ws.merge_cells(f"{col}{first}:{col}{last}")
            ws[f"{col}{first}"].value = value
    t = lay.total_row
    ws.merge_cells(f"A{t}:C{t}")
    _label(ws, f"A{t}", "总分（自动合计，仅供参考）", center=True)
    _label(ws, f"D{t}", _number(rubric.max_with_bonus if rubric.bonus else rubric.total), center=True)
    leaves = [f"E{r.row}" for r in lay.scores if not r.node.children]
    _label(
        ws,
        f"E{t}",
        "=" + "+".join(f"N({c})" for c in leaves) if len(leaves) < 200 else f"=SUM(E{L.FIRST_ROW}:E{t - 1})",
        center=True,
    )
    _label(ws, f"F{t}", "")
    s = lay.self_total.row
    ws.merge_cells(f"A{s}:D{s}")
    _label(ws, f"A{s}", "上报的自评总分（照填纸质评分表“总分”栏；没有填的留空）", center=True)
    _input(ws, lay.self_total.ref, center=True)
    _validate(
        ws,
        lay.self_total.ref,
        "decimal",
        "自评总分",
        "照填纸质评分表的总分",
        operator="greaterThanOrEqual",
        formula1="0",
    )
    _label(ws, f"F{s}", "")
    for r in (t, s):
        for col in "ADE":
            ws[f"{col}{r}"].font = Font(name=HEAD, size=11, bold=True)
    _page(ws, f"1:{L.HEADER_ROW}", landscape=True)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _evidence_sheet(ws: Worksheet, lay: L.Layout, lists: _Lists, count: int) -> None:
    _title(
        ws, "佐证材料清单", "每行一份材料：先选评分项，再填文号或文件名称、网址、附件文件名、说明（至少填一项）。", "E"
    )
    _heads(ws, [("评分项", 34), ("文号或文件名称", 30), ("网址", 26), ("附件文件名", 20), ("说明", 44)])
    name = lists.formula(list(lay.node_choices))
    last = lay.evidence_first + count - 1
    for row in range(lay.evidence_first, last + 1):
        for col in "ABCDE":
            _input(ws, f"{col}{row}", "@")
    dv = DataValidation(
        type="list",
        formula1=name,
        allow_blank=True,
        errorTitle="填写有误",
        **_prompt("评分项", "从下拉列表中选择材料所证明的评分项"),
    )
    dv.add(f"A{lay.evidence_first}:A{last}")
    ws.add_data_validation(dv)
    _page(ws, f"1:{L.HEADER_ROW}", landscape=True)


# -- pre-filling (tests, the site's "download my data as a workbook") -------------------------


def fill(wb: Workbook, rubric: m.Rubric, data: dict[str, Any]) -> None:
    """Write a submission's plain data (as the YAML loader reads it) into the input cells."""
    lay = L.layout(rubric)
    for item in lay.inputs:
        value: Any = data
        for part in item.path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        wb[item.sheet][item.ref].value = _cell_value(value, item)
    evidence = data.get("evidence") or {}
    rows = [(ident, e) for ident, entries in evidence.items() for e in (entries or [])]
    ws = wb[L.EVIDENCE]
    titles = {c.split(" ", 1)[0]: c for c in lay.node_choices}
    extra = lay.evidence_first + L.EVIDENCE_ROWS
    for i, (ident, entry) in enumerate(rows):
        row = lay.evidence_first + i
        if row >= extra:
            for col in "ABCDE":
                _input(ws, f"{col}{row}", "@")
        ws[f"A{row}"].value = titles.get(ident, ident)
        for col, field in zip("BCDE", L.EVIDENCE_FIELDS, strict=True):
            if entry.get(field):
                ws[f"{col}{row}"].value = str(entry[field])


def _cell_value(value: Any, item: L.Input) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "无"
    if item.kind == "date" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
