"""The corpus of broken workbooks (tests/workbook/broken/, built by make_broken.py): the exact messages.

Every file is validated with the real command line from inside the corpus folder, so the
messages name the file as a body would see it.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from wbtools import cli, seed_workbook

from scoring.cli import App

BROKEN = Path(__file__).resolve().parent / "broken"
HINT = "请在本表中删除后另存为普通的 Excel 工作簿（.xlsx），或重新索取空白表（scoring template 细则编号 --xlsx）"
REFUSED = {
    "formula.xlsx": [
        "formula.xlsx 统计表!D19（收到申请数）：单元格中是公式“=1+1”：这里要直接填写内容，不能用公式（系统不会采用公式算出的值）；"
        "请复制后用“选择性粘贴 → 数值”粘回本单元格"
    ],
    "text-in-number.xlsx": ["text-in-number.xlsx 统计表!D19（收到申请数）：应为整数，实际为文字“三十”"],
    "many-problems.xlsx": [
        "many-problems.xlsx 单位信息!B10（报送日期）：日期不存在：“2018年2月30日”",
        "many-problems.xlsx 统计表!D19（收到申请数）：应为整数，实际为文字“三十”",
        "many-problems.xlsx 统计表!D20（当面申请数）：单元格中是公式“=D19”：这里要直接填写内容，不能用公式（系统不会采用公式算出的值）；"
        "请复制后用“选择性粘贴 → 数值”粘回本单元格",
        "many-problems.xlsx 统计表!D61（是否设立实体办事大厅）：应填“是”或“否”（也可以填 √、有，或 ×、无），实际为“也许”",
        "many-problems.xlsx 自查评分表!E7（研究部署推进工作）：应不大于 2，实际为 9",
        "many-problems.xlsx 佐证材料!A40（评分项）：这一行填了佐证材料，但没有选择评分项：请在 A 列从下拉列表中选择",
    ],
    "older-version.xlsx": [
        "older-version.xlsx: 本表是按评分细则“ordos-otqq-zjj-2017”（版本 2016.1）生成的，而现行的是版本 2017.1"
        "（2017年住建局政务公开工作考核评价细则），旧表不能用于本次评分；请索取当前细则的空白表"
        "（scoring template ordos-otqq-zjj-2017 --xlsx），把内容照填后重新提交"
    ],
    "macros.xlsm": [f"macros.xlsm: 工作簿含有宏（.xlsm 或 VBA 代码），出于安全考虑不予读取；{HINT}"],
    "macros-renamed.xlsx": [f"macros-renamed.xlsx: 工作簿含有宏（.xlsm 或 VBA 代码），出于安全考虑不予读取；{HINT}"],
    "external-link.xlsx": [
        f"external-link.xlsx: 工作簿含有指向其他文件的外部链接，数据可能来自别的文件，不予读取；{HINT}"
    ],
    "embedded-object.xlsx": [
        f"embedded-object.xlsx: 工作簿中嵌入了对象（其他文件、OLE 或 ActiveX 控件），不予读取；{HINT}"
    ],
    "zip-bomb.xlsx": [
        "zip-bomb.xlsx: 工作簿解压后体积异常巨大（疑似“压缩炸弹”），已拒绝；请提交由 Excel、WPS 或本工具生成的正常工作簿"
    ],
    "old-xls.xlsx": [
        "old-xls.xlsx: 这是旧版 Excel 97-2003 工作簿（.xls）或加密的工作簿，无法读取；请用 Excel 或 WPS 另存为 .xlsx 格式（不要加密码）"
    ],
    "not-a-workbook.xlsx": [
        "not-a-workbook.xlsx: 文件不是 Excel 工作簿（.xlsx）：内容不是 xlsx 格式，请确认选择的文件"
    ],
    "word-document.xlsx": [
        "word-document.xlsx: 文件不是 Excel 工作簿（.xlsx）：缺少工作簿内容（可能是 Word 文档或其他压缩包）"
    ],
}


def validate(name: str, *extra: str) -> tuple[int, list[str], str]:
    code, out, err = cli("validate", name, *extra, cwd=BROKEN)
    return code, err.splitlines(), out


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_exact_messages(name: str) -> None:
    code, problems, out = validate(name)
    assert code == 1
    assert out == f"{name}: 无效（{len(REFUSED[name])} 个问题）\n"
    assert problems == REFUSED[name]


def test_every_corpus_file_is_tested() -> None:
    names = {p.name for p in BROKEN.iterdir() if not p.name.startswith(".")}
    assert names == set(REFUSED) | set(ACCEPTED) | {"other-rubric.xlsx", "rows-deleted.xlsx"}


def test_workbook_for_another_rubric() -> None:
    code, problems, _out = validate("other-rubric.xlsx", "--rubric", "ordos-otqq-zjj-2017")
    assert code == 1
    assert problems == [
        "other-rubric.xlsx: 本表是按评分细则“annual-report-2021”（版本 1）生成的，而本次评分指定的细则是“ordos-otqq-zjj-2017”"
        "（版本 2017.1，2017年住建局政务公开工作考核评价细则），两者不能混用；请索取该细则的空白表"
        "（scoring template ordos-otqq-zjj-2017 --xlsx），把内容照填后重新提交"
    ]


def test_rows_deleted_is_refused_at_the_first_moved_rows() -> None:
    code, problems, _out = validate("rows-deleted.xlsx")
    assert code == 1 and len(problems) == 5
    assert problems[0] == (
        "rows-deleted.xlsx 统计表!B10：这里应为“其他方式公开政府信息数”，实际为“* 参加或举办新闻发布会次数”："
        "表格的行被增删、移动或改动过，无法确定各数字属于哪一项；请用原表填写（不要增删行、不要改动灰白色的文字），或重新索取空白表"
    )


# accepted, read as the YAML loader reads them: (file, {fact: value as scored})
ACCEPTED = {
    "full-width-and-spaces.xlsx": {"requests_received": 2, "requests_in_person": 2},
    "yes-no-variants.xlsx": {"has_service_hall": True, "linked_to_supervision": False, "online_service": True},
    "dropped-hidden-sheet.xlsx": {"requests_received": 2},
    "dropped-validation.xlsx": {"requests_received": 2},
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_and_read_right(name: str) -> None:
    code, _problems, out = validate(name)
    assert code == 0, _problems
    assert out.startswith(f"{name}: 自评材料有效（评分细则 ordos-otqq-zjj-2017 2017.1）")
    submission = typed(name)
    for ident, value in ACCEPTED[name].items():
        assert submission.facts[ident] == value


def typed(name: str) -> Any:
    app = App(io.StringIO(), io.StringIO(), [])
    return app.submission(str(BROKEN / name), None)[1]


def test_agency_name_is_trimmed() -> None:
    assert typed("full-width-and-spaces.xlsx").agency.name == "鄂托克前旗住房和城乡规划建设局"


def test_oversize_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    big = tmp_path / "big.xlsx"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("xl/media/image1.png", os.urandom(5 * 1024 * 1024))
    code, _out, err = cli("validate", "big.xlsx", cwd=tmp_path)
    assert code == 1
    assert err == "big.xlsx: 文件过大（超过 4 MiB），请检查是否选错了文件\n"
