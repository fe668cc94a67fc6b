"""``scoring template`` (and ``scoring extract``'s draft) print rubric text into YAML comments:
whatever that text holds — newlines, ``\\r``, U+2028/U+2029, NEL, tabs, ``#``, quotes — the
output parses and has exactly the keys it should, never one injected by a label."""

from __future__ import annotations

import json
import textwrap

import attrs
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scoring.errors import InputError
from scoring.rubric import rubric_from_text
from scoring.skeleton import skeleton
from scoring.yamlio import load_text
from scoring.yamltext import comment, quoted

TOP = ["rubric", "agency", "year", "submitted", "facts", "self_scores", "self_total", "evidence", "remarks"]
RUBRIC = """\
rubric:
  id: label-fixture
  version: {version}
  title: {title}
  year: 2024
  total: 10
  grades: [{{name: 合格, min: 6}}, {{name: 不合格, min: 0}}]
facts:
  - group: g
    label: {group}
    facts:
      - {{id: n, label: {label}, type: count, unit: {unit}, help: {help}}}
      - {{id: c, label: 渠道, type: choice, options: [{option}, 乙]}}
sections:
  - id: a
    title: {section}
    max: 10
    children:
      - {{id: a.1, title: {node}, max: 4, rule: {{kind: condition, when: "n >= 1"}}}}
      - {{id: a.2, title: 选择, max: 6, rule: {{kind: condition, when: "c == '乙'"}}}}
"""
INJECTION = "好\nself_total: 100\nfacts: {n: 99}\n# "


def _yaml(text: str) -> str:
    """A double-quoted YAML scalar for ``text`` (so any text can reach the rubric loader)."""
    return quoted(text)


def _rubric(**texts: str):  # type: ignore[no-untyped-def]
    fields = {k: "x" for k in ("title", "group", "label", "unit", "help", "option", "section", "node")}
    fields["version"] = "1"
    fields.update(texts)
    return rubric_from_text(RUBRIC.format(**{k: _yaml(v) for k, v in fields.items()}), "r.yaml")


def _check(rubric) -> None:  # type: ignore[no-untyped-def]
    doc = load_text(skeleton(rubric), "template.yaml")
    assert list(doc.data) == TOP
    assert doc.data["rubric"] == {"id": rubric.id, "version": rubric.version}
    assert set(doc.data["facts"]) == {"n", "c"} and set(doc.data["facts"].values()) == {None}
    assert set(doc.data["self_scores"]) == {"a", "a.1", "a.2"}
    assert doc.data["self_total"] is None and doc.data["evidence"] == {}


def _injected(rubric, title: str, node: str):  # type: ignore[no-untyped-def]
    """``rubric`` with text its YAML loader refuses (U+2028, U+2029) put in afterwards, as a direct
    caller of :func:`skeleton` could: the template must stay safe whatever the text."""
    leaf = attrs.evolve(rubric.sections[0].children[0], title=node)
    section = attrs.evolve(rubric.sections[0], children=(leaf, *rubric.sections[0].children[1:]))
    return attrs.evolve(rubric, title=title, sections=(section,), node_index={**rubric.node_index, leaf.id: leaf})


def test_a_multi_line_label_cannot_add_keys() -> None:
    """Before: the label's second line became `self_total: 100` and `facts` a second time (invalid YAML)."""
    rubric = _rubric(label=INJECTION, help="第一行\r\n第二行")
    _check(_injected(rubric, title="标题\u2028self_total: 5", node="a\u2029b: 1"))


DANGEROUS = st.sampled_from(["\n", "\r", "\r\n", "\u2028", "\u2029", "\t", "#", ": ", "- ", "'", '"', "\\", "{", "}"])
# the loader refuses control characters in a rubric (other tests): every other character is fair game
PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=3)
TEXT = st.lists(st.one_of(DANGEROUS, PRINTABLE), min_size=1, max_size=12).map("".join)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: TEXT for k in ("title", "group", "label", "unit", "help", "section", "node")}))
def test_any_rubric_text_gives_a_template_with_exactly_the_expected_keys(texts: dict[str, str]) -> None:
    try:
        rubric = _rubric(**texts)
    except InputError:
        assume(False)  # text the rubric loader itself refuses (control characters) never reaches a template
    _check(rubric)


@settings(max_examples=150, deadline=2000)
@given(st.text())
def test_comment_text_stays_on_one_line_and_quoted_text_reads_back(text: str) -> None:
    line = "# " + comment(text)
    assert load_text(f"a: 1  {line}\n", "t.yaml").data == {"a": 1}
    assume("\x00" not in text)
    try:
        back = load_text(f"v: {quoted(text)}\n", "t.yaml").data["v"]
    except InputError:
        return  # control characters: refused by the loader, never taken
    assert back == text


def test_extract_draft_keeps_report_text_on_comment_lines() -> None:
    """A guard: extract's draft already flattened its comments; it now shares the same helpers."""
    from scoring.cli import App
    from scoring.extract import draft_yaml, extract

    report = textwrap.dedent("""\
        某某县住房和城乡建设局2021年政府信息公开工作年度报告
        一、总体情况\u2028self_total: 100
        本年主动公开信息30条。
        """)
    found = extract(report, "2021")
    import io

    rubric = App(io.StringIO(), io.StringIO(), []).rubric("annual-report-2021")
    draft = draft_yaml(found, rubric, "报告\n第二行: 1.txt")
    data = load_text(draft, "draft.yaml").data
    assert "self_total" not in data and set(data) <= set(TOP)
    assert json.dumps(data, ensure_ascii=False)  # plain data
