"""Reading a result JSON someone hands us (``scoring compare x.json``): bounded and typed.

``json.loads`` alone recurses once per nesting level (``[[[[…`` ends in RecursionError),
accepts ``NaN``/``Infinity``, turns a 5,000-digit number into an int the next ``str()``
refuses, and lets a string ``"57"`` stand where a score must be a number. Here the text
is checked first (nesting depth, non-finite constants, oversized numbers: each located
by line and column), parsed with exact :class:`~decimal.Decimal` numbers, and every
field :mod:`scoring.compare` reads is fetched through :class:`Fields`, which names the
field and says what was expected and what was found.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from .errors import InputError, Problem
from .yamlio import read_text

MAX_DEPTH = 64
MAX_INT_DIGITS = 18
MAX_DIGITS = 30
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_CONSTANT = re.compile(r"-?(?:NaN|Infinity)\b")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


class _Refused(ValueError):
    """Raised from a json hook: the checks below should have caught it first."""


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - text.rfind("\n", 0, index)


def _refuse(text: str, index: int, file: str, message: str) -> InputError:
    line, column = _position(text, index)
    return InputError(Problem(message, file, line, column))


def _clip(token: str) -> str:
    return token if len(token) <= 24 else f"{token[:12]}…（共 {len(token)} 个字符）"


def check_text(text: str, file: str) -> None:
    """Refuse, with a location, what :func:`json.loads` would crash on or accept silently."""
    # blank out strings, keeping offsets, so brackets and digits inside text are not counted
    bare = _STRING.sub(lambda m: '"' + " " * (len(m.group()) - 2) + '"', text)
    depth = 0
    for match in _BRACKET.finditer(bare):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise _refuse(
                text, match.start(), file, f"嵌套层数过深（超过 {MAX_DEPTH} 层），这不是 scoring 生成的评分结果"
            )
    found = _CONSTANT.search(bare)
    if found:
        raise _refuse(text, found.start(), file, f"不接受非有限数值 {found.group()}（无穷大或非数）")
    for match in _NUMBER.finditer(bare):
        token = match.group()
        mantissa = re.split("[eE]", token)[0]
        digits = len(re.sub(r"[^0-9]", "", mantissa).lstrip("0"))
        exponent = len(match.group(2) or "") > 5  # e+999…: no score has such an exponent
        integer = match.group(1) is None and match.group(2) is None
        if exponent:
            raise _refuse(text, match.start(), file, f"数字超出合理范围：{_clip(token)}，这不是 scoring 生成的评分结果")
        if (integer and digits > MAX_INT_DIGITS) or digits > MAX_DIGITS:
            raise _refuse(text, match.start(), file, f"数字位数过多：{_clip(token)}，这不是 scoring 生成的评分结果")


def _constant(name: str) -> Any:
    raise _Refused(f"不接受非有限数值 {name}（无穷大或非数）")


def _integer(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"数字位数过多：{_clip(token)}")
    return int(token)


def _decimal(token: str) -> Decimal:
    value = Decimal(token)
    if not value.is_finite() or len(value.as_tuple().digits) > MAX_DIGITS or abs(value.adjusted()) > MAX_INT_DIGITS:
        raise _Refused(f"数字超出合理范围：{_clip(token)}")
    return value


def loads(text: str, file: str) -> Any:
    """Parse result JSON text: exact decimals, bounded depth and digits; InputError on anything else."""
    check_text(text, file)
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_decimal)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(f"不是有效的 JSON：{exc.msg}", file, exc.lineno, exc.colno)) from None
    except _Refused as exc:
        raise InputError(Problem(str(exc), file)) from None
    except RecursionError:  # not reached after check_text; kept so no input can end in a traceback
        raise InputError(Problem(f"嵌套层数过深（超过 {MAX_DEPTH} 层）", file)) from None


def load(path: str) -> Any:
    return loads(read_text(path), path)


_KINDS = {"text": "文字", "number": "数字", "integer": "整数", "object": "映射（{…}）", "list": "列表（[…]）"}


def _found(value: Any) -> str:
    if value is None:
        return "空值 null"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'}（是/否）"
    if isinstance(value, str):
        return f"文字“{_clip(value)}”"
    if isinstance(value, dict):
        return "映射（{…}）"
    if isinstance(value, list):
        return "列表（[…]）"
    return f"数字 {value}"


class Fields:
    """Typed access to a parsed result: a wrong or missing field is a located InputError."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> InputError:
        return InputError(Problem(f"{message}（这不是 scoring 生成的评分结果，或已被改动）", self.file, path=path))

    def get(self, data: Any, key: str | int, path: str, kind: str, nullable: bool = False) -> Any:
        where = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)
        if isinstance(data, dict):
            if key not in data:
                raise self.fail(where, "缺少这一项")
            value = data[key]
        else:
            value = data[key]  # lists are indexed within range by the caller
        if value is None and nullable:
            return None
        if not _is(kind, value):
            raise self.fail(where, f"应为{_KINDS[kind]}{'或 null' if nullable else ''}，实际为{_found(value)}")
        return value


def _is(kind: str, value: Any) -> bool:
    if kind == "text":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, int | Decimal | float) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    return isinstance(value, list)
