"""``scoring plan SUBMISSION --target 90``: what-if to reach a target score or grade.

Every criterion below its maximum is a candidate. Its recoverable points are
measured, not guessed: the engine scores the submission again with that
criterion at full marks (an override), so caps, pooled deductions, bonus caps
and gates are all respected. Candidates are taken in order of points
recoverable (ties in rubric order) and applied cumulatively, each step scored
again, until the graded score reaches the target. The action is the
criterion's own text. A veto is reported first: no points lift a vetoed body.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from . import model as m
from .engine import Outcome, Override, VetoDecision, evaluate, leaf_outcomes, shares_depend_on_leaves
from .errors import UsageError
from .numbers import MAX_SIGNIFICANT, ZERO, decimal_places, fmt, json_number, quantize, significant_digits
from .result import STATUS_LABELS, Result


@attrs.frozen
class Step:
    id: str
    title: str
    action: str
    status: str
    reason: str
    points: Decimal
    max: Decimal
    recoverable: Decimal  # on its own
    gained: Decimal  # in sequence, after the steps before it
    score_after: Decimal
    grade_after: str
    manual: bool
    bonus: bool


@attrs.frozen
class Plan:
    agency: str
    year: int
    target: Decimal
    target_grade: str
    score: Decimal
    grade: str
    graded_on: str  # "final" | "base"
    vetoes: tuple[str, ...]
    steps: tuple[Step, ...]
    reached: bool
    best: Decimal  # the score with every candidate met

    @property
    def gap(self) -> Decimal:
        return max(Decimal(0), self.target - self.score)


def parse_target(text: str, rubric: m.Rubric) -> tuple[Decimal, str]:
    """A number (``90``) or a grade name (``优秀``) -> (score, grade name)."""
    for grade in rubric.grades:
        if text.strip() == grade.name:
            return grade.min, grade.name
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        names = "、".join(g.name for g in rubric.grades)
        raise UsageError(f"--target 应为分数（如 90）或等次名称（{names}），实际为“{text}”") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"--target 应为不小于 0 的分数，实际为“{text}”")
    if decimal_places(value) > rubric.places or significant_digits(value) > MAX_SIGNIFICANT:
        keeps = f"保留 {rubric.places} 位小数" if rubric.places else "只计整数分"
        raise UsageError(f"--target 的小数位数多于评分细则的计分精度（{keeps}），实际为“{text}”")
    ceiling = rubric.max_with_bonus
    if value > ceiling:
        raise UsageError(f"目标 {fmt(value)} 分超过本细则可得的最高分 {fmt(ceiling)} 分")
    return value, _grade_of(rubric, value)


def _grade_of(rubric: m.Rubric, score: Decimal) -> str:
    for grade in rubric.grades:
        if score >= grade.min:
            return grade.name
    return rubric.grades[-1].name


def make_plan(
    rubric: m.Rubric,
    submission: m.Submission,
    target: Decimal,
    overrides: dict[str, Override] | None = None,
    decisions: dict[str, VetoDecision] | None = None,
) -> Plan:
    """The plan for ``submission`` (already carrying a review's facts, overrides and
    veto decisions, if any). Pure.

    Each what-if re-adds only the path from the changed criterion to the top (:class:`_Tally`,
    the engine's own adding-up over the engine's own leaf outcomes): near-linear in the rubric
    (it was one whole evaluation per criterion, 2,000 criteria: 147 s). Where one criterion's
    points can move another's (manual shares of a self-scored parent, bonus gates on the base
    score) every what-if is a whole evaluation, as before; and the result is checked against a
    whole evaluation at the end, falling back to that if they ever differ."""
    fixed = dict(overrides or {})
    decisions = dict(decisions or {})
    current = evaluate(rubric, submission, fixed, decisions)
    if any(b.gate is not None for b in rubric.bonus) or shares_depend_on_leaves(rubric, submission):
        return _plan(rubric, submission, target, fixed, decisions, current, None)
    tally = _Tally(rubric, leaf_outcomes(rubric, submission, fixed, decisions), fixed, current)
    plan = _plan(rubric, submission, target, fixed, decisions, current, tally)
    applied = {**fixed, **{s.id: Override(rubric.node_index[s.id].max, "") for s in plan.steps}}
    check = _graded(rubric, evaluate(rubric, submission, applied, decisions))
    if check != (plan.steps[-1].score_after if plan.steps else plan.score):
        return _plan(rubric, submission, target, fixed, decisions, current, None)  # never seen; exact anyway
    return plan


def _graded(rubric: m.Rubric, result: Result) -> Decimal:
    return result.final if rubric.grade_on == "final" else result.base


def _plan(
    rubric: m.Rubric,
    submission: m.Submission,
    target: Decimal,
    fixed: dict[str, Override],
    decisions: dict[str, VetoDecision],
    current: Result,
    tally: _Tally | None,
) -> Plan:
    def trial(applied: dict[str, Override], node: m.Node) -> tuple[Decimal, str]:
        """The graded score and grade with ``applied`` plus ``node`` at full marks."""
        if tally is not None:
            return tally.what_if(node)
        after = evaluate(rubric, submission, {**applied, node.id: Override(node.max, "")}, decisions)
        return _graded(rubric, after), after.grade

    score = _graded(rubric, current)
    candidates = []
    for node in rubric.all_nodes():
        if not node.is_leaf or node.id in fixed or any(a in fixed for a in _ancestors(rubric, node.id)):
            continue
        got = current.node(node.id)
        if got.points >= node.max:
            continue
        gain = trial(fixed, node)[0] - score
        if gain > 0:
            candidates.append((gain, node, got))
    candidates.sort(key=lambda c: -c[0])  # stable: ties keep rubric order
    steps = []
    applied = dict(fixed)
    running = score
    reached = score >= target
    for gain, node, got in candidates:
        if reached:
            break
        new, grade = trial(applied, node)
        if new <= running:  # a cap absorbed it once earlier steps were taken
            continue
        applied[node.id] = Override(node.max, "")
        if tally is not None:
            tally.keep(node)
        steps.append(
            Step(
                id=node.id,
                title=node.title,
                action=(node.text or node.title).strip(),
                status=got.status,
                reason=got.reason,
                points=got.points,
                max=node.max,
                recoverable=gain,
                gained=new - running,
                score_after=new,
                grade_after=grade,
                manual=isinstance(node.rule, m.Manual),
                bonus=node.bonus,
            )
        )
        running = new
        reached = running >= target
    best_overrides = {**fixed, **{n.id: Override(n.max, "") for _, n, _ in candidates}}
    best = _graded(rubric, evaluate(rubric, submission, best_overrides, decisions)) if candidates else score
    return Plan(
        agency=submission.agency.name,
        year=submission.year,
        target=target,
        target_grade=_grade_of(rubric, target),
        score=score,
        grade=current.grade,
        graded_on=rubric.grade_on,
        vetoes=tuple(f"{v.title}：{v.message}" if v.message != v.title else v.title for v in current.vetoes),
        steps=tuple(steps),
        reached=reached,
        best=best,
    )


class _Tally:
    """The engine's adding-up (:func:`scoring.engine._aggregate`, points and pooled overflow only) over
    fixed leaf outcomes, kept per node, so that setting one leaf to full marks re-adds only its path."""

    def __init__(self, rubric: m.Rubric, leaves: dict[str, Outcome], fixed: dict[str, Override], current: Result):
        self.rubric = rubric
        self.fixed = fixed
        self.penalty = current.penalty
        self.vetoed = bool(current.vetoes)
        self.zeroed = any(v.effect == "zero" for v in current.vetoes)
        self.value: dict[str, tuple[Decimal, Decimal]] = {}
        for top in (*rubric.sections, *rubric.bonus):
            for node in reversed(_preorder(top)):  # children before their parent
                if node.is_leaf:
                    outcome = leaves[node.id]
                    self.value[node.id] = (outcome.points, outcome.overflow)
                else:
                    self.value[node.id] = self.add_up(node, self.value)

    def add_up(self, node: m.Node, value: Any) -> tuple[Decimal, Decimal]:
        children = [value[c.id] for c in node.children]
        overflow = sum((o for _, o in children), ZERO)
        if node.combine == "weighted":
            raw = sum(
                (p / c.max * (c.weight or ZERO) for (p, _), c in zip(children, node.children, strict=True) if c.max),
                ZERO,
            )
            points = quantize(raw * node.max, self.rubric.places)
        else:
            points = sum((p for p, _ in children), ZERO)
            if node.cap and points > node.max:
                points = node.max
        if node.pool_deductions and overflow > 0:
            points -= min(overflow, points)
            overflow = ZERO
        override = self.fixed.get(node.id)
        if override is not None:
            points, overflow = override.points, ZERO
        return points, overflow

    def changed_path(self, node: m.Node) -> dict[str, tuple[Decimal, Decimal]]:
        changed = {node.id: (node.max, ZERO)}  # an override: full marks, no overflow
        view = _Overlay(changed, self.value)
        parent = self.rubric.parents.get(node.id, "")
        while parent:
            changed[parent] = self.add_up(self.rubric.node_index[parent], view)
            parent = self.rubric.parents.get(parent, "")
        return changed

    def what_if(self, node: m.Node) -> tuple[Decimal, str]:
        view = _Overlay(self.changed_path(node), self.value)
        base = max(ZERO, sum((view[s.id][0] for s in self.rubric.sections), ZERO) - self.penalty)
        bonus = sum((view[b.id][0] for b in self.rubric.bonus), ZERO)
        if self.rubric.bonus_cap is not None:
            bonus = min(bonus, self.rubric.bonus_cap)
        final = ZERO if self.zeroed else base + bonus
        graded = final if self.rubric.grade_on == "final" else base
        grade = self.rubric.grades[-1].name if self.vetoed else _grade_of(self.rubric, graded)
        return graded, grade

    def keep(self, node: m.Node) -> None:
        self.value.update(self.changed_path(node))


class _Overlay:
    """``changed`` over ``base`` without copying either (``changed`` grows as the path is re-added)."""

    def __init__(self, changed: dict[str, tuple[Decimal, Decimal]], base: dict[str, tuple[Decimal, Decimal]]):
        self.changed = changed
        self.base = base

    def __getitem__(self, key: str) -> tuple[Decimal, Decimal]:
        found = self.changed.get(key)
        return self.base[key] if found is None else found


def _preorder(top: m.Node) -> list[m.Node]:
    out, stack = [], [top]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def _ancestors(rubric: m.Rubric, ident: str) -> list[str]:
    out = []
    parent = rubric.parents.get(ident, "")
    while parent:
        out.append(parent)
        parent = rubric.parents.get(parent, "")
    return out


def plan_text(plan: Plan) -> str:
    what = "最终得分" if plan.graded_on == "final" else "基础分"
    lines = [
        f"提分测算：{plan.agency}  {plan.year} 年度",
        f"当前{what} {fmt(plan.score)} 分（{plan.grade}）；目标 {fmt(plan.target)} 分（{plan.target_grade}）",
    ]
    for veto in plan.vetoes:
        lines.append(f"!! 触发一票否决：{veto}。否决不消除，分数再高等次也是最低档；请先整改并经评估人核定。")
    if plan.score >= plan.target:
        if plan.vetoes:
            lines.append(
                f"分数已达到目标，但因一票否决，等次为“{plan.grade}”；消除否决情形后方可评为“{plan.target_grade}”。"
            )
        else:
            lines.append("当前分数已达到目标，无需补分。")
        return "\n".join(lines) + "\n"
    lines.append(f"还差 {fmt(plan.gap)} 分。按可提分值从大到小，依次完成以下评分标准：")
    lines.append("")
    for i, s in enumerate(plan.steps, 1):
        tag = STATUS_LABELS.get(s.status, s.status)
        extra = "（人工评定项，由评估人核定）" if s.manual else ("（加分项）" if s.bonus else "")
        lines.append(
            f"{i:>2}. [{s.id}] {s.title}：+{fmt(s.gained)} 分 → {fmt(s.score_after)} 分（{s.grade_after}）{extra}"
        )
        lines.append(f"    要做到：{s.action}")
        lines.append(f"    现状：{tag}，{fmt(s.points)}/{fmt(s.max)} 分。{s.reason}")
    lines.append("")
    if plan.reached:
        lines.append(f"完成以上 {len(plan.steps)} 项后可达到 {fmt(plan.steps[-1].score_after)} 分，达到目标。")
    else:
        lines.append(f"即使以上各项全部达到，最高也只有 {fmt(plan.best)} 分，达不到目标 {fmt(plan.target)} 分。")
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> str:
    data = {
        "agency": plan.agency,
        "year": plan.year,
        "graded_on": plan.graded_on,
        "score": json_number(plan.score),
        "grade": plan.grade,
        "target": json_number(plan.target),
        "target_grade": plan.target_grade,
        "gap": json_number(plan.gap),
        "vetoes": list(plan.vetoes),
        "reached": plan.reached,
        "best": json_number(plan.best),
        "steps": [
            {
                "id": s.id,
                "title": s.title,
                "action": s.action,
                "status": s.status,
                "reason": s.reason,
                "points": json_number(s.points),
                "max": json_number(s.max),
                "recoverable": json_number(s.recoverable),
                "gained": json_number(s.gained),
                "score_after": json_number(s.score_after),
                "grade_after": s.grade_after,
                "manual": s.manual,
                "bonus": s.bonus,
            }
            for s in plan.steps
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def run_plan(app: Any, args: argparse.Namespace) -> int:
    rubric, submission, _missing = app.submission(args.submission, args.rubric)
    target, _ = parse_target(args.target, rubric)
    overrides: dict[str, Override] = {}
    decisions: dict[str, VetoDecision] = {}
    if args.review:
        from .review import load_review, reviewed_inputs

        inputs = reviewed_inputs(load_review(args.review, rubric), rubric, submission)
        submission, overrides, decisions = inputs.submission, inputs.overrides, inputs.decisions
    plan = make_plan(rubric, submission, target, overrides, decisions)
    text = plan_json(plan) if args.format == "json" else plan_text(plan)
    if args.output:
        from .iofiles import write_atomic

        protect = [Path(args.submission)] + ([Path(args.review)] if args.review else [])
        write_atomic(Path(args.output), text.encode("utf-8"), protect=protect)
        app.err.write(f"已写入 {args.output}\n")
    else:
        app.out.write(text)
    return 0
