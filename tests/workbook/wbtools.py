"""Helpers for the workbook tests: real files, the real command line, real LibreOffice."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from scoring import model as m
from scoring.cli import run
from scoring.rubric import load_rubric
from scoring.workbook import layout as L
from scoring.workbook.generate import workbook_bytes
from scoring.yamlio import load_file

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"
SEED = ROOT / "examples" / "001-otqq-zjj-2017.yaml"


def cli(*argv: str, cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    if cwd:
        os.chdir(cwd)
    try:
        code = run(list(argv), out, err)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def rubric(name: str) -> m.Rubric:
    return load_rubric(RUBRICS / f"{name}.yaml")


def seed_workbook(path: Path, source: Path = SEED) -> m.Rubric:
    """``source``'s data written into its rubric's workbook with openpyxl, saved at ``path``."""
    doc = load_file(source)
    ident = doc.data["rubric"]["id"]
    used = rubric(ident)
    path.write_bytes(workbook_bytes(used, doc.data))
    return used


def without_provenance(text: str) -> str:
    """Scoring JSON with the submission's file name and SHA-256 (which name the input file) blanked."""
    return re.sub(r'("submission": \{\s*"file": )"[^"]*",(\s*"sha256": )"[0-9a-f]*"', r'\1"",\2""', text)


def score_json(path: Path, *extra: str) -> str:
    code, out, err = cli("score", str(path), "--format", "json", *extra)
    assert code in (0, 1) and out, err
    return without_provenance(out)


def edit(path: Path, changes: dict[str, Any], target: Path | None = None) -> Path:
    """Set cells (``{"统计表!D23": "三十"}``) with openpyxl and save (to ``target``, default in place)."""
    wb = load_workbook(path)
    for where, value in changes.items():
        sheet, ref = where.split("!")
        wb[sheet][ref].value = value
    out = target or path
    wb.save(out)
    return out


def where(used: m.Rubric, path: tuple[str, ...]) -> str:
    return next(i.where for i in L.layout(used).inputs if i.path == path)


def soffice(*args: str, profile: Path) -> None:
    """Real LibreOffice, headless, with a private profile (parallel runs do not share one)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice (soffice) is not installed: run bash scripts/setup.sh"
    subprocess.run(
        [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", *args],
        check=True,
        capture_output=True,
        timeout=180,
    )


def synthetic(used: m.Rubric) -> dict[str, Any]:
    """A submission filling every input of ``used`` with a value of the right kind."""
    facts: dict[str, Any] = {}
    for i, fact in enumerate(used.facts):
        low = int(fact.minimum) if fact.minimum is not None else 0
        high = int(fact.maximum) if fact.maximum is not None else low + 50
        number = min(high, low + (i * 7) % 13)
        facts[fact.id] = {
            "count": number,
            "integer": number,
            "decimal": Decimal(number) + Decimal("0.25") if number < high else Decimal(number),
            "bool": "是" if i % 2 else "否",
            "date": f"2018-01-{1 + i % 28:02d}",
            "choice": fact.options[i % len(fact.options)] if fact.options else None,
            "multi_choice": list(fact.options[: 1 + i % max(1, len(fact.options))]),
            "text": f"第 {i} 项说明\n第二行",
        }[fact.type]
    scores = {n.id: n.max / 2 for n in used.all_nodes() if n.is_leaf}
    nodes = used.all_nodes()
    evidence = {nodes[0].id: [{"doc": "××发〔2018〕8号", "url": "https://example.gov.cn/a", "note": "说明"}]}
    evidence[nodes[-1].id] = [{"file": "会议纪要.pdf"}, {"note": "第二份"}]
    return {
        "rubric": {"id": used.id, "version": used.version},
        "agency": {"name": "测试单位", "region": "某市", "level": "县级部门", "contact": "张三 0477-1234567"},
        "year": used.year,
        "submitted": "2018-01-12",
        "facts": facts,
        "self_scores": scores,
        "self_total": sum(scores.values(), Decimal(0)),
        "evidence": evidence,
        "remarks": "备注第一行\n备注第二行",
    }


def yaml_of(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
