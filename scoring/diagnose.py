"""Everything wrong with one submission, in one round, each at its line.

:func:`inspect` reads with recovery (:mod:`scoring.recover`), types the submission
and collects the problems that make it invalid together with the missing required
facts; :func:`audit` runs the engine on a valid one and locates what ``score`` would
flag (failed checks, the self-score total, self-scores above what the facts support,
vetoes) at the lines of the facts or self-scores involved. ``validate`` prints both;
``score`` and ``render`` stop on the first part.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from . import model as m
from .errors import InputError, Problem
from .numbers import fmt
from .recover import Reading, read
from .result import KIND_LABELS, SEVERITY_LABELS, Finding, Result
from .submission import check_document, labeller
from .yamlio import Document

RubricFor = Callable[[Document], m.Rubric]


@attrs.frozen
class Inspection:
    reading: Reading
    rubric: m.Rubric | None = None
    submission: m.Submission | None = None
    problems: tuple[Problem, ...] = ()  # the file is invalid (cannot be scored)
    missing: tuple[Problem, ...] = ()  # required facts left blank (scored, but an error)


def inspect(text: str, file: str, rubric_for: RubricFor) -> Inspection:
    return inspect_reading(read(text, file), rubric_for)


def inspect_file(path: str, rubric_for: RubricFor) -> tuple[Inspection, str]:
    """The one way in for a submission file, by its name: ``.xlsx`` is a body's workbook
    (:mod:`scoring.workbook`), anything else YAML. Returns the inspection and the SHA-256 of
    the bytes read (once: the digest is of exactly what was checked)."""
    import hashlib

    from .workbook.read import is_workbook, read_workbook
    from .yamlio import decode, read_bytes

    raw = read_bytes(path)
    if is_workbook(path):
        reading, _rubric = read_workbook(raw, path, rubric_for)
        return inspect_reading(reading, rubric_for), hashlib.sha256(raw).hexdigest()
    return inspect(decode(raw, path), path, rubric_for), hashlib.sha256(raw).hexdigest()


def inspect_reading(reading: Reading, rubric_for: RubricFor) -> Inspection:
    """:func:`inspect` of a file already read (a YAML text, or a workbook: :mod:`scoring.workbook.read`)."""
    if reading.doc is None:
        return Inspection(reading, problems=reading.problems)
    doc = reading.doc
    try:
        rubric = rubric_for(doc)
    except InputError:
        if reading.problems:  # the rubric reference may sit on a line that could not be read
            return Inspection(reading, problems=reading.problems)
        raise
    label_for = labeller(rubric)
    read_problems = [
        attrs.evolve(p, label=label_for(_path(p.path))) if p.path and not p.label else p for p in reading.problems
    ]
    try:
        submission, problems, missing = check_document(doc, rubric)
    except InputError as exc:
        return Inspection(reading, rubric, problems=tuple(_ordered(read_problems + exc.problems)))
    if doc.cells:  # a workbook cell already reported (a formula, a bad date) is not "missing" as well
        reported = {p.line for p in read_problems}
        missing = [p for p in missing if p.line not in reported]
    hidden = "\n".join(reading.omitted.values())
    problems = [p for p in problems if reading.certain(p) and not _held_by(p, hidden)]
    missing = [p for p in missing if not _held_by(p, hidden)]
    if read_problems or problems:
        return Inspection(reading, rubric, None, tuple(_ordered(read_problems + problems)), tuple(missing))
    return Inspection(reading, rubric, submission, (), tuple(missing))


def _path(dotted: str) -> tuple[str, ...]:
    """``self_scores.org.meet`` -> ("self_scores", "org.meet"): node and fact ids may contain dots."""
    head, _, rest = dotted.partition(".")
    if head in ("facts", "self_scores", "evidence") and rest:
        return (head, rest)
    return tuple(dotted.split("."))


def _held_by(problem: Problem, hidden: str) -> bool:
    """A "missing" problem about a name written on a line that recovery left out is not certain."""
    if not hidden:
        return False
    named = re.search(r"缺少必填项“([^”]+)”", problem.message)
    name = named.group(1) if named else problem.path.rsplit(".", 1)[-1] if "必填项" in problem.message else ""
    return bool(name) and re.search(rf"(^|\s){re.escape(name)}\s*[:：]", hidden, re.MULTILINE) is not None


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.line or 10**9, p.column))


@attrs.frozen
class Audit:
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


def audit(inspection: Inspection, result: Result) -> Audit:
    """What ``score`` reports about a valid submission, as located problems."""
    doc = inspection.reading.doc
    assert doc is not None and inspection.rubric is not None
    rubric = inspection.rubric
    partial = bool(inspection.reading.omitted)  # lines were left out: self-score sums are not certain
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for finding in result.findings:
        if partial and finding.rule.startswith("self:"):
            continue
        problem = _finding(doc, rubric, finding)
        (errors if finding.severity == "error" else warnings).append(problem)
    for veto in result.vetoes:
        line, column = _fact_lines(doc, [f.id for f in veto.facts])[0]
        warnings.append(Problem(f"[提醒] 一票否决：{veto.title}：{veto.message}", doc.file, line, column))
    for d in result.differences:
        if d.kind == "under":
            continue  # a modest self-score is not a mistake
        line, column = doc.key_positions.get(("self_scores", d.id)) or doc.locate_key(("self_scores",))
        sign = "+" if d.difference > 0 else ""
        warnings.append(
            Problem(
                f"[提醒] {KIND_LABELS[d.kind]}：“{d.title}”自评 {fmt(d.self_points)} 分，"
                f"按所填数据核算为 {fmt(d.computed)} 分（{sign}{fmt(d.difference)}）",
                doc.file,
                line,
                column,
            )
        )
    return Audit(tuple(_ordered(doc.relocated(errors))), tuple(_ordered(doc.relocated(warnings))))


def _finding(doc: Document, rubric: m.Rubric, finding: Finding) -> Problem:
    tag = f"[{SEVERITY_LABELS[finding.severity]}] "
    if finding.rule == "self:total":
        line, column = doc.locate_key(("self_total",))
        return Problem(tag + f"{finding.title}：{finding.message}", doc.file, line, column)
    if finding.rule.startswith("self:"):
        line, column = doc.locate_key(("self_scores", finding.rule[5:]))
        return Problem(tag + f"{finding.title}：{finding.message}", doc.file, line, column)
    if finding.rule == "year":
        line, column = doc.locate(("year",))
        return Problem(tag + finding.message, doc.file, line, column)
    places = _fact_lines(doc, [v.id for v in finding.values])
    line, column = places[0]
    rows = sorted({ln for ln, _ in places if ln})
    where = f"（相关数据在第 {'、'.join(map(str, rows))} 行）" if len(rows) > 1 else ""
    title = f"{finding.title}：" if finding.title and finding.title not in finding.message else ""
    return Problem(f"{tag}{title}{finding.message}{where}", doc.file, line, column)


def _fact_lines(doc: Document, ids: list[str]) -> list[tuple[int, int]]:
    """The key positions of the facts, in file order; the ``facts:`` key when none is written."""
    found = sorted(doc.key_positions[("facts", i)] for i in dict.fromkeys(ids) if ("facts", i) in doc.key_positions)
    return found or [doc.locate_key(("facts",))]
