"""The digits policy: every number that leaves the core is exact in JSON, bounded, and never an exception.

Inputs have at most 15 significant digits (refused at load), points a person writes no more decimals
than the rubric keeps, derived counts and points go through the rubric's rounding, and a derived value
shown in a message (one side of a check) is cut to 15 significant digits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from conftest import rubric_yaml, score, submission_with

from scoring.numbers import bounded, decimal_places, fmt, json_number, significant_digits
from scoring.result import dumps

ROOT = Path(__file__).resolve().parent.parent

RUBRIC = """
rubric:
  id: t
  version: "1"
  title: 测试细则
  year: 2024
  total: 10
  grades: [{name: 合格, min: 6}, {name: 不合格, min: 0}]
facts:
  - {id: a, label: 甲数, type: decimal}
  - {id: b, label: 乙数, type: decimal}
  - {id: late_days, label: 迟报天数, type: count}
checks:
  - id: ratio
    title: 甲乙之比
    expect: a / b < 1
    message: "甲乙之比 {left} 过大"
sections:
  - id: s
    title: 一
    max: 10
    children:
      - {id: s.f, title: 公式, max: 5, rule: {kind: formula, points: "a / b * 10"}}
      - id: s.d
        title: 迟报扣分
        max: 5
        rule: {kind: deduction, items: [{label: 迟报（每 30 天）, per: 0.5, count: "late_days / 30"}]}
"""


def test_helpers():
    assert significant_digits(Decimal("95.50")) == 3
    assert significant_digits(Decimal("0.000120")) == 2
    assert decimal_places(Decimal("2.50")) == 1
    assert decimal_places(Decimal("1E+2")) == 0
    assert bounded(Decimal(1) / Decimal(3)) == Decimal("0.333333333333333")
    assert fmt(Decimal("1E+40")) == "1" + "0" * 40  # no InvalidOperation beyond the context's precision
    assert fmt(Decimal("2.50")) == "2.5"


def test_json_number_never_asserts_and_is_exact_within_fifteen_digits():
    """Before: ``assert repr(float) == fmt(value)`` - AssertionError, or under ``python -O`` another number."""
    assert json_number(Decimal("0.12345678901234567890")) == 0.123456789012346
    assert json_number(Decimal("123456789012.345")) == 123456789012.345
    assert json_number(Decimal("12345678901234567890")) == 12345678901234567890  # integers stay exact


def test_a_formula_over_a_tiny_divisor_is_bounded_not_invalid_operation():
    """``a / b * 10`` with ``b: 1e-18``: before, InvalidOperation (exit 3)."""
    r = rubric_yaml(RUBRIC)
    result = score(r, submission_with(r, "{a: 1000000000000, b: 3e-18, late_days: 0}"))
    node = result.node("s.f")
    assert (node.points, node.status) == (5, "met")
    assert node.reason == "按公式计算为 3333333333333330000000000000000 分，限定在 0～5 分之间，得 5 分"
    finding = next(f for f in result.findings if f.rule == "ratio")
    assert finding.message == "甲乙之比 333333333333333000000000000000 过大"  # 15 significant digits
    data = json.loads(dumps(result))
    assert next(f for f in data["findings"] if f["rule"] == "ratio")["left"] == 333333333333333000000000000000


def test_a_fractional_deduction_count_goes_through_the_rubric_rounding():
    """``count: late_days / 30``: before, 9.666666666666666666666666667 on the table and an AssertionError in JSON."""
    r = rubric_yaml(RUBRIC)
    result = score(r, submission_with(r, "{a: 1, b: 2, late_days: 290}"))
    node = result.node("s.d")
    assert node.reason == "迟报（每 30 天） 9.7 处 × 0.5 分 = 扣 4.9 分。满分 5 − 4.9 = 0.1 分"
    assert node.points == Decimal("0.1")
    data = json.loads(dumps(result))
    assert next(n for n in data["nodes"] if n["id"] == "s.d")["points"] == 0.1


def test_a_count_too_large_for_any_score_is_a_rule_error_at_its_line():
    r = rubric_yaml(RUBRIC.replace('count: "late_days / 30"', 'count: "late_days * 1000000000000"'))
    result = score(r, submission_with(r, "{a: 1, b: 2, late_days: 5000}"))
    assert result.node("s.d").status == "error"
    finding = next(f for f in result.findings if f.rule == "rule:s.d")
    assert finding.message == (
        "评分细则 rubric.yaml:24 节点“s.d”的规则无法计算：计算出的次数（项数）5000000000000000 过大："
        "应小于 10 的 15 次方，请检查表达式和填报数据"
    )
    json.loads(dumps(result))


def test_under_python_O_a_seventeen_digit_self_score_is_refused_not_silently_changed(tmp_path: Path):
    """The check is a message, not an ``assert`` (which ``-O`` removes: before, the score became 1.0)."""
    (tmp_path / "r.yaml").write_text(RUBRIC, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "rubric: {id: t, version: '1'}\nagency: {name: 测试局}\nyear: 2024\nfacts: {a: 1, b: 2}\n"
        "self_scores: {s.f: 1.0000000000000001}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-O", "-m", "scoring", "score", "s.yaml", "--rubric", "r.yaml", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "s.yaml:5:20: 字段 self_scores.s.f：数字的有效数字过多（超过 15 位）：1.0000000000000001；"
        "请按实际精度填写，多余的位数无法准确计算和保存\n"
    )
