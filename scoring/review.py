"""Review (核定): an evaluator's verified facts, fixed points and veto decisions.

A review file is YAML checked first against ``schemas/review.schema.json``
(structure), then against the rubric it names: an unknown node, fact or veto
(with a did-you-mean), points above a node's maximum, a fact value of the wrong
type, or a missing reason are each reported at file:line:column with the
Chinese title. :func:`apply_review` scores the submission a second time with
the verified facts substituted and the fixed points as overrides (the engine
stays pure) and returns the computed result carrying three figures per node
and in total: 自评分 (``self_points``), 系统核算分 (``points``) and 核定分
(``reviewed_points``; totals in ``Result.review``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs

from . import model as m
from .engine import Override, VetoDecision, evaluate, rule_expressions
from .errors import InputError, Problem
from .numbers import decimal_places, fmt
from .result import NodeResult, Result, ReviewNote, ReviewSummary, show_value
from .submission import BOOL_WORDS, _typed, fact_schema, points_places_message
from .validation import make_validator, packaged_validator, schema_problems
from .yamlio import Document, Path_, load_file, load_text

REVIEW_SUFFIXES = (".review.yaml", ".review.yml", ".yaml", ".yml", ".review.xlsx")


class ReviewError(InputError):
    """A review file is malformed or does not fit its rubric or submission."""


@attrs.frozen
class Entry:
    """One decision: ``target`` is a fact, node or veto id; ``value`` is the typed fact
    value, the points (Decimal) or whether the veto applies (bool)."""

    target: str
    value: Any
    reason: str
    reviewer: str
    date: dt.date | None


@attrs.frozen
class Review:
    rubric_id: str
    rubric_version: str
    reviewer: str
    date: dt.date | None
    facts: tuple[Entry, ...] = ()
    nodes: tuple[Entry, ...] = ()
    vetoes: tuple[Entry, ...] = ()
    submission: str = ""  # file name of the submission reviewed, if given
    agency: str = ""
    remarks: str = ""
    file: str = ""
    sha256: str = ""
    doc: Document | None = attrs.field(default=None, eq=False, repr=False)

    def problem(self, path: Path_, message: str, label: str = "") -> Problem:
        if self.doc is None:
            return Problem(message, self.file)
        return self.doc.relocated([self.doc.problem(path, message, label)])[0]  # a 核定表 cell, or a YAML line


# -- loading --------------------------------------------------------------------------------------


def load_review(path: str | Path, rubric: m.Rubric) -> Review:
    """Read and check a review file against ``rubric``; raise :class:`ReviewError` listing every problem.
    A ``.xlsx`` is an evaluator's 核定表 (:mod:`scoring.workbook.review`), checked the same way."""
    from .workbook.read import is_workbook

    if is_workbook(str(path)):
        from .workbook.review import review_document
        from .yamlio import read_bytes

        sheet = review_document(read_bytes(path), str(path))
        try:
            review = review_from_document(sheet, rubric)
        except ReviewError as exc:
            raise ReviewError(sheet.relocated(exc.problems)) from None
        return attrs.evolve(review, sha256=sheet.sha256)
    doc = load_file(path)  # read once: the recorded SHA-256 is of the bytes reviewed
    return attrs.evolve(review_from_document(doc, rubric), sha256=doc.sha256)


def review_from_text(text: str, rubric: m.Rubric, file: str = "<review>") -> Review:
    review = review_from_document(load_text(text, file), rubric)
    return attrs.evolve(review, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def review_from_document(doc: Document, rubric: m.Rubric) -> Review:
    data = doc.data
    if not isinstance(data, dict):
        raise ReviewError(
            doc.problem((), "核定记录文件的最外层应为“名称: 值”形式的映射（review:、facts:、nodes:、vetoes:）")
        )

    def label_for(path: Path_) -> str:
        if len(path) >= 2 and path[0] == "facts" and path[1] in rubric.fact_index:
            return rubric.fact_index[str(path[1])].label
        if len(path) >= 2 and path[0] == "nodes" and path[1] in rubric.node_index:
            return rubric.node_index[str(path[1])].title
        if len(path) >= 2 and path[0] == "vetoes":
            veto = _veto(rubric, str(path[1]))
            return veto.title if veto else ""
        return {"review": "核定信息", "facts": "核实后的事实数据", "nodes": "核定分值", "vetoes": "否决项的决定"}.get(
            str(path[0]) if path else "", ""
        )

    problems = [_friendlier(p) for p in schema_problems(doc, packaged_validator("review.schema.json"), label_for)]
    if problems:
        raise ReviewError(problems)
    return _Checker(doc, rubric, label_for).build()


def _friendlier(problem: Problem) -> Problem:
    if problem.message == "缺少必填项“reason”":
        return attrs.evolve(problem, message="缺少核定理由（reason）：每一项核定都要写明理由")
    if problem.path.endswith(".applies") and problem.message.startswith("应为以下之一："):
        found = problem.message.split("；", 1)[-1] if "；" in problem.message else ""
        return attrs.evolve(problem, message="应为“是”或“否”" + (f"；{found}" if found else ""))
    if problem.message.startswith("缺少必填项“reviewer”"):
        return attrs.evolve(problem, message="缺少核定人（reviewer）")
    return problem


class _Checker:
    """The checks a static schema cannot make: ids, maxima and fact types, per rubric."""

    def __init__(self, doc: Document, rubric: m.Rubric, label_for: Any) -> None:
        self.doc = doc
        self.rubric = rubric
        self.label_for = label_for
        self.problems: list[Problem] = []

    def fail(self, path: Path_, message: str, at_key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, self.label_for(path), at_key=at_key))

    def build(self) -> Review:
        data = self.doc.data
        head = data["review"]
        rubric = self.rubric
        if head["rubric"]["id"] != rubric.id:
            self.fail(
                ("review", "rubric", "id"),
                f"本核定记录对应的评分细则是“{head['rubric']['id']}”，而自评材料所用细则是“{rubric.id}”（{rubric.title}）",
            )
        version = head["rubric"].get("version")
        if version is not None and str(version) != rubric.version:
            self.fail(
                ("review", "rubric", "version"),
                f"本核定记录对应细则版本 {version}，而自评材料所用细则版本是 {rubric.version}",
            )
        reviewer = head["reviewer"].strip()
        date = dt.date.fromisoformat(head["date"])
        facts = tuple(self.fact(k, v, reviewer, date) for k, v in (data.get("facts") or {}).items())
        nodes = tuple(self.node(k, v, reviewer, date) for k, v in (data.get("nodes") or {}).items())
        vetoes = tuple(self.veto(k, v, reviewer, date) for k, v in (data.get("vetoes") or {}).items())
        if self.problems:
            raise ReviewError(sorted(self.problems, key=lambda p: (p.line, p.column)))
        return Review(
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            reviewer=reviewer,
            date=date,
            facts=facts,
            nodes=nodes,
            vetoes=vetoes,
            submission=head.get("submission", ""),
            agency=head.get("agency", ""),
            remarks=head.get("remarks") or "",
            file=self.doc.file,
            doc=self.doc,
        )

    def entry(self, target: str, value: Any, spec: dict[str, Any], reviewer: str, date: dt.date) -> Entry:
        return Entry(
            target,
            value,
            spec["reason"].strip(),
            spec.get("reviewer", reviewer).strip(),
            dt.date.fromisoformat(spec["date"]) if "date" in spec else date,
        )

    def fact(self, ident: str, spec: dict[str, Any], reviewer: str, date: dt.date) -> Entry:
        fact = self.rubric.fact_index.get(ident)
        if fact is None:
            self.fail(("facts", ident), f"评分细则中没有编号为“{ident}”的事实{self.hint(ident, 'facts')}", at_key=True)
            return self.entry(ident, None, spec, reviewer, date)
        value = spec["value"]
        if value is not None and value != "":
            errors = list(_fact_validator(fact).iter_errors(value))
            if errors:
                wanted = _fact_kind(fact)
                self.fail(("facts", ident, "value"), f"“{fact.label}”应为{wanted}，实际为 {show_value(value)}")
                return self.entry(ident, None, spec, reviewer, date)
            value = _typed(fact, value)
        else:
            value = None
        return self.entry(ident, value, spec, reviewer, date)

    def node(self, ident: str, spec: dict[str, Any], reviewer: str, date: dt.date) -> Entry:
        node = self.rubric.node_index.get(ident)
        points = Decimal(spec["points"])
        if node is None:
            self.fail(
                ("nodes", ident), f"评分细则中没有编号为“{ident}”的评分项{self.hint(ident, 'nodes')}", at_key=True
            )
        elif decimal_places(points) > self.rubric.places:
            self.fail(("nodes", ident, "points"), points_places_message(points, self.rubric.places))
        elif points > node.max:
            self.fail(
                ("nodes", ident, "points"),
                f"核定分 {fmt(points)} 超过“{node.title}”的满分 {fmt(node.max)} 分",
            )
        return self.entry(ident, points, spec, reviewer, date)

    def veto(self, ident: str, spec: dict[str, Any], reviewer: str, date: dt.date) -> Entry:
        if _veto(self.rubric, ident) is None:
            self.fail(
                ("vetoes", ident), f"评分细则中没有编号为“{ident}”的否决项{self.hint(ident, 'vetoes')}", at_key=True
            )
        return self.entry(ident, BOOL_WORDS[spec["applies"]], spec, reviewer, date)

    def hint(self, ident: str, where: str) -> str:
        rubric = self.rubric
        if where == "facts":
            names = {f.id: f.label for f in rubric.facts}
        elif where == "nodes":
            names = {n.id: n.title for n in rubric.all_nodes()}
        else:
            names = {v.id: v.title for v in rubric.vetoes}
            if not names:
                return "（本细则没有设否决项）"
        by_title = [k for k, title in names.items() if title and title == ident]
        close = by_title or difflib.get_close_matches(ident, list(names), n=1, cutoff=0.6)
        if close:
            return f"；是不是“{close[0]}”（{names[close[0]]}）？"
        return "（可用 scoring rubric show 查看全部编号）"


def _veto(rubric: m.Rubric, ident: str) -> m.Veto | None:
    return next((v for v in rubric.vetoes if v.id == ident), None)


@lru_cache(maxsize=512)
def _fact_validator_cached(key: tuple[Any, ...], schema_json: str) -> Any:
    import json

    return make_validator(json.loads(schema_json))


def _fact_validator(fact: m.Fact) -> Any:
    import json

    from .submission import _jsonable

    schema = _jsonable(fact_schema(fact))
    return _fact_validator_cached((fact.id, fact.type), json.dumps(schema, ensure_ascii=False, sort_keys=True))


def _fact_kind(fact: m.Fact) -> str:
    from .model import FACT_TYPES

    kind = FACT_TYPES.get(fact.type, fact.type)
    if fact.options:
        kind += f"（{'、'.join(fact.options)}）"
    if fact.type == "date":
        kind += '，写成 "2018-01-12"'
    return kind


# -- applying -------------------------------------------------------------------------------------


@attrs.frozen
class ReviewedInputs:
    """What the reviewed pass feeds the engine, and the notes that explain it."""

    submission: m.Submission
    overrides: dict[str, Override]
    decisions: dict[str, VetoDecision]
    notes: tuple[ReviewNote, ...]
    by_node: dict[str, tuple[ReviewNote, ...]]


def reviewed_inputs(
    review: Review, rubric: m.Rubric, submission: m.Submission, computed: Result | None = None
) -> ReviewedInputs:
    """The submission with verified facts substituted, node overrides and veto decisions."""
    facts = dict(submission.facts)
    notes: list[ReviewNote] = []
    by_node: dict[str, list[ReviewNote]] = {}
    readers = _fact_readers(rubric)
    for entry in review.facts:
        fact = rubric.fact_index[entry.target]
        before = facts.get(entry.target)
        if entry.value is None:
            facts.pop(entry.target, None)
        else:
            facts[entry.target] = entry.value
        note = ReviewNote(
            "fact",
            entry.target,
            fact.label,
            _show(before, fact),
            _show(entry.value, fact),
            entry.reason,
            entry.reviewer,
            entry.date,
        )
        notes.append(note)
        for ident in readers.get(entry.target, ()):
            by_node.setdefault(ident, []).append(note)
    overrides = {}
    points_before = {n.id: n.points for n in computed.nodes} if computed is not None else {}
    for entry in review.nodes:
        node = rubric.node_index[entry.target]
        signed = f"（{entry.reviewer}，{entry.date.isoformat() if entry.date else ''}）"
        overrides[entry.target] = Override(entry.value, f"核定为 {fmt(entry.value)} 分：{entry.reason}{signed}")
        before = points_before.get(entry.target)
        note = ReviewNote(
            "points",
            entry.target,
            node.title,
            f"{fmt(before)} 分" if before is not None else "",
            f"{fmt(entry.value)} 分",
            entry.reason,
            entry.reviewer,
            entry.date,
        )
        notes.append(note)
        by_node.setdefault(entry.target, []).append(note)
    decisions = {}
    fired = {v.id for v in computed.vetoes} if computed is not None else set()
    for entry in review.vetoes:
        veto = _veto(rubric, entry.target)
        assert veto is not None
        decisions[entry.target] = VetoDecision(entry.value, f"{veto.message or veto.title}（核定：{entry.reason}）")
        note = ReviewNote(
            "veto",
            entry.target,
            veto.title,
            "已触发" if entry.target in fired else "未触发",
            "否决成立" if entry.value else "否决不成立",
            entry.reason,
            entry.reviewer,
            entry.date,
        )
        notes.append(note)
        if veto.node:
            by_node.setdefault(veto.node, []).append(note)
    return ReviewedInputs(
        attrs.evolve(submission, facts=facts),
        overrides,
        decisions,
        tuple(notes),
        {k: tuple(v) for k, v in by_node.items()},
    )


def apply_review(result: Result, review: Review, rubric: m.Rubric, submission: m.Submission) -> Result:
    """``result`` (the computed pass) with every node's 核定分 and the reviewed totals.

    The reviewed pass is :func:`~scoring.engine.evaluate` on the submission with the
    verified fact values substituted, node points fixed as overrides and veto
    decisions applied; a node fixed in the review wins over a fact that feeds it."""
    _check_matches(review, result)
    inputs = reviewed_inputs(review, rubric, submission, result)
    reviewed = evaluate(rubric, inputs.submission, inputs.overrides, inputs.decisions)
    after = {n.id: n for n in reviewed.nodes}
    nodes = tuple(_merge(n, after[n.id], inputs.by_node.get(n.id, ())) for n in result.nodes)
    pending = tuple(n.id for n in reviewed.nodes if n.status == "needs_review" and n.kind == "criterion")
    summary = ReviewSummary(
        reviewer=review.reviewer,
        date=review.date,
        file=Path(review.file).name if review.file else "",
        sha256=review.sha256,
        base=reviewed.base,
        bonus=reviewed.bonus,
        penalty=reviewed.penalty,
        final=reviewed.final,
        grade=reviewed.grade,
        vetoes=reviewed.vetoes,
        notes=inputs.notes,
        pending=pending,
    )
    return attrs.evolve(result, nodes=nodes, review=summary)


def _merge(computed: NodeResult, reviewed: NodeResult, notes: Iterable[ReviewNote]) -> NodeResult:
    return attrs.evolve(
        computed,
        reviewed_points=reviewed.points,
        reviewed_status=reviewed.status,
        reviewed_reason=reviewed.reason,
        review_notes=tuple(notes),
    )


def _fact_readers(rubric: m.Rubric) -> dict[str, list[str]]:
    """Fact id -> ids of the leaves whose rule reads it."""
    readers: dict[str, list[str]] = {}
    for node in rubric.all_nodes():
        for expression in rule_expressions(node.rule):
            if expression is not None:
                for name in expression.reads:
                    readers.setdefault(name, [])
                    if node.id not in readers[name]:
                        readers[name].append(node.id)
    return readers


def _show(value: Any, fact: m.Fact) -> str:
    unit = f" {fact.unit}" if fact.unit and value is not None else ""
    return show_value(value) + unit


def _check_matches(review: Review, result: Result) -> None:
    problems = []
    name = result.agency.get("name", "")
    if review.agency and review.agency != name:
        problems.append(
            review.problem(
                ("review", "agency"), f"核定记录写的单位是“{review.agency}”，而自评材料的单位是“{name}”", "被考核单位"
            )
        )
    file = result.submission.get("file", "")
    if review.submission and file and Path(review.submission).name != file:
        problems.append(
            review.problem(
                ("review", "submission"),
                f"核定记录写的自评材料是“{review.submission}”，而正在评分的是“{file}”",
                "自评材料",
            )
        )
    if problems:
        raise ReviewError(problems)


# -- finding the review of a submission (batch) ----------------------------------------------------


def review_path_for(submission: Path, review_dir: Path) -> Path | None:
    """``REVIEW_DIR/<stem>.review.yaml`` (or ``<stem>.yaml``…) for ``<stem>.yaml``, if present."""
    stem = submission.name.rsplit(".", 1)[0]
    for suffix in REVIEW_SUFFIXES:
        candidate = review_dir / f"{stem}{suffix}"
        if candidate.is_file() and candidate.resolve() != submission.resolve():
            return candidate
    return None
