"""JSON Schema validation with compiler-like Chinese messages.

Each schema error becomes a :class:`Problem` at the line and column of the
offending value, naming the field and (where known) its Chinese label.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from .errors import Problem
from .expr import describe
from .typing_fixes import char_name, hidden_chars, show_hidden
from .yamlio import Document, Path_, format_path

TYPE_NAMES = {
    "string": "文字",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否（true 或 false）",
    "object": "“名称: 值”形式的映射",
    "array": "列表（每项以“- ”开头）",
    "null": "空值",
}

LabelFor = Callable[[Path_], str]


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    text = resources.files("scoring.schemas").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def packaged_validator(name: str) -> Draft202012Validator:
    return make_validator(packaged_schema(name))


MAX_PROBLEMS = 100  # per file: a list of 50,000 wrong items gives one screen, not 50,000 lines


def _canonical(value: Any) -> Any:
    """A hashable key equal for JSON-equal values (1 == 1.0, True != 1)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(value)
        return ("n", number.normalize() if number.is_finite() else str(number))
    if isinstance(value, list | tuple):
        return ("l", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("d", frozenset((k, _canonical(v)) for k, v in value.items()))
    return (type(value).__name__, value if isinstance(value, str) or value is None else repr(value))


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    """jsonschema's own check is quadratic for unhashable items (3,000 mappings took 17 s)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield ValidationError("has non-unique elements")
            return
        seen.add(key)


def _is_integer(checker: Any, instance: Any) -> bool:
    """JSON Schema's integer is any number with a zero fraction (``12.0``, ``1e3``), as editors
    check it; our loader reads those as exact ``Decimal``, which jsonschema alone would refuse."""
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer"))


_Validator = validators.extend(
    Draft202012Validator,
    {"uniqueItems": _unique_items},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def make_validator(schema: dict[str, Any], check: bool = True) -> Draft202012Validator:
    """A validator for ``schema``; ``check=False`` skips checking the schema itself against the
    metaschema, for schemas this program derives (tests check those): on a rubric of 2,400 nodes
    that check took 11 s of the 11.5 s it took to build the submission validator."""
    if check:
        Draft202012Validator.check_schema(schema)
    return _Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)  # type: ignore[no-any-return]


def schema_problems(doc: Document, validator: Draft202012Validator, label_for: LabelFor | None = None) -> list[Problem]:
    """Every schema violation in ``doc``, in file order, as located Chinese messages."""
    label_for = label_for or (lambda path: "")
    problems: dict[tuple[Any, ...], Problem] = {}
    for error in validator.iter_errors(doc.data):
        for leaf in _leaves(error):
            path, message = _explain(leaf)
            at_key = leaf.validator == "additionalProperties"
            line, column = doc.locate_key(path) if at_key else doc.locate(path)
            problem = Problem(message, doc.file, line, column, format_path(path), label_for(path))
            problems.setdefault((line, column, problem.path, message), problem)
    found = [problems[k] for k in sorted(problems, key=lambda k: (k[0], k[1], k[2]))]
    if len(found) > MAX_PROBLEMS:
        rest = len(found) - MAX_PROBLEMS
        found = [*found[:MAX_PROBLEMS], Problem(f"另有 {rest} 个问题未列出；请先改正以上问题再检查", doc.file)]
    return found


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf, the most relevant inner error instead of the vague outer one."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        return [best_match(error.context)]
    return [error]


def _explain(error: ValidationError) -> tuple[Path_, str]:
    path: Path_ = tuple(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        types = [t for t in types if t != "null"] or types  # blank is always allowed where it is, say the rest
        if error.schema.get("format") == "date":
            return path, _date_message(instance)
        expected = "或".join(TYPE_NAMES.get(t, t) for t in types)
        return path, f"应为{expected}，实际为{_show(instance)}"
    if kind == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        name = missing[0] if missing else "?"
        title = (error.schema.get("properties", {}).get(name) or {}).get("title", "")
        return path, f"缺少必填项“{name}”" + (f"（{title}）" if title else "")
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in instance if k not in allowed]
        key = extras[0] if extras else "?"
        if hidden_chars(key):
            names = "、".join(char_name(c) for c in hidden_chars(key))
            return (*path, key), f"不认识的名称“{show_hidden(key)}”：名称中有看不见的字符 {names}，请删除"
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        extra = f"；是不是“{hint[0]}”？" if hint else ""
        if not allowed and error.schema.get("additionalProperties") is False:
            return (*path, key), f"不认识的名称“{key}”"
        return (*path, key), f"不认识的名称“{key}”{extra}"
    if kind in ("enum", "const"):
        # a blank (null) is allowed in many enums but is not an option worth listing
        options = [o for o in (value if kind == "enum" else [value]) if o is not None]
        shown = "、".join(("true" if o else "false") if isinstance(o, bool) else str(o) for o in options[:12])
        more = " 等" if len(options) > 12 else ""
        return path, f"应为以下之一：{shown}{more}；实际为{_show(instance)}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {"minimum": "不小于", "exclusiveMinimum": "大于", "maximum": "不大于", "exclusiveMaximum": "小于"}
        return path, f"应{words[kind]} {_num(value)}，实际为 {_num(instance)}"
    if kind == "pattern" and error.schema.get("format") == "date":
        return path, _date_message(instance)
    if kind == "pattern":
        desc = error.schema.get("description", "")
        return path, f"格式不对（{desc or value}），实际为{_show(instance)}"
    if kind == "format":
        if value == "date":
            return path, _date_message(instance)
        return path, f"格式应为 {value}，实际为{_show(instance)}"
    if kind == "minItems":
        return path, f"至少需要 {value} 项" if value > 1 else "不能为空列表"
    if kind == "maxItems":
        return path, f"最多 {value} 项，实际有 {len(instance)} 项"
    if kind == "minLength":
        return path, "不能为空"
    if kind == "maxLength":
        return path, f"文字过长（最多 {value} 个字符）"
    if kind == "uniqueItems":
        return path, "列表中有重复项"
    if kind == "minProperties":
        return path, "不能为空"
    if kind == "maxProperties":
        return path, f"最多 {value} 项"
    if kind == "oneOf":
        return path, "只能按一种写法填写（例如 count 与 when 二选一，不能同时出现或都不写）"
    if kind == "not":
        return path, "这里不能这样填写"
    return path, error.message


def _date_message(instance: Any) -> str:
    """Pattern, format and type errors on a date field all give this one message."""
    if isinstance(instance, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", instance):
        return f"日期“{instance}”不存在，请检查月份和日期"
    return f"应为日期，写成 2018-01-12 这样（年-月-日，月和日各两位），实际为{_show(instance)}"


def _num(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _show(instance: Any) -> str:
    if isinstance(instance, dict):
        return "映射（“名称: 值”）"
    if isinstance(instance, list):
        return "列表"
    if isinstance(instance, str):  # invisible characters shown as <U+200B>: the reader cannot see them otherwise
        return f"文字“{show_hidden(instance[:40])}”" + ("…" if len(instance) > 40 else "")
    return describe(instance)
