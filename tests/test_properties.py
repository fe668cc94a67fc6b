"""Engine invariants over random rubric trees and random facts (Hypothesis).

Points stay within [0, max]; parents agree with their children; the order of
nodes does not matter; filling a missing fact with a value that satisfies its
criteria never lowers any score.
"""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.engine import evaluate
from scoring.model import Agency, Rubric, Submission
from scoring.rubric import rubric_from_text

FACTS = (
    [{"id": f"b{i}", "label": f"条件{i}", "type": "bool"} for i in range(3)]
    + [{"id": f"c{i}", "label": f"数量{i}", "type": "count"} for i in range(3)]
    + [{"id": "level", "label": "等级", "type": "choice", "options": ["优", "良", "差"]}]
)

HALF = st.integers(min_value=1, max_value=12).map(lambda n: Decimal(n) / 2)


@st.composite
def leaf(draw: st.DrawFn, ident: str) -> dict:
    top = draw(HALF)
    kind = draw(st.sampled_from(["condition", "per_item", "scale", "deduction", "proportional", "tiers", "formula"]))
    i = draw(st.integers(0, 2))
    rules = {
        "condition": {"kind": "condition", "when": f"b{i}"},
        "per_item": {"kind": "per_item", "count": f"c{i}", "each": draw(HALF)},
        "scale": {"kind": "scale", "value": "level", "levels": {"优": top, "良": top / 2, "差": 0}},
        "deduction": {"kind": "deduction", "items": [{"label": "扣分", "count": f"c{i}", "per": draw(HALF)}]},
        "proportional": {"kind": "proportional", "numerator": f"c{i}", "denominator": f"c{(i + 1) % 3} + 1"},
        "tiers": {
            "kind": "tiers",
            "tiers": [{"when": f"c{i} >= 3", "points": top}, {"when": f"c{i} >= 1", "points": top / 2}],
        },
        "formula": {"kind": "formula", "points": f"c{i} * 0.5"},
    }
    return {"id": ident, "title": ident, "max": top, "rule": rules[kind]}


@st.composite
def subtree(draw: st.DrawFn, ident: str, depth: int) -> dict:
    if depth >= 2 or draw(st.booleans()):
        return draw(leaf(ident))
    children = [draw(subtree(f"{ident}.{k}", depth + 1)) for k in range(draw(st.integers(1, 3)))]
    total = sum(c["max"] for c in children)
    node = {"id": ident, "title": ident, "children": children, "max": total}
    if draw(st.booleans()) and total > 1:
        node["cap"] = True
        node["max"] = total - Decimal("0.5")
    if draw(st.booleans()):
        node["pool_deductions"] = True
    return node


@st.composite
def rubrics(draw: st.DrawFn) -> dict:
    sections = [draw(subtree(f"s{k}", 0)) for k in range(draw(st.integers(1, 3)))]
    total = sum(s["max"] for s in sections)
    return {
        "rubric": {
            "id": "prop",
            "version": "1",
            "title": "随机细则",
            "year": 2024,
            "total": total,
            "grades": [{"name": "合格", "min": 0}],
        },
        "facts": FACTS,
        "sections": sections,
    }


def load(data: dict) -> Rubric:
    # JSON is valid YAML; halves are exact in binary floating point, so numbers print exactly
    return rubric_from_text(json.dumps(data, ensure_ascii=False, default=float), "prop.yaml")


facts_strategy = st.fixed_dictionaries(
    {},
    optional={
        **{f"b{i}": st.booleans() for i in range(3)},
        **{f"c{i}": st.integers(0, 12) for i in range(3)},
        "level": st.sampled_from(["优", "良", "差"]),
    },
)


def submit(facts: dict) -> Submission:
    return Submission("prop", "1", Agency("单位"), 2024, facts, {})


def check_tree(rubric: Rubric, result) -> None:
    by_id = {n.id: n for n in result.nodes}
    for node in rubric.all_nodes():
        got = by_id[node.id]
        assert Decimal(0) <= got.points <= node.max, (node.id, got.points, node.max)
        if node.children:
            child_sum = sum(by_id[c.id].points for c in node.children)
            if node.cap or node.pool_deductions:
                assert got.points <= child_sum
            else:
                assert got.points == child_sum
    assert result.final == sum(by_id[s.id].points for s in rubric.sections)
    assert Decimal(0) <= result.final <= rubric.max_with_bonus


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rubrics(), facts_strategy)
def test_points_within_bounds_and_parents_consistent(data, facts):
    rubric = load(data)
    check_tree(rubric, evaluate(rubric, submit(facts)))


def _reverse_children(node: dict) -> dict:
    if "children" not in node:
        return node
    return {**node, "children": [_reverse_children(c) for c in reversed(node["children"])]}


@SETTINGS
@given(rubrics(), facts_strategy)
def test_order_of_nodes_does_not_matter(data, facts):
    flipped = {**data, "sections": [_reverse_children(s) for s in reversed(data["sections"])]}
    one = evaluate(load(data), submit(facts))
    two = evaluate(load(flipped), submit(facts))
    assert {n.id: n.points for n in one.nodes} == {n.id: n.points for n in two.nodes}
    assert one.final == two.final


SATISFYING = {"b0": True, "b1": True, "b2": True, "level": "优"}


@SETTINGS
@given(rubrics(), facts_strategy, st.sampled_from(["b0", "b1", "b2", "level", "c0", "c1", "c2"]))
def test_filling_a_missing_fact_with_a_satisfying_value_never_lowers_a_score(data, facts, name):
    rubric = load(data)
    facts = {k: v for k, v in facts.items() if k != name}
    before = evaluate(rubric, submit(facts))
    # for a count, "satisfying" is 0 when it counts deductions; use 0 so no deduction can cross into siblings
    value = SATISFYING.get(name, 0)
    after = evaluate(rubric, submit({**facts, name: value}))
    lowered = [
        (a.id, b.points, a.points) for a, b in zip(after.nodes, before.nodes, strict=True) if a.points < b.points
    ]
    assert not lowered
    assert after.final >= before.final
