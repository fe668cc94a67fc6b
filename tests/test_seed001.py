"""The seed-001 body (鄂托克前旗住建局, 2017) against the 2017 rubric, pinned."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from scoring.engine import evaluate
from scoring.result import dumps
from scoring.rubric import load_rubric
from scoring.submission import load_submission

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "001-otqq-zjj-2017.json"


@pytest.fixture(scope="module")
def result():
    rubric = load_rubric(ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml")
    submission, missing = load_submission(ROOT / "examples" / "001-otqq-zjj-2017.yaml", rubric)
    assert missing == []
    return evaluate(rubric, submission)


def test_rubric_points_are_as_printed():
    rubric = load_rubric(ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml")
    assert {s.title: s.max for s in rubric.sections} == {
        "组织领导": 15,
        "制度机制建设": 10,
        "平台建设": 5,
        "政府信息公开": 50,
        "回应解读": 15,
        "政务服务": 5,
    }
    assert {n.id: n.max for n in rubric.node_index["disclosure"].children} == {
        "disclosure.proactive": 40,
        "disclosure.request": 10,
    }
    assert [(b.title, b.max) for b in rubric.bonus] == [("任务", 5), ("加分项", 5)]
    assert rubric.total == 100 and rubric.max_with_bonus == 110


def test_self_score_total_is_74(result):
    assert result.self_total == Decimal(74)


def test_statistics_table_contradiction_is_found_as_a_warning(result):
    assert [(f.severity, f.left, f.right) for f in result.findings] == [("warning", 45, 30)]


def test_the_row_69_over_claim_is_found(result):
    online = next(d for d in result.differences if d.id == "service.online")
    assert (online.self_points, online.computed, online.kind) == (1, 0, "over")


def test_engine_result_is_pinned(result, request):
    text = dumps(result)
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "run pytest --update-golden after an intended change"
