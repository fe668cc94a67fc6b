"""The result of scoring one submission, and its JSON form.

Everything here is plain data. ``Result.to_dict()`` is the documented JSON
contract (README, "结果 JSON"); :func:`dumps` gives byte-identical output for
identical inputs (no clock, no environment, stable order).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs

from .numbers import fmt, json_number

STATUS_LABELS = {
    "met": "达标",
    "partial": "部分达标",
    "unmet": "未达标",
    "needs_review": "待核定",
    "data_missing": "缺少数据",
    "vetoed": "否决",
    "error": "规则出错",
}
KIND_LABELS = {"over": "自评虚高", "under": "自评偏低", "unsupported": "缺少数据支撑"}
SEVERITY_LABELS = {"error": "错误", "warning": "提醒"}


@attrs.frozen
class FactValue:
    id: str
    label: str
    value: Any
    unit: str = ""

    def display(self) -> str:
        unit = f" {self.unit}" if self.unit and self.value is not None else ""
        return f"{self.label} = {show_value(self.value)}{unit}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "value": jsonable(self.value), "unit": self.unit}


@attrs.frozen
class ReviewNote:
    """One decision of an evaluator's review (核定), as printed next to the node it changed.

    ``kind``: ``points`` (node points fixed), ``fact`` (a fact value verified),
    ``veto`` (a veto confirmed or dismissed). ``before``/``after`` are display text."""

    kind: str
    target: str
    title: str
    before: str
    after: str
    reason: str
    reviewer: str = ""
    date: dt.date | None = None

    def display(self) -> str:
        what = {"points": "核定分值", "fact": "核定数据", "veto": "否决项"}.get(self.kind, "核定")
        return f"{what}“{self.title}”：{self.before} → {self.after}（{self.reason}）"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "title": self.title,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "reviewer": self.reviewer,
            "date": self.date.isoformat() if self.date else None,
        }


@attrs.frozen
class NodeResult:
    id: str
    parent: str
    depth: int
    kind: str  # section | item | criterion
    bonus: bool
    title: str
    text: str
    max: Decimal
    points: Decimal
    status: str
    reason: str
    rule: str = ""
    facts: tuple[FactValue, ...] = ()
    self_points: Decimal | None = None
    evidence: tuple[dict[str, str], ...] = ()
    evidence_expected: str = ""
    # after an evaluator's review (scoring.review.apply_review); None / "" / () before
    reviewed_points: Decimal | None = None  # 核定分
    reviewed_status: str = ""
    reviewed_reason: str = ""
    review_notes: tuple[ReviewNote, ...] = ()

    @property
    def difference(self) -> Decimal | None:
        return None if self.self_points is None else self.self_points - self.points

    @property
    def reviewed(self) -> Decimal | None:
        """Alias of :attr:`reviewed_points` (核定分)."""
        return self.reviewed_points

    @property
    def final_points(self) -> Decimal:
        """核定分 when reviewed, else 系统核算分."""
        return self.points if self.reviewed_points is None else self.reviewed_points

    @property
    def lost(self) -> Decimal:
        return self.max - self.points

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent": self.parent or None,
            "depth": self.depth,
            "kind": self.kind,
            "bonus": self.bonus,
            "title": self.title,
            "text": self.text,
            "max": json_number(self.max),
            "points": json_number(self.points),
            "self_points": json_number(self.self_points),
            "difference": json_number(self.difference),
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "rule": self.rule,
            "reason": self.reason,
            "facts": [f.to_dict() for f in self.facts],
            "evidence": list(self.evidence),
            "evidence_expected": self.evidence_expected,
            "reviewed_points": json_number(self.reviewed_points),
            "reviewed_status": self.reviewed_status or None,
            "review": [n.to_dict() for n in self.review_notes],
        }


@attrs.frozen
class Finding:
    rule: str
    title: str
    severity: str  # error | warning
    message: str
    values: tuple[FactValue, ...] = ()
    left: Any = None
    right: Any = None
    where: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "message": self.message,
            "values": [v.to_dict() for v in self.values],
            "left": jsonable(self.left),
            "right": jsonable(self.right),
            "where": self.where,
        }


@attrs.frozen
class Difference:
    id: str
    title: str
    self_points: Decimal
    computed: Decimal
    kind: str

    @property
    def difference(self) -> Decimal:
        return self.self_points - self.computed

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "self": json_number(self.self_points),
            "computed": json_number(self.computed),
            "difference": json_number(self.difference),
            "kind": self.kind,
            "kind_label": KIND_LABELS[self.kind],
        }


@attrs.frozen
class VetoHit:
    id: str
    title: str
    message: str
    effect: str
    node: str
    facts: tuple[FactValue, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "message": self.message,
            "effect": self.effect,
            "node": self.node or None,
            "facts": [f.to_dict() for f in self.facts],
        }


@attrs.frozen
class MissingFact:
    id: str
    label: str
    required: bool
    feeds: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "required": self.required, "feeds": list(self.feeds)}


@attrs.frozen
class ReviewSummary:
    """The totals after an evaluator's review (核定), and who reviewed when."""

    reviewer: str
    date: dt.date | None
    file: str
    sha256: str
    base: Decimal
    bonus: Decimal
    penalty: Decimal
    final: Decimal
    grade: str
    vetoes: tuple[VetoHit, ...] = ()
    notes: tuple[ReviewNote, ...] = ()
    pending: tuple[str, ...] = ()  # manual criteria still awaiting a decision

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "date": self.date.isoformat() if self.date else None,
            "file": self.file,
            "sha256": self.sha256,
            "base": json_number(self.base),
            "bonus": json_number(self.bonus),
            "penalty": json_number(self.penalty),
            "final": json_number(self.final),
            "grade": self.grade,
            "vetoed": bool(self.vetoes),
            "vetoes": [v.to_dict() for v in self.vetoes],
            "notes": [n.to_dict() for n in self.notes],
            "pending": list(self.pending),
        }


@attrs.frozen
class Result:
    rubric: dict[str, Any]
    agency: dict[str, str]
    year: int
    submitted: dt.date | None
    submission: dict[str, str]
    base: Decimal
    bonus: Decimal
    penalty: Decimal
    final: Decimal
    max: Decimal
    max_with_bonus: Decimal
    grade: str
    vetoes: tuple[VetoHit, ...]
    nodes: tuple[NodeResult, ...]
    findings: tuple[Finding, ...]
    missing_facts: tuple[MissingFact, ...]
    self_total: Decimal | None
    self_declared_total: Decimal | None
    differences: tuple[Difference, ...]
    facts_filled: int
    facts_total: int
    engine_version: str
    remarks: str = ""
    review: ReviewSummary | None = None  # 核定 totals, set by scoring.review.apply_review

    @property
    def final_score(self) -> Decimal:
        """核定分 when reviewed, else 系统核算分: the score that ranks."""
        return self.final if self.review is None else self.review.final

    @property
    def final_grade(self) -> str:
        return self.grade if self.review is None else self.review.grade

    @property
    def final_vetoes(self) -> tuple[VetoHit, ...]:
        return self.vetoes if self.review is None else self.review.vetoes

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def node(self, ident: str) -> NodeResult:
        for n in self.nodes:
            if n.id == ident:
                return n
        raise KeyError(ident)

    def top_level(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.depth == 0]

    def to_dict(self) -> dict[str, Any]:
        sections = [
            {
                "id": n.id,
                "title": n.title,
                "bonus": n.bonus,
                "max": json_number(n.max),
                "points": json_number(n.points),
                "self_points": json_number(n.self_points),
                "ratio": json_number(_ratio(n.points, n.max)),
                "reviewed_points": json_number(n.reviewed_points),
            }
            for n in self.top_level()
        ]
        return {
            "rubric": self.rubric,
            "agency": self.agency,
            "year": self.year,
            "submitted": self.submitted.isoformat() if self.submitted else None,
            "submission": self.submission,
            "engine": {"version": self.engine_version},
            "score": {
                "base": json_number(self.base),
                "bonus": json_number(self.bonus),
                "penalty": json_number(self.penalty),
                "final": json_number(self.final),
                "max": json_number(self.max),
                "max_with_bonus": json_number(self.max_with_bonus),
            },
            "grade": self.grade,
            "vetoed": bool(self.vetoes),
            "vetoes": [v.to_dict() for v in self.vetoes],
            "sections": sections,
            "self_assessment": {
                "total": json_number(self.self_total),
                "declared_total": json_number(self.self_declared_total),
                "differences": [d.to_dict() for d in self.differences],
            },
            "nodes": [n.to_dict() for n in self.nodes],
            "findings": [f.to_dict() for f in self.findings],
            "missing_facts": [m.to_dict() for m in self.missing_facts],
            "completeness": {
                "facts_filled": self.facts_filled,
                "facts_total": self.facts_total,
                "ratio": json_number(_ratio(Decimal(self.facts_filled), Decimal(self.facts_total))),
            },
            "remarks": self.remarks,
            "review": self.review.to_dict() if self.review else None,
        }


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return Decimal(0)
    return (part / whole).quantize(Decimal("0.0001"))


def jsonable(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return json_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def show_value(value: Any) -> str:
    if value is None:
        return "（未填写）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal):
        return fmt(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(show_value(v) for v in value) or "（无）"
    return str(value)


def dumps(result: Result) -> str:
    """Canonical JSON: same inputs, same bytes."""
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
