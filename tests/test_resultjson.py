"""Result JSON read by ``scoring compare``: malformed or hand-edited files are refused with a
Chinese message naming the place, never a traceback (exit 1, not 3), and no field of the
wrong type is taken silently. Hypothesis feeds random JSON-like text and random edits of a
real result."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.cli import run
from scoring.compare import side_from_dict
from scoring.errors import InputError
from scoring.resultjson import loads

HOSTILE = Path(__file__).resolve().parent / "hostile"
REAL = json.loads((HOSTILE / "res-string-score.json").read_text(encoding="utf-8"))
REAL["nodes"][1]["points"] = 4  # the corpus case with its one defect undone: a real result
FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def test_the_real_result_reads_with_exact_decimals() -> None:
    text = json.dumps(REAL, ensure_ascii=False)
    assert loads('{"a": [0.1, 2, -3.25e1]}', "r.json") == {"a": [Decimal("0.1"), 2, Decimal("-32.5")]}
    side = side_from_dict(loads(text, "r.json"), "r.json", "final")
    assert side.total == Decimal("18.8") and side.nodes[1].points == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 65, "r.json:1:65: 嵌套层数过深（超过 64 层），这不是 scoring 生成的评分结果"),
        ('{"a": "[[[[' + "[" * 100 + '"}', ""),  # brackets inside text do not count
        ('{"a": -Infinity}', "r.json:1:7: 不接受非有限数值 -Infinity（无穷大或非数）"),
        ('{"a": 1234567890123456789}', "r.json:1:7: 数字位数过多：1234567890123456789，这不是 scoring 生成的评分结果"),
        ('{"a": 1.5e-99999}', "r.json:1:7: 数字超出合理范围：1.5e-99999，这不是 scoring 生成的评分结果"),
        ('{"a": 1,}', "r.json:1:9: 不是有效的 JSON：Expecting property name enclosed in double quotes"),
    ],
)
def test_malformed_text_is_refused_with_a_location(text: str, message: str) -> None:
    if not message:
        assert loads(text, "r.json") == {"a": "[" * 104}
        return
    with pytest.raises(InputError) as caught:
        loads(text, "r.json")
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["nodes"][1].update(points="57"), "字段 nodes[1].points：应为数字或 null，实际为文字“57”"),
        (lambda d: d["nodes"][1].update(points=True), "字段 nodes[1].points：应为数字或 null，实际为true（是/否）"),
        (lambda d: d["score"].update(final=[1]), "字段 score.final：应为数字或 null，实际为列表（[…]）"),
        (lambda d: d["nodes"][0].update(depth=0.5), "字段 nodes[0].depth：应为整数，实际为数字 0.5"),
        (lambda d: d.update(nodes={}), "字段 nodes：应为列表（[…]），实际为映射（{…}）"),
        (lambda d: d["nodes"].append(d["nodes"][0]), "字段 nodes[8].id：评分项编号“org”重复出现"),
        (lambda d: d["agency"].pop("name"), "字段 agency.name：缺少这一项"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_not_taken(edit: Any, message: str, tmp_path: Path) -> None:
    data = json.loads(json.dumps(REAL))
    edit(data)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(["compare", str(path), str(path)], out, err)
    assert (code, out.getvalue()) == (1, "")
    assert err.getvalue() == f"{path}: {message}（这不是 scoring 生成的评分结果，或已被改动）\n"


JSON_TOKENS = st.sampled_from([*'[]{}:,"-.0123456789eE+ \n\\', "NaN", "Infinity", "true", "null", '"a"'])


@FUZZ
@given(st.lists(JSON_TOKENS, max_size=200).map("".join))
def test_any_json_like_text_is_a_value_or_a_located_error(text: str) -> None:
    try:
        loads(text, "r.json")
    except InputError as exc:
        assert str(exc).startswith("r.json")


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.text(max_size=5), st.decimals(allow_nan=False)
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner))


@FUZZ
@given(st.data())
def test_any_edit_of_a_real_result_is_a_side_or_a_named_error(data: st.DataObject) -> None:
    """Replace one value anywhere in a real result by anything: a side, or an InputError."""
    doc = json.loads(json.dumps(REAL))
    holder: Any = doc
    while True:
        keys = list(holder) if isinstance(holder, dict) else list(range(len(holder)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        if isinstance(holder[key], dict | list) and data.draw(st.booleans()):
            holder = holder[key]
            continue
        holder[key] = data.draw(VALUES)
        break
    figure = data.draw(st.sampled_from(["self", "computed", "reviewed", "final"]))
    try:
        side_from_dict(doc, "r.json", figure)
    except InputError as exc:
        assert str(exc).startswith("r.json")
