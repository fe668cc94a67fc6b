"""``evaluate(rubric, submission) -> Result``: the pure scoring core.

No files, clock or environment. Each rule kind is one small function in
``RULES``; a rule that lacks data scores 0 as "data missing"; a rule that
fails is kept as an "error" node and a finding, so one bad rule never stops
the run. Parents add up (or weight, or cap) their children; deductions can
be pooled at an ancestor; bonus, penalties, vetoes and grades follow.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import attrs

from . import __version__
from . import model as m
from .expr import CHECK_RESULTS, EvalError, Expression, MissingFact
from .numbers import ZERO, bounded, clamp, fmt, quantize
from .result import (
    Difference,
    FactValue,
    Finding,
    NodeResult,
    Result,
    VetoHit,
    show_value,
)
from .result import (
    MissingFact as MissingFactResult,
)


@attrs.frozen
class Outcome:
    """What a rule says about one leaf."""

    points: Decimal
    status: str
    reason: str
    overflow: Decimal = ZERO  # deduction beyond the leaf's own maximum, for pooling


@attrs.frozen
class Override:
    """A node's points fixed from outside its rule (an evaluator's 核定): the node
    takes ``points`` and its ancestors add up as usual."""

    points: Decimal
    reason: str = ""


@attrs.frozen
class VetoDecision:
    """An evaluator's decision on a veto: ``applies`` confirms (or imposes) it,
    ``not applies`` dismisses it, whatever the facts say."""

    applies: bool
    reason: str = ""


class _Ctx:
    def __init__(
        self,
        rubric: m.Rubric,
        submission: m.Submission,
        overrides: Mapping[str, Override] | None = None,
        veto_decisions: Mapping[str, VetoDecision] | None = None,
    ) -> None:
        self.rubric = rubric
        self.env: dict[str, Any] = dict(submission.facts)
        self.places = rubric.places
        self.findings: list[Finding] = []
        self.overrides: Mapping[str, Override] = overrides or {}
        self.veto_decisions: Mapping[str, VetoDecision] = veto_decisions or {}
        self._shown: dict[tuple[Expression | None, ...], tuple[FactValue, ...]] = {}

    def facts_of(self, expressions: list[Expression | None]) -> tuple[FactValue, ...]:
        key = tuple(expressions)
        shown = self._shown.get(key)  # a leaf's facts are asked for twice (reason, then node)
        if shown is None:
            env, index = self.env, self.rubric.fact_index
            shown = tuple(
                FactValue(name, index[name].label, env.get(name), index[name].unit)
                for name in _reads_in_order(key)
                if name in index
            )
            self._shown[key] = shown
        return shown

    def missing_labels(self, expressions: list[Expression | None]) -> str:
        names = sorted({n for e in expressions if e is not None for n in e.names if self.env.get(n) is None})
        return "、".join(f"{self.rubric.fact_index[n].label}（{n}）" for n in names if n in self.rubric.fact_index)


@lru_cache(maxsize=4096)
def _reads_in_order(expressions: tuple[Expression | None, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for e in expressions:
        if e is not None:
            names.extend(sorted(e.reads - set(names)))
    return tuple(names)


# -- rule kinds ---------------------------------------------------------------------------------


def _summary(facts: tuple[FactValue, ...]) -> str:
    return "；".join(f.display() for f in facts)


def _condition(rule: m.Condition, node: m.Node, ctx: _Ctx) -> Outcome:
    facts = _summary(ctx.facts_of([rule.when]))
    if rule.when.evaluate(ctx.env):
        return Outcome(node.max, "met", _join(rule.met or "符合要求", facts))
    return Outcome(ZERO, "unmet", _join(rule.unmet or "不符合要求", facts))


def _proportional(rule: m.Proportional, node: m.Node, ctx: _Ctx) -> Outcome:
    if rule.ratio is not None:
        ratio = _number(rule.ratio.evaluate(ctx.env))
    else:
        assert rule.numerator is not None and rule.denominator is not None
        num = _number(rule.numerator.evaluate(ctx.env))
        den = _number(rule.denominator.evaluate(ctx.env))
        ratio = ZERO if den == 0 else num / den
    share = clamp(ratio, ZERO, Decimal(1))
    points = quantize(node.max * share, ctx.places)
    percent = fmt(quantize(share * 100, 1))
    reason = f"完成比例 {percent}%，{fmt(node.max)} × {percent}% = {fmt(points)} 分"
    return Outcome(points, _status(points, node.max), reason)


def _tiers(rule: m.Tiers, node: m.Node, ctx: _Ctx) -> Outcome:
    for tier in rule.tiers:
        if tier.when.evaluate(ctx.env):
            label = tier.label or tier.when.source
            return Outcome(tier.points, _status(tier.points, node.max), f"符合“{label}”，得 {fmt(tier.points)} 分")
    points = rule.otherwise
    return Outcome(points, _status(points, node.max), f"未达到任何档次，得 {fmt(points)} 分")


def _per_item(rule: m.PerItem, node: m.Node, ctx: _Ctx) -> Outcome:
    count = quantize(_count(rule.count.evaluate(ctx.env)), ctx.places)  # "late_days / 30": a rounded count
    if count < 0:
        raise EvalError(f"项数不能为负数（{fmt(count)}）")
    cap = min(rule.cap if rule.cap is not None else node.max, node.max)
    raw = quantize(count * rule.each, ctx.places)
    points = quantize(min(raw, cap), ctx.places)
    reason = f"{fmt(count)} {rule.unit} × 每{rule.unit} {fmt(rule.each)} 分 = {fmt(raw)} 分"
    if raw > cap:
        reason += f"，以 {fmt(cap)} 分为限"
    return Outcome(points, _status(points, node.max), reason)


def _scale(rule: m.Scale, node: m.Node, ctx: _Ctx) -> Outcome:
    level = rule.value.evaluate(ctx.env)
    for label, points in rule.levels:
        if str(level) == label:
            return Outcome(points, _status(points, node.max), f"评定等级“{label}”，得 {fmt(points)} 分")
    options = "、".join(label for label, _ in rule.levels)
    raise EvalError(f"等级“{show_value(level)}”不在可选等级（{options}）中")


def _deduction(rule: m.Deduction, node: m.Node, ctx: _Ctx) -> Outcome:
    total = ZERO
    parts = []
    for item in rule.items:
        amount, part = _deduct(item, ctx)
        total += amount
        if part:
            parts.append(part)
    raw = quantize(node.max - total, ctx.places)
    points = max(ZERO, raw)
    if not parts:
        return Outcome(points, "met", "未发现扣分情形")
    reason = "；".join(parts) + f"。满分 {fmt(node.max)} − {fmt(total)} = {fmt(points)} 分"
    if raw < 0:
        reason += "（扣完为止）"
    return Outcome(points, _status(points, node.max), reason, overflow=max(ZERO, -raw))


def _deduct(item: m.DeductionItem, ctx: _Ctx) -> tuple[Decimal, str]:
    if item.count is not None:
        count = quantize(_count(item.count.evaluate(ctx.env)), ctx.places)  # counts and points: the rubric's rounding
        if count < 0:
            raise EvalError(f"次数不能为负数（{fmt(count)}）")
        amount = quantize(count * item.per, ctx.places)
        return amount, (f"{item.label} {fmt(count)} 处 × {fmt(item.per)} 分 = 扣 {fmt(amount)} 分" if count else "")
    assert item.when is not None
    if item.when.evaluate(ctx.env):
        return item.per, f"{item.label}，扣 {fmt(item.per)} 分"
    return ZERO, ""


def _formula(rule: m.Formula, node: m.Node, ctx: _Ctx) -> Outcome:
    raw = _number(rule.points.evaluate(ctx.env))
    points = quantize(clamp(raw, ZERO, node.max), ctx.places)
    shown = quantize(raw, ctx.places) if abs(raw) < LARGEST else bounded(raw)
    reason = f"按公式计算为 {fmt(shown)} 分"
    if points != shown:
        reason += f"，限定在 0～{fmt(node.max)} 分之间，得 {fmt(points)} 分"
    return Outcome(points, _status(points, node.max), reason)


RULES: dict[str, Callable[[Any, m.Node, _Ctx], Outcome]] = {
    "condition": _condition,
    "proportional": _proportional,
    "tiers": _tiers,
    "per_item": _per_item,
    "scale": _scale,
    "deduction": _deduction,
    "formula": _formula,
}


def rule_expressions(rule: m.Rule | None) -> list[Expression | None]:
    if isinstance(rule, m.Condition):
        return [rule.when]
    if isinstance(rule, m.Proportional):
        return [rule.ratio, rule.numerator, rule.denominator]
    if isinstance(rule, m.Tiers):
        return [t.when for t in rule.tiers]
    if isinstance(rule, m.PerItem):
        return [rule.count]
    if isinstance(rule, m.Scale):
        return [rule.value]
    if isinstance(rule, m.Deduction):
        return [e for i in rule.items for e in (i.count, i.when)]
    if isinstance(rule, m.Formula):
        return [rule.points]
    return []


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise EvalError(f"规则需要一个数字，得到的是{show_value(value)}")
    return Decimal(value)


# a count or a formula's result this large is a rubric or data error, not a score (and beyond it
# rounding to the rubric's places would need more digits than any score has)
LARGEST = Decimal(10) ** 15


def _count(value: Any) -> Decimal:
    number = _number(value)
    if abs(number) >= LARGEST:
        raise EvalError(
            f"计算出的次数（项数）{fmt(bounded(number))} 过大：应小于 10 的 15 次方，请检查表达式和填报数据"
        )
    return number


def _status(points: Decimal, maximum: Decimal) -> str:
    if points >= maximum:
        return "met"
    return "unmet" if points <= 0 else "partial"


def _join(head: str, facts: str) -> str:
    return f"{head}（{facts}）" if facts else head


# -- evaluate -----------------------------------------------------------------------------------


def evaluate(
    rubric: m.Rubric,
    submission: m.Submission,
    overrides: Mapping[str, Override] | None = None,
    veto_decisions: Mapping[str, VetoDecision] | None = None,
) -> Result:
    """Score ``submission`` against ``rubric``. Pure: same inputs, same result.

    ``overrides`` fix the points of nodes by id (leaves or parents; ancestors
    re-aggregate); ``veto_decisions`` confirm, impose or dismiss vetoes by id.
    Both come from an evaluator's review (:mod:`scoring.review`)."""
    ctx = _Ctx(rubric, submission, overrides, veto_decisions)
    check_findings, leaves = _leaf_phase(rubric, submission, ctx)

    results: dict[str, NodeResult] = {}
    order: list[str] = []
    for top in rubric.sections:
        _aggregate(top, "", 0, leaves, results, order, ctx, submission)
    base = sum((results[s.id].points for s in rubric.sections), ZERO)

    penalty = _penalties(rubric, ctx)
    base_after = max(ZERO, base - penalty)

    bonus = ZERO
    for top in rubric.bonus:
        _aggregate(top, "", 0, leaves, results, order, ctx, submission)
        results[top.id] = _gate(top, results[top.id], base_after, ctx)
        bonus += results[top.id].points
    if rubric.bonus_cap is not None:
        bonus = min(bonus, rubric.bonus_cap)

    vetoes = _vetoes(rubric, ctx)
    for hit in vetoes:
        if hit.node and hit.node in results:
            results[hit.node] = attrs.evolve(results[hit.node], status="vetoed", reason=f"一票否决：{hit.title}")
    final = base_after + bonus
    if any(v.effect == "zero" for v in vetoes):
        final = ZERO
    graded = final if rubric.grade_on == "final" else base_after
    grade = rubric.grades[-1].name if vetoes else _grade(rubric, graded)

    ctx.findings.extend(check_findings)
    if not rubric.applies_to(submission.year):
        ctx.findings.append(
            Finding(
                "year",
                "考核年度",
                "warning",
                f"材料的考核年度为 {submission.year} 年，而评分细则适用于 {rubric.years_text}，请确认所用细则是否正确",
            )
        )
    nodes = tuple(results[i] for i in order)
    self_total, differences = _self_audit(rubric, submission, results, ctx)
    return Result(
        rubric={
            "id": rubric.id,
            "version": rubric.version,
            "title": rubric.title,
            "issuer": rubric.issuer,
            "year": rubric.year,
            "sha256": rubric.sha256,
        },
        agency={"name": submission.agency.name, "region": submission.agency.region, "level": submission.agency.level},
        year=submission.year,
        submitted=submission.submitted,
        submission={"file": _basename(submission.file), "sha256": submission.sha256},
        base=base_after,
        bonus=bonus,
        penalty=penalty,
        final=final,
        max=rubric.total,
        max_with_bonus=rubric.max_with_bonus,
        grade=grade,
        vetoes=tuple(vetoes),
        nodes=nodes,
        findings=tuple(ctx.findings),
        missing_facts=_missing(rubric, ctx),
        self_total=self_total,
        self_declared_total=submission.self_total,
        differences=differences,
        facts_filled=sum(1 for f in rubric.facts if ctx.env.get(f.id) is not None),
        facts_total=len(rubric.facts),
        engine_version=__version__,
        remarks=submission.remarks,
    )


def _leaf_phase(rubric: m.Rubric, submission: m.Submission, ctx: _Ctx) -> tuple[list[Finding], dict[str, Outcome]]:
    # checks first, so rules can count failed ones (failed_checks()); their findings are listed last
    check_findings, ctx.env[CHECK_RESULTS] = _checks(rubric, ctx)
    leaves: dict[str, Outcome] = {}
    for node in rubric.all_nodes():
        if node.is_leaf and not isinstance(node.rule, m.Manual):
            leaves[node.id] = _score_leaf(node, ctx)
    _override_leaves(rubric, leaves, ctx)  # computed leaves first: manual shares depend on them
    _score_manual(rubric, submission, leaves)
    _override_leaves(rubric, leaves, ctx)
    return check_findings, leaves


def leaf_outcomes(
    rubric: m.Rubric,
    submission: m.Submission,
    overrides: Mapping[str, Override] | None = None,
    veto_decisions: Mapping[str, VetoDecision] | None = None,
) -> dict[str, Outcome]:
    """What each leaf's rule gives (after overrides and manual shares), as :func:`evaluate` computes
    it before adding up: for :mod:`scoring.plan`, which re-adds only the changed paths."""
    return _leaf_phase(rubric, submission, _Ctx(rubric, submission, overrides, veto_decisions))[1]


def shares_depend_on_leaves(rubric: m.Rubric, submission: m.Submission) -> bool:
    """Whether a manual leaf without its own self-score takes a share of a self-scored ancestor's
    claim, which depends on the other leaves' points (so one leaf's change can move another's)."""
    return any(
        node.is_leaf
        and isinstance(node.rule, m.Manual)
        and node.id not in submission.self_scores
        and _scored_ancestor(rubric, submission, node.id)
        for node in rubric.all_nodes()
    )


def _override_leaves(rubric: m.Rubric, leaves: dict[str, Outcome], ctx: _Ctx) -> None:
    for ident, override in ctx.overrides.items():
        node = rubric.node_index.get(ident)
        if node is not None and node.is_leaf and ident in leaves:
            leaves[ident] = Outcome(override.points, _status(override.points, node.max), override.reason)


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path)[-1] if path else ""


def _score_leaf(node: m.Node, ctx: _Ctx) -> Outcome:
    rule = node.rule
    assert rule is not None
    exprs = rule_expressions(rule)
    try:
        return RULES[rule.kind](rule, node, ctx)
    except MissingFact:
        return Outcome(ZERO, "data_missing", f"缺少数据：{ctx.missing_labels(exprs)}，本项暂计 0 分")
    except EvalError as exc:
        where = f"{node.source.file}:{node.source.line}"
        ctx.findings.append(
            Finding(
                f"rule:{node.id}",
                f"评分规则出错：{node.title}",
                "error",
                f"评分细则 {where} 节点“{node.id}”的规则无法计算：{exc}",
                ctx.facts_of(exprs),
                where=where,
            )
        )
        return Outcome(ZERO, "error", f"规则无法计算：{exc}")


def _score_manual(rubric: m.Rubric, submission: m.Submission, leaves: dict[str, Outcome]) -> None:
    """Manual items stand at the self-score provisionally. A manual leaf without a
    self-score of its own takes what its nearest self-scored ancestor claims beyond
    the computed leaves under it (up to its maximum), so no false over-claim appears."""
    manual = [n for n in rubric.all_nodes() if n.is_leaf and isinstance(n.rule, m.Manual)]
    granted: dict[str, Decimal] = {}
    for node in manual:
        own = submission.self_scores.get(node.id)
        if own is not None:
            granted[node.id] = clamp(own, ZERO, node.max)
    pending = [n for n in manual if n.id not in granted]
    by_ancestor: dict[str, list[m.Node]] = {}
    for node in pending:
        ancestor = _scored_ancestor(rubric, submission, node.id)
        if ancestor:
            by_ancestor.setdefault(ancestor, []).append(node)
    for ancestor_id, nodes in by_ancestor.items():
        claimed = submission.self_scores[ancestor_id]
        under = rubric.node_index[ancestor_id].walk()
        computed = sum((leaves[n.id].points for n in under if n.id in leaves), ZERO)
        computed += sum((granted.get(n.id, ZERO) for n in under), ZERO)
        remaining = max(ZERO, claimed - computed)
        for node in nodes:
            share = min(remaining, node.max)
            granted[node.id] = share
            remaining -= share
    for node in manual:
        assert isinstance(node.rule, m.Manual)
        guidance = f"（{node.rule.guidance}）" if node.rule.guidance else ""
        if node.id in granted:
            points = granted[node.id]
            reason = f"人工评定项：暂按自评 {fmt(points)} 分计，待评估人核定{guidance}"
        else:
            points = ZERO
            reason = f"人工评定项：未填自评分，暂计 0 分，待评估人核定{guidance}"
        leaves[node.id] = Outcome(points, "needs_review", reason)


def _scored_ancestor(rubric: m.Rubric, submission: m.Submission, ident: str) -> str:
    parent = rubric.parents.get(ident, "")
    while parent:
        if parent in submission.self_scores:
            return parent
        parent = rubric.parents.get(parent, "")
    return ""


def _aggregate(
    node: m.Node,
    parent: str,
    depth: int,
    leaves: dict[str, Outcome],
    results: dict[str, NodeResult],
    order: list[str],
    ctx: _Ctx,
    submission: m.Submission,
) -> Decimal:
    """Fill ``results`` for ``node``'s subtree in document order; return unabsorbed overflow."""
    order.append(node.id)
    kind = "section" if depth == 0 else ("criterion" if node.is_leaf else "item")
    evidence = tuple(
        {"doc": e.doc, "url": e.url, "file": e.file, "note": e.note} for e in submission.evidence.get(node.id, ())
    )
    common = {
        "id": node.id,
        "parent": parent,
        "depth": depth,
        "kind": kind,
        "bonus": node.bonus,
        "title": node.title,
        "text": node.text,
        "max": node.max,
        "self_points": submission.self_scores.get(node.id),
        "evidence": evidence,
        "evidence_expected": node.evidence,
    }
    if node.is_leaf:
        outcome = leaves[node.id]
        results[node.id] = NodeResult(
            **common,
            points=outcome.points,
            status=outcome.status,
            reason=outcome.reason,
            rule=node.rule.kind if node.rule else "",
            facts=ctx.facts_of(rule_expressions(node.rule)),
        )
        return outcome.overflow
    overflow = ZERO
    for child in node.children:
        overflow += _aggregate(child, node.id, depth + 1, leaves, results, order, ctx, submission)
    children = [results[c.id] for c in node.children]
    if node.combine == "weighted":
        raw = sum(
            (
                c.points / c.max * (child.weight or ZERO)
                for c, child in zip(children, node.children, strict=True)
                if c.max
            ),
            ZERO,
        )
        points = quantize(raw * node.max, ctx.places)
        reason = "按权重折算：" + "，".join(
            f"{c.title} {fmt(c.points)}/{fmt(c.max)}×{fmt((child.weight or ZERO) * 100)}%"
            for c, child in zip(children, node.children, strict=True)
        )
    else:
        points = sum((c.points for c in children), ZERO)
        reason = "各子项得分之和"
        if node.cap and points > node.max:
            reason = f"各子项得分之和 {fmt(points)}，以本项满分 {fmt(node.max)} 为限"
            points = node.max
    if node.pool_deductions and overflow > 0:
        pooled = min(overflow, points)
        points -= pooled
        reason += f"；跨子项累计扣分另扣 {fmt(pooled)} 分（以本项满分为限，扣完为止）"
        overflow = ZERO
    status = _parent_status(children, points, node.max)
    override = ctx.overrides.get(node.id)
    if override is not None:
        points, status, reason, overflow = override.points, _status(override.points, node.max), override.reason, ZERO
    results[node.id] = NodeResult(**common, points=points, status=status, reason=reason)
    return overflow


def _parent_status(children: list[NodeResult], points: Decimal, maximum: Decimal) -> str:
    statuses = {c.status for c in children}
    if "error" in statuses:
        return "error"
    if "needs_review" in statuses:
        return "needs_review"
    if points >= maximum:
        return "met"
    if statuses == {"data_missing"}:
        return "data_missing"
    return "unmet" if points <= 0 else "partial"


def _gate(node: m.Node, result: NodeResult, base: Decimal, ctx: _Ctx) -> NodeResult:
    if node.gate is None:
        return result
    env = {**ctx.env, "base": base}
    try:
        passed = node.gate.evaluate(env)
    except MissingFact:
        return attrs.evolve(
            result,
            points=ZERO,
            status="data_missing",
            reason=f"缺少判断加分条件所需的数据：{ctx.missing_labels([node.gate])}",
        )
    except EvalError as exc:
        return attrs.evolve(result, points=ZERO, status="error", reason=f"加分条件无法计算：{exc}")
    if passed:
        return attrs.evolve(result, reason=f"{result.reason}；满足加分条件（基础分 {fmt(base)}）")
    return attrs.evolve(
        result, points=ZERO, status="unmet", reason=f"基础分 {fmt(base)} 未达到加分条件“{node.gate.source}”，加分不计"
    )


def _penalties(rubric: m.Rubric, ctx: _Ctx) -> Decimal:
    total = ZERO
    for penalty in rubric.penalties:
        exprs = [penalty.item.count, penalty.item.when]
        outcome = _guarded(
            ctx, f"penalty:{penalty.id}", penalty.title, "扣分项", exprs, lambda p=penalty: _deduct(p.item, ctx)
        )
        if outcome is None:
            continue
        amount, part = outcome
        if amount:
            total += amount
            ctx.findings.append(
                Finding(f"penalty:{penalty.id}", penalty.title, "warning", f"重大扣分：{part}", ctx.facts_of(exprs))
            )
    return total


def _guarded(
    ctx: _Ctx, rule: str, title: str, what: str, exprs: list[Expression | None], run: Callable[[], Any]
) -> Any:
    """Run a penalty or veto; blank data is a warning and a failing rule an error, never a crash (None)."""
    try:
        return run()
    except MissingFact:
        message = f"无法判断{what}“{title}”：缺少{ctx.missing_labels(exprs)}"
        ctx.findings.append(Finding(rule, title, "warning", message))
    except EvalError as exc:
        ctx.findings.append(Finding(rule, title, "error", f"{what}无法计算：{exc}"))
    return None


def _vetoes(rubric: m.Rubric, ctx: _Ctx) -> list[VetoHit]:
    hits = []
    for veto in rubric.vetoes:
        decision = ctx.veto_decisions.get(veto.id)
        if decision is not None:
            if decision.applies:
                message = decision.reason or veto.message or veto.title
                hits.append(VetoHit(veto.id, veto.title, message, veto.effect, veto.node, ctx.facts_of([veto.when])))
            continue
        fired = _guarded(
            ctx, f"veto:{veto.id}", veto.title, "否决项", [veto.when], lambda v=veto: v.when.evaluate(ctx.env)
        )
        if fired:
            hits.append(
                VetoHit(
                    veto.id, veto.title, veto.message or veto.title, veto.effect, veto.node, ctx.facts_of([veto.when])
                )
            )
    return hits


def _grade(rubric: m.Rubric, score: Decimal) -> str:
    for grade in rubric.grades:
        if score >= grade.min:
            return grade.name
    return rubric.grades[-1].name


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _checks(rubric: m.Rubric, ctx: _Ctx) -> tuple[list[Finding], dict[str, tuple[str, bool]]]:
    """Run the consistency checks: their findings, and {check id: (severity, failed)}."""
    found: list[Finding] = []
    outcomes: dict[str, tuple[str, bool]] = {}
    for check in rubric.checks:
        outcomes[check.id] = (check.severity, False)
        try:
            if check.when is not None and not check.when.evaluate(ctx.env):
                continue
            holds = check.expect.evaluate(ctx.env)
        except MissingFact:
            continue  # a check over blank cells is not a finding; blanks are reported as missing
        except EvalError as exc:
            found.append(
                Finding(check.id, check.title, "error", f"校验规则无法计算：{exc}", ctx.facts_of([check.expect]))
            )
            continue
        if holds:
            continue
        outcomes[check.id] = (check.severity, True)
        sides = check.expect.sides(ctx.env)
        left, right = (_shown_side(v) for v in sides) if sides else (None, None)

        def fill(match: re.Match[str], left: Any = left, right: Any = right) -> str:
            name = match.group(1)
            if name == "left":
                return show_value(left)
            if name == "right":
                return show_value(right)
            return show_value(ctx.env.get(name))

        found.append(
            Finding(
                check.id,
                check.title,
                check.severity,
                _PLACEHOLDER.sub(fill, check.message),
                ctx.facts_of([check.expect, check.when]),
                left,
                right,
            )
        )
    return found, outcomes


def _shown_side(value: Any) -> Any:
    """One side of a failed check as reported: a derived number (``a / 3``) at most 15 significant digits."""
    if isinstance(value, Decimal) and not isinstance(value, bool):
        return bounded(value)
    return value


def _missing(rubric: m.Rubric, ctx: _Ctx) -> tuple[MissingFactResult, ...]:
    return tuple(
        MissingFactResult(fact.id, fact.label, fact.required, feeds)
        for fact, feeds in _watched_facts(rubric)
        if ctx.env.get(fact.id) is None
    )


_WATCHED: dict[int, tuple[weakref.ref[m.Rubric], list[tuple[m.Fact, tuple[str, ...]]]]] = {}


def _watched_facts(rubric: m.Rubric) -> list[tuple[m.Fact, tuple[str, ...]]]:
    """The facts whose absence is reported, with the nodes each feeds (computed once per rubric)."""
    entry = _WATCHED.get(id(rubric))
    if entry is not None and entry[0]() is rubric:
        return entry[1]
    feeds: dict[str, list[str]] = {}
    for node in rubric.all_nodes():
        for e in rule_expressions(node.rule):
            if e is not None:
                for name in e.reads:
                    feeds.setdefault(name, []).append(node.id)
    read_elsewhere = {n for c in rubric.checks for n in c.expect.reads}
    watched = [
        (fact, tuple(dict.fromkeys(feeds.get(fact.id, []))))
        for fact in rubric.facts
        if fact.required or fact.id in feeds or fact.id in read_elsewhere
    ]
    ident = id(rubric)
    _WATCHED[ident] = (weakref.ref(rubric, lambda _: _WATCHED.pop(ident, None)), watched)
    return watched


def _self_audit(
    rubric: m.Rubric, submission: m.Submission, results: dict[str, NodeResult], ctx: _Ctx
) -> tuple[Decimal | None, tuple[Difference, ...]]:
    scores = submission.self_scores
    for ident in scores:
        if ident not in rubric.node_index:  # schema prevents this; stay safe for direct callers
            ctx.findings.append(Finding("self:unknown", "自评分", "error", f"自评分中的节点“{ident}”不在评分细则中"))
    top = [i for i in scores if i in rubric.node_index and not _scored_ancestor(rubric, submission, i)]
    total = sum((scores[i] for i in top), ZERO) if scores else None
    differences = []
    for node in rubric.all_nodes():
        claimed = scores.get(node.id)
        if claimed is None:
            continue
        result = results[node.id]
        if claimed > node.max:
            ctx.findings.append(
                Finding(
                    f"self:{node.id}",
                    "自评分超过满分",
                    "error",
                    f"“{node.title}”自评 {fmt(claimed)} 分，超过该项满分 {fmt(node.max)} 分",
                )
            )
        _children_consistency(node, claimed, scores, ctx)
        if claimed == result.points:
            continue
        if claimed > result.points:
            subtree = {results[n.id].status for n in node.walk()}
            kind = "unsupported" if "data_missing" in subtree else "over"
        else:
            kind = "under"
        differences.append(Difference(node.id, node.title, claimed, result.points, kind))
    if submission.self_total is not None and total is not None and submission.self_total != total:
        ctx.findings.append(
            Finding(
                "self:total",
                "自评总分",
                "error",
                f"自评总分填写为 {fmt(submission.self_total)} 分，但各项自评分合计为 {fmt(total)} 分",
            )
        )
    return total, tuple(differences)


def _children_consistency(node: m.Node, claimed: Decimal, scores: dict[str, Decimal], ctx: _Ctx) -> None:
    if node.children and all(c.id in scores for c in node.children):
        children = sum((scores[c.id] for c in node.children), ZERO)
        if children != claimed and not (node.cap and claimed == node.max and children > claimed):
            ctx.findings.append(
                Finding(
                    f"self:{node.id}",
                    "自评分前后不一致",
                    "warning",
                    f"“{node.title}”自评 {fmt(claimed)} 分，但其子项自评分合计为 {fmt(children)} 分",
                )
            )
