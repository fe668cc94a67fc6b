"""Data-driven end-to-end cases: tests/cases/<name>/{rubric,submission,expected}.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scoring.engine import evaluate
from scoring.result import dumps
from scoring.rubric import load_rubric
from scoring.submission import load_submission

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path):
    rubric = load_rubric(case / "rubric.yaml")
    submission, _ = load_submission(case / "submission.yaml", rubric)
    result = json.loads(dumps(evaluate(rubric, submission)))
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    for key in ("grade", "vetoed"):
        if key in expected:
            assert result[key] == expected[key], key
    for key, value in expected.get("score", {}).items():
        assert result["score"][key] == value, f"score.{key}"
    nodes = {n["id"]: n for n in result["nodes"]}
    for ident, fields in expected.get("nodes", {}).items():
        for field, value in fields.items():
            assert nodes[ident][field] == value, f"{ident}.{field}"
    if "findings" in expected:
        assert [f["rule"] for f in result["findings"]] == expected["findings"]
    if "differences" in expected:
        got = [{k: d[k] for k in ("id", "difference", "kind")} for d in result["self_assessment"]["differences"]]
        assert got == expected["differences"]
