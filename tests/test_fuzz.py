"""Property-based fuzzing of the loaders, the expression language and the engine (Hypothesis).

Whatever the input, the answer is a value or the project's own error, never another
exception: text and bytes into the YAML loader, random YAML structures into the
submission loader, random valid facts into the engine, random expressions into the
compiler. Each example has a deadline that only a hang would miss; the whole file runs
in well under 30 s on two cores.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scoring import model as m
from scoring.cli import run
from scoring.engine import evaluate
from scoring.errors import InputError, ScoringError
from scoring.expr import CompileError, EvalError, MissingFact, compile_expression
from scoring.result import Result
from scoring.rubric import load_rubric, rubric_from_text
from scoring.submission import submission_from_text
from scoring.yamlio import decode, load_text

TESTS = Path(__file__).resolve().parent
HOSTILE_RUBRIC = load_rubric(TESTS / "hostile" / "rubric.yaml")
RICH_RUBRIC = load_rubric(TESTS / "data" / "render" / "rubric.yaml")  # manual, deductions, bonus, veto, checks
RUBRICS = [HOSTILE_RUBRIC, RICH_RUBRIC]
OK_SUBMISSION, _ = submission_from_text((TESTS / "hostile" / "ok.yaml").read_text(encoding="utf-8"), HOSTILE_RUBRIC)
HEAD = 'rubric: {id: hostile-fixture, version: "1.0"}\nagency: {name: 测试局}\nyear: 2024\n'

# Generous per-example deadline: it catches a hang, never a slow machine.
FUZZ = settings(
    max_examples=100,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- (a) text and bytes into the YAML loader ---------------------------------------------------

YAML_ALPHABET = st.sampled_from(
    [
        *"[]{}:,-?!&*|>'\"#%@`~\\ \n\t.0123456789eE+_xa",
        "是",
        "否",
        "NO",
        "yes",
        "null",
        "true",
        "!!",
        "<<",
        "---",
        "\ufeff",
    ]
)
yamlish_text = st.lists(YAML_ALPHABET, max_size=120).map("".join)


def load_or_refuse(text: str) -> None:
    try:
        doc = load_text(text, "f.yaml")
    except InputError as exc:
        assert exc.problems and all(p.file == "f.yaml" for p in exc.problems)
        return
    for path, (line, column) in doc.positions.items():
        assert line >= 1 and column >= 1, path


@FUZZ
@given(st.text(max_size=300))
def test_any_text_loads_or_is_refused(text: str) -> None:
    load_or_refuse(text)


@FUZZ
@given(yamlish_text)
def test_yaml_punctuation_soup_loads_or_is_refused(text: str) -> None:
    load_or_refuse(text)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_refused(raw: bytes) -> None:
    try:
        text = decode(raw, "f.yaml")
    except InputError:
        return
    load_or_refuse(text)


@FUZZ
@given(st.text(max_size=100), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom"]))
def test_utf8_and_utf16_with_bom_are_read_back_exactly(text: str, encoding: str) -> None:
    """Never a silently wrong reading: the same text, or a refusal for control characters.
    (UTF-16 without a BOM and GBK are ambiguous by nature: the corpus checks typical files.)"""
    try:
        raw = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        got = decode(raw, "f.yaml")
    except InputError as exc:
        message = exc.problems[0].message
        assert "控制字符" in message or "UTF-16" in message or "会把它当作换行" in message  # NEL, U+2028/9
        return
    assert got == text.removeprefix("\ufeff") if encoding in ("utf-8", "utf-8-sig") else got == text


# -- (b) random YAML structures into the submission loader and the engine ----------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["是", "否", "NO", "yes", "010", "0x1F", "12:30", "2018-01-12", "2018-02-30", "1e309", "~", ""]),
)
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)
FACT_IDS = [f.id for f in HOSTILE_RUBRIC.facts]
NODE_IDS = [n.id for n in HOSTILE_RUBRIC.all_nodes()]
facts_like = st.dictionaries(st.sampled_from([*FACT_IDS, "meeting", "其他"]), structures, max_size=8)
scores_like = st.dictionaries(st.sampled_from([*NODE_IDS, "org.met"]), scalars, max_size=4)


def submit_text(text: str) -> None:
    try:
        submission, _missing = submission_from_text(text, HOSTILE_RUBRIC, "s.yaml")
    except ScoringError as exc:
        assert exc.problems
        return
    result = evaluate(HOSTILE_RUBRIC, submission)
    assert isinstance(result, Result)
    assert Decimal(0) <= result.final <= HOSTILE_RUBRIC.max_with_bonus


@FUZZ
@given(structures)
def test_any_document_is_a_submission_or_a_located_refusal(data: Any) -> None:
    submit_text(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(facts_like, scores_like)
def test_any_facts_and_self_scores_are_scored_or_refused(facts: dict[str, Any], scores: dict[str, Any]) -> None:
    text = HEAD + yaml.safe_dump({"facts": facts, "self_scores": scores}, allow_unicode=True)
    submit_text(text)


@FUZZ
@given(yamlish_text)
def test_punctuation_soup_as_facts_is_scored_or_refused(soup: str) -> None:
    submit_text(HEAD + "facts:\n  meetings: 1\n  note: " + soup + "\n")


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for key, item in data.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            out += _paths(item, (*prefix, index))
    return out


def _replace(data: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in data.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(data)]


RUBRIC_DATA = yaml.safe_load((TESTS / "hostile" / "rubric.yaml").read_text(encoding="utf-8"))
RUBRIC_PATHS = _paths(RUBRIC_DATA)
mutation_values = st.one_of(
    structures,
    st.sampled_from(
        ["meetings / 0", "rate ** 2", "len(note)", "has_plan and level", "", "org.meet", "cap", True, -1, 0, 10**6]
    ),
)


@settings(FUZZ, max_examples=40)  # each example loads a whole rubric
@given(st.sampled_from(RUBRIC_PATHS), mutation_values)
def test_a_mutated_rubric_loads_or_is_refused_and_then_scores(path: tuple, value: Any) -> None:
    """Change one value anywhere in a valid rubric: a rubric or located problems, never a crash."""
    text = yaml.safe_dump(_replace(RUBRIC_DATA, path, value), allow_unicode=True)
    try:
        rubric = rubric_from_text(text, "r.yaml")
    except ScoringError as exc:
        assert exc.problems and all(p.file == "r.yaml" for p in exc.problems)
        return
    ids = [n.id for n in rubric.all_nodes()]
    # Known bug (reported): a node id repeated by one of its own descendants is not refused;
    # see the xfail corpus case rub-duplicate-node-id-ancestor.
    assume(len(ids) == len(set(ids)))
    if rubric.id == OK_SUBMISSION.rubric_id:
        check_invariants(rubric, evaluate(rubric, facts_for(OK_SUBMISSION, rubric)))


def facts_for(submission: m.Submission, rubric: m.Rubric) -> m.Submission:
    """Keep only the facts the (mutated) rubric still declares, with the same types."""
    kept = {
        k: v
        for k, v in submission.facts.items()
        if k in rubric.fact_index and rubric.fact_index[k].type == HOSTILE_RUBRIC.fact_index[k].type
    }
    return attrs.evolve(submission, facts=kept, self_scores={})


@FUZZ
@given(structures)
def test_any_document_is_a_rubric_or_a_located_refusal(data: Any) -> None:
    try:
        rubric_from_text(yaml.safe_dump(data, allow_unicode=True), "r.yaml")
    except ScoringError as exc:
        assert exc.problems


REVIEW_DATA = yaml.safe_load((TESTS / "hostile" / "review-ok.yaml").read_text(encoding="utf-8"))
REVIEW_PATHS = _paths(REVIEW_DATA)


@FUZZ
@given(st.sampled_from(REVIEW_PATHS), mutation_values)
def test_a_mutated_review_loads_or_is_refused_and_then_applies(path: tuple, value: Any) -> None:
    """Change one value anywhere in a valid review file: a review or located problems, never a crash."""
    from scoring.review import apply_review, review_from_text

    text = yaml.safe_dump(_replace(REVIEW_DATA, path, value), allow_unicode=True)
    try:
        review = review_from_text(text, HOSTILE_RUBRIC, "v.yaml")
    except ScoringError as exc:
        assert exc.problems and all(p.file == "v.yaml" for p in exc.problems)
        return
    result = apply_review(evaluate(HOSTILE_RUBRIC, OK_SUBMISSION), review, HOSTILE_RUBRIC, OK_SUBMISSION)
    assert Decimal(0) <= result.final_score <= HOSTILE_RUBRIC.max_with_bonus


@settings(FUZZ, max_examples=60)
@given(
    st.one_of(
        st.binary(max_size=200),
        yamlish_text.map(str.encode),
        structures.map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode()),
        st.tuples(facts_like, scores_like).map(
            lambda t: (HEAD + yaml.safe_dump({"facts": t[0], "self_scores": t[1]}, allow_unicode=True)).encode()
        ),
    ),
    st.sampled_from(["validate", "score"]),
)
def test_the_command_line_never_crashes_on_any_file(raw: bytes, command: str) -> None:
    """End to end through run(): exit 0 or 1 with messages, never an internal error or a traceback."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_bytes(raw)
        out, err = io.StringIO(), io.StringIO()
        code = run([command, str(path), "--rubric", str(TESTS / "hostile" / "rubric.yaml")], out, err)
        assert path.read_bytes() == raw
    assert code in (0, 1), err.getvalue()
    assert "内部错误" not in err.getvalue() and "Traceback" not in err.getvalue()


# -- (c) random valid facts into the engine: invariants -----------------------------------------


def fact_values(fact: m.Fact) -> st.SearchStrategy[Any]:
    low = int(fact.minimum) if fact.minimum is not None else 0
    high = int(fact.maximum) if fact.maximum is not None else 10**6
    if fact.type in ("count", "integer"):
        return st.integers(low, high)
    if fact.type == "decimal":
        return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)
    if fact.type == "bool":
        return st.booleans()
    if fact.type == "date":
        return st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31))
    if fact.type == "choice":
        return st.sampled_from(fact.options)
    if fact.type == "multi_choice":
        return st.lists(st.sampled_from(fact.options), unique=True).map(tuple)
    return st.text(max_size=50)


@st.composite
def valid_submissions(draw: st.DrawFn) -> tuple[m.Rubric, m.Submission]:
    rubric = draw(st.sampled_from(RUBRICS))
    facts = {f.id: draw(fact_values(f)) for f in rubric.facts if draw(st.booleans())}
    scores = {n.id: draw(st.decimals(0, n.max, places=1)) for n in rubric.all_nodes() if draw(st.integers(0, 4)) == 0}
    return rubric, m.Submission(rubric.id, rubric.version, m.Agency("测试局"), 2024, facts, scores)


def check_invariants(rubric: m.Rubric, result: Result) -> None:
    by_id = {n.id: n for n in result.nodes}
    for node in rubric.all_nodes():
        got = by_id[node.id]
        assert Decimal(0) <= got.points <= node.max, (node.id, got.points)
        if node.children and node.combine == "sum":
            child_sum = sum(by_id[c.id].points for c in node.children)
            if node.pool_deductions:
                assert got.points <= min(child_sum, node.max)
            else:
                assert got.points == (min(child_sum, node.max) if node.cap else child_sum)
    assert Decimal(0) <= result.final <= rubric.max_with_bonus


@FUZZ
@given(valid_submissions())
def test_engine_invariants_on_valid_facts(case: tuple[m.Rubric, m.Submission]) -> None:
    rubric, submission = case
    check_invariants(rubric, evaluate(rubric, submission))


MONOTONE = rubric_from_text(
    """\
rubric: {id: mono, version: "1", title: 单调细则, year: 2024, total: 12, grades: [{name: 合格, min: 0}]}
facts:
  - {id: plan, label: 是否印发要点, type: bool}
  - {id: trained, label: 是否开展培训, type: bool}
  - {id: meetings, label: 会议次数, type: count}
  - {id: replies, label: 按时答复件数, type: count}
sections:
  - id: a
    title: 组织
    max: 6
    children:
      - {id: a.plan, title: 要点, max: 2, rule: {kind: condition, when: plan}}
      - {id: a.both, title: 要点与培训, max: 2, rule: {kind: condition, when: "plan and trained"}}
      - {id: a.meet, title: 会议, max: 2, rule: {kind: per_item, count: meetings, each: 0.5}}
  - id: b
    title: 答复
    max: 6
    children:
      - id: b.tiers
        title: 答复档次
        max: 3
        rule: {kind: tiers, tiers: [{when: "replies >= 10", points: 3}, {when: "replies >= 1", points: 1.5}]}
      - {id: b.share, title: 答复比例, max: 3, rule: {kind: proportional, numerator: replies, denominator: "20"}}
""",
    "mono.yaml",
)
mono_facts = st.fixed_dictionaries(
    {},
    optional={
        "plan": st.booleans(),
        "trained": st.booleans(),
        "meetings": st.integers(0, 20),
        "replies": st.integers(0, 30),
    },
)
SATISFYING = {
    "plan": st.just(True),
    "trained": st.just(True),
    "meetings": st.integers(0, 20),
    "replies": st.integers(0, 30),
}


@FUZZ
@given(mono_facts, st.sampled_from(sorted(SATISFYING)), st.data())
def test_adding_a_satisfied_fact_never_lowers_a_score(facts: dict[str, Any], name: str, data: st.DataObject) -> None:
    assume(name not in facts)
    value = data.draw(SATISFYING[name])
    before = evaluate(MONOTONE, m.Submission("mono", "1", m.Agency("单位"), 2024, facts, {}))
    after = evaluate(MONOTONE, m.Submission("mono", "1", m.Agency("单位"), 2024, {**facts, name: value}, {}))
    for old, new in zip(before.nodes, after.nodes, strict=True):
        assert new.points >= old.points, (old.id, old.points, new.points)
    assert after.final >= before.final


@FUZZ
@given(valid_submissions(), st.integers(0, 4))
def test_plans_re_adding_changed_paths_equal_plans_of_whole_evaluations(
    case: tuple[m.Rubric, m.Submission], eighths: int
) -> None:
    """``plan``'s near-linear what-ifs against one whole evaluation per what-if, on any valid facts
    (the rich rubric has manual items, pooled deductions, a bonus, a veto and checks)."""
    from scoring.engine import leaf_outcomes, shares_depend_on_leaves
    from scoring.plan import _plan, _Tally

    rubric, submission = case
    # where one criterion moves another, make_plan takes whole evaluations (the slow way itself)
    assume(not any(b.gate is not None for b in rubric.bonus) and not shares_depend_on_leaves(rubric, submission))
    current = evaluate(rubric, submission)
    target = rubric.max_with_bonus * eighths / 4 if eighths < 4 else rubric.max_with_bonus
    slow = _plan(rubric, submission, target, {}, {}, current, None)
    tally = _Tally(rubric, leaf_outcomes(rubric, submission), {}, current)
    assert _plan(rubric, submission, target, {}, {}, current, tally) == slow


# -- (d) expressions from a small grammar, and raw text, into the compiler ----------------------

NAMES = ["a", "b", "c", "s", "blank_one"]
atoms = st.one_of(
    st.sampled_from(NAMES),
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(lambda d: f"({d})"),
    st.sampled_from(["0", "0.0", "True", "False", "'x'", "''", "[1, 2]", "[]"]),
)


def combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(
        inner,
        st.sampled_from(["+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=", "and", "or", "in"]),
        inner,
    ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    calls = st.tuples(
        st.sampled_from(["min", "max", "abs", "round", "ratio", "sum", "len", "clamp"]),
        st.lists(inner, min_size=1, max_size=3),
    ).map(lambda t: f"{t[0]}({', '.join(t[1])})")
    return st.one_of(
        binary,
        calls,
        inner.map(lambda x: f"not {x}"),
        inner.map(lambda x: f"-{x}"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        inner.map(lambda x: f"value(blank_one, {x})"),
    )


expressions = st.recursive(atoms, combine, max_leaves=12)
env_values = st.one_of(
    st.none(),
    st.integers(-(10**18), 10**18),
    st.decimals(-(10**6), 10**6, places=4, allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=5),
    st.dates(),
    st.lists(st.sampled_from(["网站", "微博"]), max_size=3).map(tuple),
)
environments = st.fixed_dictionaries({name: env_values for name in NAMES})


def compile_and_run(source: str, env: dict[str, Any]) -> None:
    try:
        expression = compile_expression(source, NAMES)
    except CompileError as exc:
        assert exc.message
        return
    with contextlib.suppress(EvalError, MissingFact):
        expression.evaluate(env)
    expression.sides(env)  # never raises


@FUZZ
@given(expressions, environments)
def test_grammar_expressions_evaluate_or_fail_with_the_languages_own_errors(source: str, env: dict[str, Any]) -> None:
    compile_and_run(source, env)


@FUZZ
@given(st.text(max_size=80), environments)
def test_any_text_as_an_expression_compiles_or_is_refused(source: str, env: dict[str, Any]) -> None:
    compile_and_run(source, env)


@FUZZ
@given(
    st.lists(
        st.sampled_from(["(", ")", "[", "]", "-", "not ", "a", "1", "*", "**", ".", "__class__", ",", "lambda:", "'"]),
        max_size=60,
    ).map("".join),
    environments,
)
def test_operator_soup_compiles_or_is_refused(source: str, env: dict[str, Any]) -> None:
    compile_and_run(source, env)


@FUZZ
@given(st.integers(-(10**12), 10**12), st.integers(-(10**6), 10**6).filter(bool), st.integers(0, 4))
def test_floor_division_and_modulo_agree_with_python(a: int, b: int, places: int) -> None:
    """``//`` and ``%`` floor as Python does, on integers and on decimals (scaled: no float is involved)."""
    env = {"a": Decimal(a).scaleb(-places), "b": Decimal(b).scaleb(-places)}
    q = compile_expression("a // b", ["a", "b"]).evaluate(env)
    r = compile_expression("a % b", ["a", "b"]).evaluate(env)
    assert q == a // b  # the scale cancels in the quotient
    assert r == Decimal(a % b).scaleb(-places)


# -- (e) numbers of any size and precision, through the loaders, the engine and the JSON --------

number_text = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(-(10**25), 10**25).map(str),
    st.tuples(st.integers(0, 10**20), st.integers(-25, 25)).map(lambda t: f"{t[0]}e{t[1]}"),
    st.sampled_from(["1e-18", "3e-18", "0.1234567890123456789", "1.0000000000000001", "2.25", "9.95"]),
)
DIGITS_RUBRIC = rubric_from_text(
    (TESTS / "test_numbers.py").read_text(encoding="utf-8").split('RUBRIC = """', 1)[1].split('"""', 1)[0], "d.yaml"
)


def _json_agrees(result: Result) -> None:
    """The JSON carries exactly the numbers the table shows (no AssertionError, no other number)."""
    from scoring.numbers import fmt
    from scoring.result import dumps

    data = json.loads(dumps(result))
    for node, written in zip(result.nodes, data["nodes"], strict=True):
        assert Decimal(repr(written["points"])) == Decimal(fmt(node.points)), node.id
    assert Decimal(repr(data["score"]["final"])) == Decimal(fmt(result.final))


@FUZZ
@given(number_text, number_text, number_text)
def test_numbers_of_any_precision_are_scored_exactly_or_refused(rate: str, score: str, total: str) -> None:
    text = HEAD + f"facts: {{meetings: 2, rate: {rate}}}\nself_scores: {{org.meet: {score}}}\nself_total: {total}\n"
    try:
        submission, _ = submission_from_text(text, HOSTILE_RUBRIC, "s.yaml")
    except ScoringError as exc:
        assert exc.problems and all(p.line for p in exc.problems)
        return
    _json_agrees(evaluate(HOSTILE_RUBRIC, submission))


@FUZZ
@given(number_text, number_text, st.integers(0, 10**12))
def test_derived_values_over_extreme_facts_are_bounded_never_an_exception(a: str, b: str, late: int) -> None:
    """``a / b * 10``, ``{left}`` over ``a / b`` and a count ``late_days / 30``, on any values."""
    text = (
        "rubric: {id: t, version: '1'}\nagency: {name: 测试局}\nyear: 2024\n"
        f"facts: {{a: {a}, b: {b}, late_days: {late}}}\n"
    )
    try:
        submission, _ = submission_from_text(text, DIGITS_RUBRIC, "s.yaml")
    except ScoringError as exc:
        assert exc.problems
        return
    _json_agrees(evaluate(DIGITS_RUBRIC, submission))


# -- single pathological inputs: refused, and quickly --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: &a ["
        + ", ".join(['"哈"'] * 9)
        + "]\n"
        + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
        "v: " + "[" * 200 + "]" * 200 + "\n",
        "v: " + "{a: " * 200 + "1" + "}" * 200 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x\n",
        "- " * 200_000 + "x\n",
        "[" * 1_000_000,
    ],
    ids=["alias-bomb", "flow-200", "mapping-200", "block-200", "compact-200000", "flow-1000000"],
)
def test_pathological_documents_are_refused_quickly(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InputError):
        load_text(text)
    assert time.perf_counter() - started < 5  # a hang guard, not a benchmark


@pytest.mark.parametrize(
    "source",
    [
        "9**9**9",
        "'a' * 10**9",
        "(" * 300 + "1" + ")" * 300,
        "-" * 1000 + "1",
        "1 + " * 600 + "1",
        "[" * 100 + "]" * 100,
    ],
)
def test_pathological_expressions_are_refused_quickly(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(CompileError):
        compile_expression(source, [])
    assert time.perf_counter() - started < 5
