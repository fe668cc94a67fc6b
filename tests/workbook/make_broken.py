"""Build the corpus of broken workbooks in tests/workbook/broken/ (run again when the layout changes):

    .venv/bin/python tests/workbook/make_broken.py

Each is the seed-001 workbook with one thing done to it that bodies, other programs or
attackers do. tests/workbook/test_workbook_broken.py holds the exact message each must give.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from wbtools import rubric, seed_workbook  # noqa: E402

from scoring.workbook.generate import workbook_bytes  # noqa: E402

OUT = HERE / "broken"


def _seed() -> bytes:
    path = OUT / ".seed.xlsx"
    seed_workbook(path)
    raw = path.read_bytes()
    path.unlink()
    return raw


def _edit(raw: bytes, changes: dict[str, object], drop: tuple[str, ...] = (), no_validation: bool = False) -> bytes:
    wb = load_workbook(io.BytesIO(raw))
    for where, value in changes.items():
        sheet, ref = where.split("!")
        wb[sheet][ref].value = value
    for name in drop:
        del wb[name]
    if no_validation:
        for ws in wb.worksheets:
            ws.data_validations.dataValidation = []
            ws.protection.sheet = False
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_with(raw: bytes, extra: dict[str, bytes], content_type: bytes = b"") -> bytes:
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and content_type:
                data = data.replace(b"</Types>", content_type + b"</Types>")
            target.writestr(info, data)
        for name, data in extra.items():
            target.writestr(name, data)
    return out.getvalue()


def build() -> dict[str, bytes]:
    seed = _seed()
    other = workbook_bytes(rubric("annual-report-2021"))
    return {
        "formula.xlsx": _edit(seed, {"统计表!D19": "=1+1"}),
        "text-in-number.xlsx": _edit(seed, {"统计表!D19": "三十"}),
        "many-problems.xlsx": _edit(
            seed,
            {
                "统计表!D19": "三十",
                "统计表!D20": "=D19",
                "统计表!D61": "也许",
                "自查评分表!E7": 9,
                "单位信息!B10": "2018年2月30日",
                "佐证材料!B40": "无评分项的材料",
            },
        ),
        "full-width-and-spaces.xlsx": _edit(
            seed, {"统计表!D19": "２", "统计表!D20": "2  ", "单位信息!B4": " 鄂托克前旗住房和城乡规划建设局 "}
        ),
        "yes-no-variants.xlsx": _edit(seed, {"统计表!D61": "√", "统计表!D63": "无", "统计表!D64": "有"}),
        "dropped-hidden-sheet.xlsx": _edit(seed, {}, drop=("校验信息",)),
        "dropped-validation.xlsx": _edit(seed, {}, no_validation=True),
        "older-version.xlsx": _edit(seed, {"校验信息!B2": "2016.1", "填报说明!B7": "2016.1"}),
        "other-rubric.xlsx": other,
        "rows-deleted.xlsx": _rows_deleted(seed),
        "macros.xlsm": _zip_with(
            seed,
            {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512},
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
        ),
        "macros-renamed.xlsx": _zip_with(seed, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512}),
        "external-link.xlsx": _zip_with(seed, {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
        "embedded-object.xlsx": _zip_with(seed, {"xl/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 64}),
        "zip-bomb.xlsx": _zip_with(seed, {"xl/media/image1.png": b"\0" * (48 * 1024 * 1024)}),
        "old-xls.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024,
        "not-a-workbook.xlsx": "单位名称,收到申请数\n某局,三十\n".encode(),
        "word-document.xlsx": _zip_with(
            _empty_zip(), {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
        ),
    }


def _empty_zip() -> bytes:
    out = io.BytesIO()
    zipfile.ZipFile(out, "w").close()
    return out.getvalue()


def _rows_deleted(raw: bytes) -> bytes:
    wb = load_workbook(io.BytesIO(raw))
    ws = wb["统计表"]
    ws.protection.sheet = False
    ws.delete_rows(10, 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, data in build().items():
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
