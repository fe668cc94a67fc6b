"""Round trips: a submission written into its rubric's workbook (openpyxl), read back, scores the same."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from wbtools import ROOT, RUBRICS, SEED, cli, rubric, score_json, seed_workbook, synthetic, without_provenance

from scoring.workbook.generate import workbook_bytes

EXAMPLES = [
    SEED,
    ROOT / "examples" / "000-suizhou-zjw-2017.yaml",
    ROOT / "examples" / "003-luoyang-fgw-2018.yaml",
    ROOT / "examples" / "batch" / "2018-dlt-zjj.yaml",
    *sorted((ROOT / "examples" / "reports").glob("*.yaml")),
]
SHIPPED = sorted(p.stem for p in RUBRICS.glob("*.yaml"))


def test_seed_001_scores_byte_identical(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    assert score_json(book) == score_json(SEED)
    _code, out, _err = cli("score", str(book), "--format", "json")
    assert json.loads(out)["submission"]["file"] == "自评表.xlsx"


@pytest.mark.parametrize("source", EXAMPLES, ids=lambda p: p.name)
def test_examples_round_trip(tmp_path: Path, source: Path) -> None:
    book = tmp_path / f"{source.stem}.xlsx"
    seed_workbook(book, source)
    assert score_json(book) == score_json(source)


def _as_json_yaml(data: dict) -> str:
    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        raise TypeError(type(value))

    return json.dumps(data, ensure_ascii=False, default=plain)  # JSON is YAML


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_rubric_round_trips(tmp_path: Path, name: str) -> None:
    used = rubric(name)
    data = synthetic(used)
    book = tmp_path / "book.xlsx"
    book.write_bytes(workbook_bytes(used, data))
    plain = tmp_path / "plain.yaml"
    plain.write_text(_as_json_yaml(data), encoding="utf-8")
    assert score_json(book) == score_json(plain)
    # scoring import writes the canonical YAML, which scores the same again
    imported = tmp_path / "imported.yaml"
    code, _out, err = cli("import", str(book), "-o", str(imported))
    assert code == 0, err
    assert score_json(imported) == score_json(plain)


def test_import_writes_the_template_layout(tmp_path: Path) -> None:
    """The imported YAML is ``scoring template`` with the values in place: same comments, same lines."""
    used = rubric("ordos-otqq-zjj-2017")
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(workbook_bytes(used))
    template = tmp_path / "t.yaml"
    assert cli("template", str(RUBRICS / "ordos-otqq-zjj-2017.yaml"), "-o", str(template))[0] == 0
    imported = tmp_path / "i.yaml"
    code, _out, err = cli("import", str(blank), "-o", str(imported))
    assert code == 0, err
    assert "必填项" in err  # the blanks are reminded, as for the template
    # one difference: a blank multiple-choice cell is "not known" (~), the template offers [] to fill in
    multi = [f.id for f in used.facts if f.type == "multi_choice"]
    expected = template.read_text(encoding="utf-8")
    for ident in multi:
        expected = expected.replace(f"  {ident}: []\n", f"  {ident}: ~\n")
    assert imported.read_text(encoding="utf-8") == expected


def test_import_of_seed_keeps_values_and_comments(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    imported = tmp_path / "001.yaml"
    assert cli("import", str(book), "-o", str(imported))[0] == 0
    text = imported.read_text(encoding="utf-8")
    assert "  requests_received: 2\n" in text
    assert "  # 收到申请数（非负整数，单位：件，必填）" in text
    assert 'name: "鄂托克前旗住房和城乡规划建设局"' in text
    assert without_provenance(score_json(imported)) == score_json(SEED)


def test_import_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    book = tmp_path / "自评表.xlsx"
    seed_workbook(book)
    before = book.read_bytes()
    code, _out, err = cli("import", str(book), "-o", str(book))
    assert code == 1 and "输出文件与输入文件相同" in err
    assert book.read_bytes() == before
