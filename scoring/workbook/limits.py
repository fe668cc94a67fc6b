"""Checks on an uploaded workbook's zip container, made before openpyxl opens it.

An ``.xlsx`` is a zip of XML parts. Refused, each with a message the body can act on:
not a zip at all (an old ``.xls``, a renamed file), too large (as for YAML), a zip bomb
(too many parts, too much unpacked, or an extreme packing ratio), macros (``.xlsm``,
``vbaProject.bin``), external links, embedded objects (OLE, ActiveX, packages).
"""

from __future__ import annotations

import io
import zipfile

from ..errors import InputError, Problem
from ..yamlio import MAX_BYTES

MAX_PARTS = 1000
MAX_UNPACKED = 64 * 1024 * 1024  # all parts together, unpacked
MAX_PART = 32 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed for one part (XML packs about 10-20x)
MACRO_TYPES = ("macroEnabled", "vbaProject", "vnd.ms-excel.sheet.binary")
TEMPLATE_HINT = (
    "请在本表中删除后另存为普通的 Excel 工作簿（.xlsx），或重新索取空白表（scoring template 细则编号 --xlsx）"
)


def check_container(raw: bytes, file: str) -> None:
    """Raise InputError unless ``raw`` is a plain, reasonably sized ``.xlsx`` zip."""
    if len(raw) > MAX_BYTES:
        raise InputError(Problem(f"文件过大（超过 {MAX_BYTES // (1024 * 1024)} MiB），请检查是否选错了文件", file))
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            Problem(
                "这是旧版 Excel 97-2003 工作簿（.xls）或加密的工作簿，无法读取；请用 Excel 或 WPS 另存为 .xlsx 格式（不要加密码）",
                file,
            )
        )
    if not raw.startswith(b"PK"):
        raise InputError(Problem("文件不是 Excel 工作簿（.xlsx）：内容不是 xlsx 格式，请确认选择的文件", file))
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(Problem("文件已损坏，不是完整的 Excel 工作簿（.xlsx）；请重新保存后再提交", file)) from None
    if len(infos) > MAX_PARTS:
        raise InputError(
            Problem(f"工作簿内部的部件过多（{len(infos)} 个，上限 {MAX_PARTS}），疑似异常文件，已拒绝", file)
        )
    total = 0
    for info in infos:
        total += info.file_size
        packed = max(info.compress_size, 1)
        if (
            info.file_size > MAX_PART
            or total > MAX_UNPACKED
            or (info.file_size / packed > MAX_RATIO and info.file_size > 1024 * 1024)
        ):
            raise InputError(
                Problem(
                    "工作簿解压后体积异常巨大（疑似“压缩炸弹”），已拒绝；请提交由 Excel、WPS 或本工具生成的正常工作簿",
                    file,
                )
            )
    names = [i.filename for i in infos]
    lower = [n.lower() for n in names]
    if "[content_types].xml" not in lower or not any(n.startswith("xl/workbook") for n in lower):
        raise InputError(
            Problem("文件不是 Excel 工作簿（.xlsx）：缺少工作簿内容（可能是 Word 文档或其他压缩包）", file)
        )
    content_types = archive.read(names[lower.index("[content_types].xml")])
    if any(n.endswith("vbaproject.bin") for n in lower) or any(t.encode() in content_types for t in MACRO_TYPES):
        raise InputError(Problem(f"工作簿含有宏（.xlsm 或 VBA 代码），出于安全考虑不予读取；{TEMPLATE_HINT}", file))
    if any(n.startswith("xl/externallinks/") for n in lower):
        raise InputError(
            Problem(f"工作簿含有指向其他文件的外部链接，数据可能来自别的文件，不予读取；{TEMPLATE_HINT}", file)
        )
    embedded = [n for n in lower if n.startswith(("xl/embeddings/", "xl/activex/")) or "oleobject" in n]
    if embedded:
        raise InputError(
            Problem(f"工作簿中嵌入了对象（其他文件、OLE 或 ActiveX 控件），不予读取；{TEMPLATE_HINT}", file)
        )
