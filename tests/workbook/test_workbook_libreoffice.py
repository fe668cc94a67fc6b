"""Real LibreOffice (headless): a filled-in workbook re-saved by it reads back the same, and it
prints the workbook on A4 like the paper forms (print titles, fit to width, Chinese fonts)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from wbtools import SEED, cli, rubric, score_json, seed_workbook, soffice

from scoring.workbook.generate import workbook_bytes


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("print")
    book = folder / "自评表.xlsx"
    seed_workbook(book)
    soffice("--convert-to", "pdf", "--outdir", str(folder / "pdf"), str(book), profile=folder / "profile")
    return folder / "pdf" / "自评表.pdf"


def test_resaved_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    soffice("--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(book), profile=tmp_path / "profile")
    resaved = tmp_path / "lo" / "自评表.xlsx"
    assert resaved.read_bytes() != book.read_bytes()  # really rewritten by LibreOffice
    assert score_json(resaved) == score_json(SEED)
    code, _out, err = cli("validate", str(resaved))
    code_yaml, _out_yaml, err_yaml = cli("validate", str(SEED))
    assert code == code_yaml == 0
    assert len(err.splitlines()) == len(err_yaml.splitlines()) == 7  # the same reminders, at cells
    assert (
        "统计表!D4（主动公开政府信息总数（不同渠道发相同信息计1条））：[提醒] 门户网站公开数不大于主动公开总数" in err
    )


def test_blank_workbook_resaved_by_libreoffice_imports_as_the_template(tmp_path: Path) -> None:
    used = rubric("annual-report-2021")
    book = tmp_path / "空白.xlsx"
    book.write_bytes(workbook_bytes(used))
    soffice("--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(book), profile=tmp_path / "profile")
    code, out, err = cli("import", str(tmp_path / "lo" / "空白.xlsx"))
    assert code == 0, err
    assert out.startswith("# yaml-language-server: $schema=annual-report-2021.submission.schema.json\n")
    assert "必填项“单位名称”没有填写" in err


def _run(*argv: str) -> str:
    return subprocess.run(list(argv), check=True, capture_output=True, text=True).stdout


def test_printed_on_a4_with_chinese_fonts(printed: Path) -> None:
    info = _run("pdfinfo", str(printed))
    assert "595.3 x 841.89 pts (A4)" in info or "595.304 x 841.89 pts (A4)" in info
    fonts = _run("pdffonts", str(printed))
    assert "CJK" in fonts  # Chinese glyphs from a CJK font, not boxes


def test_printed_pages_carry_titles_and_whole_width(printed: Path) -> None:
    pages = _run("pdftotext", "-layout", str(printed), "-").split("\f")
    scoring = [p for p in pages if "细则自查评分表" in p]
    stats = [p for p in pages if "政务公开工作统计表" in p]
    assert len(scoring) >= 2 and len(stats) >= 2  # print titles: the heading repeats on every page
    for page in scoring:  # fit to width: every column on the same page as the heading row
        assert all(word in page for word in ("考核项目", "具体标准", "自评分", "佐证材料"))
    for page in stats:
        assert all(word in page for word in ("序号", "统计指标", "统计数", "说明"))
    assert "第 1 页，共" in pages[0]


def test_printed_pages_render(printed: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(printed), str(tmp_path / "p")], check=True
    )
    assert sorted(p.name for p in tmp_path.glob("p-*.png"))
