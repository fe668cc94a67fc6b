"""The evaluator's 核定表: generated from a result, filled in with openpyxl, read back as a review."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from wbtools import ROOT, cli, seed_workbook

YAML_REVIEW = ROOT / "examples" / "reviews" / "001-otqq-zjj-2017.review.yaml"


def _sheet(tmp_path: Path) -> tuple[Path, Path]:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    result = tmp_path / "r.json"
    assert cli("score", str(book), "--format", "json", "-o", str(result))[0] == 1 or result.is_file()
    sheet = tmp_path / "核定表.xlsx"
    code, _out, err = cli("review-template", str(result), "--xlsx", "-o", str(sheet))
    assert code == 0, err
    return book, sheet


def _row(ws: object, ident: str) -> int:
    return next(r for r in range(4, 200) if ws.cell(r, 1).value == ident)  # type: ignore[attr-defined]


def test_review_sheet_reads_back_as_the_yaml_review(tmp_path: Path) -> None:
    """Node decisions of the example review entered in Excel give the same reviewed points."""
    book, sheet = _sheet(tmp_path)
    wb = load_workbook(sheet)
    wb["核定信息"]["B4"] = "王敏"
    wb["核定信息"]["B5"] = "2018-03-01"
    ws = wb["核定分"]
    decisions = {"task": (4, "按时完成"), "extra": (0, "未提供文件"), "service.online": (0, "统计表第69行为否")}
    for ident, (points, reason) in decisions.items():
        ws[f"F{_row(ws, ident)}"] = points
        ws[f"G{_row(ws, ident)}"] = reason
    wb.save(sheet)
    reviewed = tmp_path / "reviewed.yaml"
    lines = [
        "review:",
        '  rubric: {id: ordos-otqq-zjj-2017, version: "2017.1"}',
        "  reviewer: 王敏",
        '  date: "2018-03-01"',
        "nodes:",
    ]
    lines += [f"  {i}: {{points: {p}, reason: {r}}}" for i, (p, r) in decisions.items()]
    reviewed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pdf = tmp_path / "a.pdf"
    code_x, _o, err_x = cli("render", str(book), "--review", str(sheet), "-o", str(pdf), "--date", "2018-03-01")
    assert pdf.is_file(), err_x
    plan_x = cli("plan", str(book), "--review", str(sheet), "--target", "90", "--format", "json")[1]
    plan_y = cli("plan", str(book), "--review", str(reviewed), "--target", "90", "--format", "json")[1]
    assert json.loads(plan_x) == json.loads(plan_y)
    assert code_x in (0, 1)


def test_review_sheet_problems_at_cells(tmp_path: Path) -> None:
    book, sheet = _sheet(tmp_path)
    wb = load_workbook(sheet)
    ws = wb["核定分"]
    row = _row(ws, "org.office")
    ws[f"F{row}"] = 9
    ws[f"G{row}"] = "核实"
    wb.save(sheet)
    code, _out, err = cli("render", str(book), "--review", "核定表.xlsx", "-o", "x.pdf", cwd=tmp_path)
    assert (code, err) == (1, "核定表.xlsx 核定信息!B4（核定信息）：缺少核定人（reviewer）\n")
    wb["核定信息"]["B4"] = "王敏"
    wb["核定信息"]["B5"] = "2018-03-01"
    wb.save(sheet)
    code, _out, err = cli("render", str(book), "--review", "核定表.xlsx", "-o", "x.pdf", cwd=tmp_path)
    assert code == 1
    assert err.startswith(f"核定表.xlsx 核定分!F{row}（办公室组织协调、指导、监督推进工作）：核定分 9 超过")
