"""The workbook through every command: template --xlsx, validate, score, render, batch, compare, plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from openpyxl import load_workbook
from wbtools import SEED, cli, edit, score_json, seed_workbook, without_provenance


def test_template_xlsx_writes_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "自评表.xlsx"
    code, _out, err = cli("template", "ordos-otqq-zjj-2017", "--xlsx", "-o", str(out))
    assert code == 0 and "已写入" in err
    wb = load_workbook(out)
    assert wb.sheetnames == ["填报说明", "单位信息", "统计表", "其他事实", "自查评分表", "佐证材料", "选项", "校验信息"]
    assert wb["校验信息"].sheet_state == "veryHidden" and wb["选项"].sheet_state == "hidden"
    assert wb["统计表"]["B19"].value == "* 收到申请数" and wb["统计表"]["A19"].value == "21"
    assert wb["单位信息"]["A8"].value == "联系人及电话"
    assert wb["自查评分表"].print_title_rows == "$1:$3"
    assert wb["统计表"]["D19"].protection.locked is False and wb["统计表"]["B19"].protection.locked is True


def test_template_xlsx_needs_an_output(tmp_path: Path) -> None:
    code, _out, err = cli("template", "ordos-otqq-zjj-2017", "--xlsx")
    assert code == 2 and "须用 -o 指定文件名" in err


def test_validate_mixes_yaml_and_xlsx(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    bad = edit(book, {"统计表!D19": "三十"}, tmp_path / "错.xlsx")
    code, out, err = cli("validate", "自评表.xlsx", bad.name, cwd=tmp_path)
    assert code == 1
    assert out.splitlines()[1] == "错.xlsx: 无效（1 个问题）"
    assert err.splitlines()[-1] == "错.xlsx 统计表!D19（收到申请数）：应为整数，实际为文字“三十”"


def test_batch_folder_mixes_yaml_and_xlsx(tmp_path: Path) -> None:
    source = tmp_path / "材料"
    source.mkdir()
    shutil.copy(SEED, source / "a.yaml")
    seed_workbook(source / "b.xlsx")
    edit(source / "b.xlsx", {"统计表!D19": "三十"}, source / "c.xlsx")
    code, _out, err = cli("batch", str(source), "-o", str(tmp_path / "out"), "--jobs", "1", "--date", "2018-03-01")
    results = tmp_path / "out" / "results"
    assert sorted(p.name for p in results.iterdir()) == ["a.json", "b.xlsx.json"]
    a = (results / "a.json").read_text(encoding="utf-8")
    b = (results / "b.xlsx.json").read_text(encoding="utf-8")
    assert without_provenance(a) == without_provenance(b)
    assert "c.xlsx 统计表!D19（收到申请数）：应为整数，实际为文字“三十”" in err
    assert code == 1


def test_compare_workbook_with_yaml(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    code, out, err = cli("compare", str(SEED), str(book), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["total"]["delta"] == 0 and json.loads(out)["b"]["file"] == "自评表.xlsx"


def test_plan_and_render_accept_xlsx(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    plan_x = cli("plan", str(book), "--target", "90", "--format", "json")[1]
    plan_y = cli("plan", str(SEED), "--target", "90", "--format", "json")[1]
    assert plan_x == plan_y
    pdf = tmp_path / "评分表.pdf"
    cli("render", str(book), "-o", str(pdf), "--date", "2018-03-01")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert score_json(book) == score_json(SEED)


def test_inspect_workbook_for_uploaded_bytes(tmp_path: Path) -> None:
    """The site's entry point: bytes in memory, the same inspection and audit as ``validate``."""
    from scoring.diagnose import audit
    from scoring.engine import evaluate
    from scoring.registry import PROJECT_RUBRICS, Rubrics
    from scoring.workbook.read import inspect_workbook

    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    rubrics = Rubrics([PROJECT_RUBRICS])
    found = inspect_workbook(book.read_bytes(), "上传.xlsx", lambda doc: rubrics.for_submission(doc, None))
    assert found.submission is not None and found.problems == ()
    checked = audit(found, evaluate(found.rubric, found.submission))
    assert str(checked.warnings[0]).startswith("上传.xlsx 统计表!D4（")
    bad = edit(book, {"统计表!D19": "三十"}, tmp_path / "b.xlsx")
    found = inspect_workbook(bad.read_bytes(), "上传.xlsx", lambda doc: rubrics.for_submission(doc, None))
    assert [str(p) for p in found.problems] == ["上传.xlsx 统计表!D19（收到申请数）：应为整数，实际为文字“三十”"]


def test_import_of_a_broken_workbook_writes_nothing(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    edit(book, {"统计表!D19": "三十"})
    code, _out, err = cli("import", "自评表.xlsx", "-o", "自评表.yaml", cwd=tmp_path)
    assert code == 1
    assert err == "自评表.xlsx 统计表!D19（收到申请数）：应为整数，实际为文字“三十”\n"
    assert not (tmp_path / "自评表.yaml").exists()


def test_template_xlsx_from_a_submission_scores_as_the_submission(tmp_path: Path) -> None:
    first, again = tmp_path / "001.xlsx", tmp_path / "001-again.xlsx"
    code, _out, err = cli("template", "ordos-otqq-zjj-2017", "--xlsx", "--from", str(SEED), "-o", str(first))
    assert code == 0, err
    assert load_workbook(first)["单位信息"]["B4"].value == "鄂托克前旗住房和城乡规划建设局"
    assert without_provenance(score_json(first)) == without_provenance(score_json(SEED))
    code, _out, err = cli("template", "ordos-otqq-zjj-2017", "--xlsx", "--from", str(first), "-o", str(again))
    assert code == 0, err
    assert again.read_bytes() == first.read_bytes()  # same data, same bytes (no clock in the zip)


def test_template_from_is_checked_against_the_rubric_asked_for(tmp_path: Path) -> None:
    code, _out, err = cli(
        "template", "ordos-otqq-zjj-2018", "--xlsx", "--from", str(SEED), "-o", str(tmp_path / "x.xlsx")
    )
    assert code == 1 and "评估人指定的是“ordos-otqq-zjj-2018”" in err
    assert not (tmp_path / "x.xlsx").exists()
    code, _out, err = cli("template", "ordos-otqq-zjj-2017", "--from", str(SEED))
    assert code == 2 and "请同时加 --xlsx" in err
