"""The hidden 校验信息 sheet: which rubric (id, version, SHA-256) a workbook was made from,
and the workbook's format version. The same facts stand visibly on 填报说明 (B6, B7), so a
workbook whose hidden sheet was dropped by another program is still recognised."""

from __future__ import annotations

import attrs
from openpyxl import Workbook

from .. import model as m
from . import layout as L

KEYS = (
    ("rubric_id", "细则编号"),
    ("rubric_version", "细则版本"),
    ("rubric_sha256", "细则 SHA-256"),
    ("format", "表格格式版本"),
)
INFO_ID = "B6"  # 填报说明: 细则编号
INFO_VERSION = "B7"  # 填报说明: 细则版本


@attrs.frozen
class Stamp:
    rubric_id: str
    rubric_version: str
    rubric_sha256: str = ""
    format: str = ""
    hidden: bool = True  # False: read from the visible 填报说明 (the hidden sheet was missing)


def write_stamp(wb: Workbook, rubric: m.Rubric) -> None:
    ws = wb.create_sheet(L.STAMP)
    values = {
        "rubric_id": rubric.id,
        "rubric_version": rubric.version,
        "rubric_sha256": rubric.sha256,
        "format": L.FORMAT_VERSION,
    }
    for row, (key, label) in enumerate(KEYS, start=1):
        ws.cell(row, 1, label)
        ws.cell(row, 2, values[key])
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def read_stamp(values: dict[str, dict[str, object]]) -> Stamp | None:
    """The stamp from the cell values of each sheet (``{sheet: {"B1": value}}``), or None."""
    hidden = values.get(L.STAMP)
    if hidden:
        got = {key: _text(hidden.get(f"B{row}")) for row, (key, _label) in enumerate(KEYS, start=1)}
        if got["rubric_id"]:
            return Stamp(got["rubric_id"], got["rubric_version"], got["rubric_sha256"], got["format"])
    info = values.get(L.INFO) or {}
    ident, version = _text(info.get(INFO_ID)), _text(info.get(INFO_VERSION))
    if ident:
        return Stamp(ident, version, hidden=False)
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
