"""The evaluator's 核定表: ``scoring review-template RESULT --xlsx``, filled in, read back as a review.

One row per scoring node of the result (its id, title, points, the body's self-score and the
computed score, all locked); the evaluator fills in 核定分 and 核定理由, and on 核定信息 the
reviewer, date and remarks. :func:`review_document` reads it into the plain data of a review
file (``review:``, ``nodes:``), so :func:`scoring.review.review_from_document` checks it exactly
as it checks a ``.review.yaml``, with each problem at its cell (``核定分!F12``).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import InputError, Problem
from ..numbers import fmt
from ..yamlio import Document, Path_
from . import generate as g
from . import layout as L
from .limits import check_container
from .read import _Bad, _Cells, _date, _number, _text

INFO = "核定信息"
NODES = "核定分"
KIND = "核定表"
# rows of 核定信息: (row, label, path)
INFO_ROWS = (
    (4, "评估人（必填）", ("review", "reviewer")),
    (5, "核定日期（必填）", ("review", "date")),
    (6, "备注", ("review", "remarks")),
)


def review_workbook_bytes(result: dict[str, Any]) -> bytes:
    """The 核定表 of a scoring result (``scoring score --format json``)."""
    rubric = result["rubric"]
    wb = Workbook()
    wb.properties.creator = "scoring"
    wb.properties.created = wb.properties.modified = g.FIXED_TIME
    ws = wb.active
    ws.title = INFO
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 60
    ws.merge_cells("A1:B1")
    ws["A1"] = f"{rubric['title']}核定表"
    ws["A1"].font = Font(name=g.HEAD, size=16, bold=True)
    ws["A1"].alignment = g.CENTER
    ws.merge_cells("A2:B2")
    submission = result.get("submission") or {}
    ws["A2"] = f"被考核单位：{result['agency']['name']}　　自评材料：{submission.get('file', '')}"
    ws["A2"].font = Font(name=g.BODY, size=10.5)
    for row, label, _path in INFO_ROWS:
        g._label(ws, f"A{row}", label, center=True)
        g._input(ws, f"B{row}", "yyyy-mm-dd" if "date" in label else "@")
    ws.row_dimensions[6].height = 60
    g._page(ws, "1:1")
    ns = wb.create_sheet(NODES)
    g._title(
        ns,
        f"{rubric['title']}核定表",
        "在“核定分”“核定理由”两栏（浅黄色）填写；不需要改动的评分项留空，按系统核算分计。",
        "G",
    )
    g._heads(
        ns, [("编号", 22), ("评分项", 40), ("分值", 7), ("自评分", 8), ("核算分", 8), ("核定分", 9), ("核定理由", 44)]
    )
    for i, node in enumerate(result["nodes"]):
        row = L.FIRST_ROW + i
        g._label(ns, f"A{row}", node["id"])
        g._label(ns, f"B{row}", "　" * node["depth"] + node["title"])
        for col, key in (("C", "max"), ("D", "self_points"), ("E", "points")):
            g._label(ns, f"{col}{row}", node[key], center=True)
        if node["depth"] == 0 or node.get("kind") == "section":
            ns[f"B{row}"].font = Font(name=g.BODY, size=10.5, bold=True)
        g._input(ns, f"F{row}", "General", center=True)
        g._input(ns, f"G{row}", "@")
        dv = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2=fmt(Decimal(str(node["max"]))),
            allow_blank=True,
            **g._prompt("核定分", f"满分 {fmt(Decimal(str(node['max'])))} 分；须同时写明核定理由"),
        )
        dv.add(f"F{row}")
        ns.add_data_validation(dv)
    g._page(ns, f"1:{L.HEADER_ROW}", landscape=True)
    stamp = wb.create_sheet(L.STAMP)
    values = [
        ("细则编号", rubric["id"]),
        ("细则版本", rubric["version"]),
        ("细则 SHA-256", rubric.get("sha256", "")),
        ("表格格式版本", L.FORMAT_VERSION),
        ("表格类型", KIND),
        ("自评材料", submission.get("file", "")),
        ("被考核单位", result["agency"]["name"]),
    ]
    for row, (label, value) in enumerate(values, start=1):
        stamp.cell(row, 1, label)
        stamp.cell(row, 2, value)
    stamp.sheet_state = "veryHidden"
    for sheet in (ws, ns):
        g._fit_rows(sheet)
    return g.reproducible_xlsx(wb, g.FIXED_TIME.date())  # same result, same bytes


def is_review_workbook(raw: bytes, file: str) -> bool:
    check_container(raw, file)
    cells = _Cells(raw, file)
    return _text(cells.get(L.STAMP, "B5")[0]) == KIND or (NODES in cells.sheets and INFO in cells.sheets)


def review_document(raw: bytes, file: str) -> Document:
    """A filled-in 核定表 as the plain data of a review file, located at its cells."""
    check_container(raw, file)
    cells = _Cells(raw, file)
    if NODES not in cells.sheets or INFO not in cells.sheets:
        raise InputError(
            Problem(
                "这不是本工具生成的核定表（缺少“核定信息”或“核定分”工作表）；请用 scoring review-template 评分结果 --xlsx 生成",
                file,
            )
        )
    stamp = {row: _text(cells.get(L.STAMP, f"B{row}")[0]) for row in range(1, 8)}
    positions: dict[Path_, tuple[int, int]] = {(): (1, 1), ("review",): (1, 1), ("review", "rubric"): (1, 1)}
    where: dict[int, tuple[str, str]] = {1: (f"{INFO}!A1", "核定信息")}
    problems: list[Problem] = []
    line = 1

    def place(path: Path_, cell: str, label: str) -> int:
        nonlocal line
        line += 1
        positions[path] = (line, 1)
        where[line] = (cell, label)
        for i in range(1, len(path)):
            positions.setdefault(path[:i], (line, 1))
        return line

    def bad(at: int, path: Path_, label: str, message: str) -> None:
        problems.append(Problem(message, file, at, 1, ".".join(map(str, path)), label, cell=where[at][0]))

    head: dict[str, Any] = {"rubric": {"id": stamp[1] or "?", "version": stamp[2]}}
    for key, row in (("submission", 6), ("agency", 7)):
        if stamp[row]:
            head[key] = stamp[row]
    for row, label, path in INFO_ROWS:
        at = place(path, f"{INFO}!B{row}", label.removesuffix("（必填）"))
        value, kind = cells.get(INFO, f"B{row}")
        if kind == "f":
            bad(at, path, label, "单元格中是公式：这里要直接填写内容，不能用公式")
            continue
        if path[1] == "date":
            try:
                value = _date(value)
            except _Bad as exc:
                bad(at, path, "核定日期", str(exc))
                continue
        else:
            value = (
                _text(value).strip()
                if path[1] == "reviewer"
                else (value if isinstance(value, str) else _text(value) or None)
            )
        if value not in (None, ""):
            head[path[1]] = value
    positions[("review",)] = positions[("review", "reviewer")]  # "缺少核定人" points at the reviewer's cell
    nodes: dict[str, Any] = {}
    sheet = cells.sheets[NODES]
    rows = sorted({int("".join(c for c in ref if c.isdigit())) for ref in sheet if ref.startswith("A")})
    for row in rows:
        if row < L.FIRST_ROW:
            continue
        ident = _text(cells.get(NODES, f"A{row}")[0]).strip()
        points, pkind = cells.get(NODES, f"F{row}")
        reason, _kind = cells.get(NODES, f"G{row}")
        if points is None and (reason is None or not _text(reason).strip()):
            continue
        title = _text(cells.get(NODES, f"B{row}")[0]).strip()
        entry: dict[str, Any] = {}
        at = place(("nodes", ident, "points"), f"{NODES}!F{row}", title)
        if pkind == "f":
            bad(at, ("nodes", ident, "points"), title, "单元格中是公式：这里要直接填写核定分，不能用公式")
        else:
            try:
                number = _number(points)
            except _Bad as exc:
                bad(at, ("nodes", ident, "points"), title, str(exc))
                number = None
            if number is not None:
                entry["points"] = number
        place(("nodes", ident, "reason"), f"{NODES}!G{row}", title)
        positions[("nodes", ident)] = positions[("nodes", ident, "points")]
        if reason is not None and _text(reason).strip():
            entry["reason"] = _text(reason).strip()
        nodes[ident] = entry
    data = {"review": head, "nodes": nodes}
    if problems:
        raise InputError(problems)
    keys = {p: pos for p, pos in positions.items() if p}
    return Document(data, file, positions, keys, hashlib.sha256(raw).hexdigest(), cells=where)
