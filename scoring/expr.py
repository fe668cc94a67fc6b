"""The rubric expression language: small, exact, safe, compiled once.

Syntax is a strict subset of Python expressions (parsed with :mod:`ast`, never
evaluated by Python): numbers, strings, ``True``/``False``, fact names,
``+ - * / // %``, comparisons (chains allowed), ``and or not``, ``in``,
``x if c else y``, list literals and a fixed set of functions. Semantics:

* every number is an exact :class:`~decimal.Decimal` (``0.1 + 0.2 == 0.3``),
  ``/`` is exact division, there is no ``**``;
* arithmetic takes numbers only (no string or list repetition), so memory and
  time are bounded by the expression's length, which is capped;
* a fact that has no value makes the whole expression "data missing"
  (:class:`MissingFact`), except inside ``blank()``, ``filled()`` and ``value()``;
* ``failed_checks("I1.*")`` counts the rubric's consistency checks (by id
  pattern, optionally by severity) that did not hold, so a scoring rule can
  deduct per inconsistency; the engine supplies the outcomes under
  :data:`CHECK_RESULTS`, and check expressions themselves may not use it.

Each expression is compiled to a tree of closures when the rubric loads; the
names it reads are known up front so undeclared facts are caught then.
"""

from __future__ import annotations

import ast
import datetime as dt
import fnmatch
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException, localcontext
from typing import Any

import attrs

from .errors import ExactPickle

MAX_SOURCE_CHARS = 2000
MAX_DEPTH = 40
MAX_LIST = 500

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

_CONTEXT = Context(prec=34, Emax=10_000, Emin=-10_000, traps=None)


class MissingFact(ExactPickle, Exception):
    """Raised during evaluation when a fact the expression reads has no value."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class CompileError(ExactPickle, Exception):
    """The expression text is not valid in the rubric language."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvalError(ExactPickle, Exception):
    """The expression is valid but failed on these values (e.g. divided by zero)."""


@attrs.frozen
class Expression:
    source: str
    names: frozenset[str]
    _fn: Fn = attrs.field(repr=False, eq=False)
    comparison: tuple[Fn, Fn] | None = attrs.field(default=None, repr=False, eq=False)
    # every fact the expression mentions, including those it tolerates blank
    reads: frozenset[str] = frozenset()
    # check-id patterns read through failed_checks()
    check_patterns: frozenset[str] = frozenset()

    def evaluate(self, env: Env) -> Any:
        with localcontext(_CONTEXT):
            try:
                return self._fn(env)
            except (MissingFact, EvalError):
                raise
            except DecimalException as exc:
                raise EvalError(f"数值运算出错（{type(exc).__name__}）") from None
            except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
                raise EvalError(f"运算的值类型不合适：{exc}") from None
            except RecursionError:
                raise EvalError("表达式嵌套过深") from None

    def sides(self, env: Env) -> tuple[Any, Any] | None:
        """For a top-level comparison ``a == b``: the values of both sides."""
        if self.comparison is None:
            return None
        with localcontext(_CONTEXT):
            try:
                return self.comparison[0](env), self.comparison[1](env)
            except Exception:
                return None


def to_number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise EvalError(f"需要数字，得到的是{describe(value)}")
    return Decimal(value)


def describe(value: Any) -> str:
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return f"是/否值 {'是' if value else '否'}"
    if isinstance(value, int | Decimal):
        return f"数字 {value}"
    if isinstance(value, str):
        return f"文字“{value[:30]}”"
    if isinstance(value, dt.date):
        return f"日期 {value.isoformat()}"
    if isinstance(value, list | tuple):
        return "列表"
    return type(value).__name__


def _num_op(op: Callable[[Decimal, Decimal], Decimal], symbol: str) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Decimal:
        a, b = to_number(left), to_number(right)
        if symbol in ("/", "//", "%") and b == 0:
            raise EvalError(f"除数为零（{a} {symbol} 0）；可改用 ratio(a, b) 在分母为 0 时得 0")
        return op(a, b)

    return apply


def _floor_divmod(a: Decimal, b: Decimal) -> tuple[Decimal, Decimal]:
    """Floor division and modulo as Python's ints and floats do them (``-7 // 2 == -4``,
    ``-7 % 2 == 1``: the remainder takes the divisor's sign), not Decimal's truncation
    (``-3`` and ``-1``). Exact: ``a == q * b + r``."""
    q, r = divmod(a, b)  # Decimal: truncated towards zero, remainder with the sign of a
    if r and (r < 0) != (b < 0):
        q, r = q - 1, r + b
    return q, r


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _num_op(operator.add, "+"),
    ast.Sub: _num_op(operator.sub, "-"),
    ast.Mult: _num_op(operator.mul, "*"),
    ast.Div: _num_op(operator.truediv, "/"),
    ast.FloorDiv: _num_op(lambda a, b: _floor_divmod(a, b)[0], "//"),
    ast.Mod: _num_op(lambda a, b: _floor_divmod(a, b)[1], "%"),
}
# operators of one precedence level: ``a + b - c + …`` is a flat chain, compiled without depth
_LEVELS = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1, ast.FloorDiv: 1, ast.Mod: 1}


def _compare_values(op: type, a: Any, b: Any) -> bool:
    if op is ast.In:
        return _contains(b, a)
    if op is ast.NotIn:
        return not _contains(b, a)
    if isinstance(a, bool) != isinstance(b, bool) and op not in (ast.Eq, ast.NotEq):
        raise EvalError(f"无法比较{describe(a)}与{describe(b)}")
    if op is ast.Eq:
        return bool(a == b)
    if op is ast.NotEq:
        return bool(a != b)
    numeric = (int, Decimal)
    same = (isinstance(a, numeric) and isinstance(b, numeric)) or type(a) is type(b)
    if not same:
        raise EvalError(f"无法比较{describe(a)}与{describe(b)}")
    return bool({ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}[op](a, b))


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, list | tuple):
        return item in container
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    raise EvalError(f"“in” 的右边需要列表或文字，得到的是{describe(container)}")


# -- functions -------------------------------------------------------------------------------


def _seq(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise EvalError(f"需要列表，得到的是{describe(value)}")
    return list(value)


def _round(value: Any, places: Any = 0) -> Decimal:
    digits = int(to_number(places))
    if not 0 <= digits <= 10:
        raise EvalError("round() 的小数位数应在 0 到 10 之间")
    return to_number(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _ratio(a: Any, b: Any) -> Decimal:
    denominator = to_number(b)
    return Decimal(0) if denominator == 0 else to_number(a) / denominator


def _clamp(x: Any, low: Any, high: Any) -> Decimal:
    return max(to_number(low), min(to_number(high), to_number(x)))


def _date(*args: Any) -> dt.date:
    try:
        if len(args) == 1 and isinstance(args[0], str):
            return dt.date.fromisoformat(args[0])
        if len(args) == 3:
            year, month, day = (int(to_number(a)) for a in args)
            return dt.date(year, month, day)
    except ValueError as exc:
        raise EvalError(f"日期无效：{exc}") from None
    raise EvalError('date() 需要 "2019-01-31" 或 (年, 月, 日)')


def _days_between(a: Any, b: Any) -> Decimal:
    if not (isinstance(a, dt.date) and isinstance(b, dt.date)):
        raise EvalError("days_between() 需要两个日期")
    return Decimal((b - a).days)


def _date_part(attr: str) -> Callable[[Any], Decimal]:
    def part(value: Any) -> Decimal:
        if not isinstance(value, dt.date):
            raise EvalError(f"需要日期，得到的是{describe(value)}")
        return Decimal(getattr(value, attr))

    return part


def _minmax(pick: Callable[..., Any]) -> Callable[..., Decimal]:
    def apply(*args: Any) -> Decimal:
        values = _seq(args[0]) if len(args) == 1 else list(args)
        if not values:
            raise EvalError("min()/max() 需要至少一个数")
        return pick(to_number(v) for v in values)

    return apply


def _sum(values: Any) -> Decimal:
    return sum((to_number(v) for v in _seq(values)), Decimal(0))


def _count(values: Any) -> Decimal:
    return Decimal(sum(1 for v in _seq(values) if v))


def _len(value: Any) -> Decimal:
    if isinstance(value, list | tuple | str):
        return Decimal(len(value))
    raise EvalError(f"len() 需要列表或文字，得到的是{describe(value)}")


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int, str]] = {
    # name: (function, min args, max args, documentation)
    "min": (_minmax(min), 1, 50, "最小值：min(a, b, ...) 或 min([a, b])"),
    "max": (_minmax(max), 1, 50, "最大值：max(a, b, ...) 或 max([a, b])"),
    "abs": (lambda x: abs(to_number(x)), 1, 1, "绝对值"),
    "round": (_round, 1, 2, "四舍五入：round(x, 小数位数)"),
    "sum": (_sum, 1, 1, "求和：sum([a, b, c])"),
    "count": (_count, 1, 1, "成立的条件个数：count([a > 0, b, c == '有'])"),
    "any": (lambda v: any(_seq(v)), 1, 1, "任一成立：any([a, b])"),
    "all": (lambda v: all(_seq(v)), 1, 1, "全部成立：all([a, b])"),
    "len": (_len, 1, 1, "列表（多选）或文字的长度"),
    "ratio": (_ratio, 2, 2, "a / b，分母为 0 时得 0"),
    "clamp": (_clamp, 3, 3, "把 x 限制在 [lo, hi]：clamp(x, lo, hi)"),
    "date": (_date, 1, 3, '日期：date("2019-01-31") 或 date(年, 月, 日)'),
    "days_between": (_days_between, 2, 2, "两个日期相差的天数：days_between(早, 晚)"),
    "year": (_date_part("year"), 1, 1, "日期的年份"),
    "month": (_date_part("month"), 1, 1, "日期的月份"),
    "day": (_date_part("day"), 1, 1, "日期的日"),
}
# Functions whose single argument is a fact name that may legitimately be blank.
BLANK_AWARE = {
    "blank": "该事实未填写时为真",
    "filled": "该事实已填写时为真",
    "value": "value(x, 默认值)：x 未填写时取默认值",
}
# Functions over the outcome of the rubric's consistency checks (not over facts).
CHECK_AWARE = {
    "failed_checks": 'failed_checks("I1.*") 或 failed_checks("*", "error")：编号符合模式（* 为通配符）、'
    "且不成立的校验规则条数；可选按级别（error / warning）筛选。只用于评分规则、扣分项、否决项",
}
# Key under which the engine puts {check id: (severity, failed)} into the environment.
# It cannot clash with a fact: fact ids are identifiers.
CHECK_RESULTS = "@checks"


# -- compiler --------------------------------------------------------------------------------


def compile_expression(source: str, known: Iterable[str] | None = None) -> Expression:
    """Compile ``source``; ``known`` (if given) lists every name it may read."""
    if not isinstance(source, str) or not source.strip():
        raise CompileError("表达式为空")
    if len(source) > MAX_SOURCE_CHARS:
        raise CompileError(f"表达式过长（超过 {MAX_SOURCE_CHARS} 个字符）")
    text = source.strip()
    try:
        with warnings.catch_warnings():
            # "1if x" is only a SyntaxWarning, printed in English to stderr; refuse it instead
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise CompileError(f"语法错误：{_syntax_hint(exc)}", (exc.offset or 1) - 1) from None
    except (ValueError, RecursionError, MemoryError):
        raise CompileError("表达式无法解析（嵌套过深或含有非法字符）") from None
    compiler = _Compiler(frozenset(known) if known is not None else None)
    fn = compiler.compile(tree.body, 0)
    comparison = None
    body = tree.body
    if isinstance(body, ast.Compare) and len(body.ops) == 1:
        comparison = (compiler.compile(body.left, 1), compiler.compile(body.comparators[0], 1))
    reads = frozenset(compiler.names | compiler.soft_names)
    return Expression(text, frozenset(compiler.names), fn, comparison, reads, frozenset(compiler.check_patterns))


def _syntax_hint(exc: SyntaxError) -> str:
    msg = exc.msg or ""
    text = exc.text or ""
    if re.search(r"(?<![=!<>])=(?!=)", text) or "cannot assign" in msg:
        return "判断相等请用 ==，不要用 ="
    if "was never closed" in msg or "unmatched" in msg:
        return "括号没有配对"
    for needle, chinese in _SYNTAX_WORDS:
        if needle in msg:
            return f"{chinese}（第 {exc.offset or 1} 个字符附近）"
    if not exc.offset or exc.offset > len(text.rstrip("\n")):
        return "表达式不完整（结尾缺少内容）"
    return f"{msg}（第 {exc.offset} 个字符附近）"


_SYNTAX_WORDS = [
    ("too many nested parentheses", "括号嵌套过深"),
    ("invalid character", "含有不能用于表达式的字符（中文标点请改为英文标点，如 ，→ ,  （→ (）"),
    ("unterminated string", "引号没有配对"),
    ("unterminated triple-quoted", "引号没有配对"),
    ("leading zeros", "数字不能以 0 开头"),
    ("invalid decimal literal", "数字写法不对，或数字后面紧跟着字母（请在数字和字母之间加空格）"),
    ("invalid digit", "数字写法不对"),
    ("null bytes", "含有不可见的控制字符"),
]


_CONSTRUCTS = {
    "Lambda": "lambda 函数",
    "ListComp": "列表推导式",
    "SetComp": "集合推导式",
    "DictComp": "字典推导式",
    "GeneratorExp": "生成器表达式",
    "NamedExpr": "赋值表达式 :=",
    "JoinedStr": "f 字符串",
    "Dict": "字典 { }",
    "Set": "集合 { }",
    "Starred": "星号展开 *",
    "Await": "await",
    "Yield": "yield",
    "Slice": "切片",
}


class _Compiler:
    def __init__(self, known: frozenset[str] | None) -> None:
        self.known = known
        self.names: set[str] = set()
        self.soft_names: set[str] = set()
        self.check_patterns: set[str] = set()

    def fail(self, node: ast.AST, message: str) -> CompileError:
        return CompileError(message, getattr(node, "col_offset", 0))

    def compile(self, node: ast.AST, depth: int) -> Fn:
        if depth > MAX_DEPTH:
            raise self.fail(node, "表达式嵌套过深")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.chain(node, d)
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand, d)
            if isinstance(node.op, ast.Not):
                return lambda env: not operand(env)
            if isinstance(node.op, ast.USub):
                return lambda env: -to_number(operand(env))
            if isinstance(node.op, ast.UAdd):
                return lambda env: to_number(operand(env))
            raise self.fail(node, "不支持的运算：按位取反 ~")
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v, d) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda env: all(bool(p(env)) for p in parts)
            return lambda env: any(bool(p(env)) for p in parts)
        if isinstance(node, ast.Compare):
            return self.compare(node, d)
        if isinstance(node, ast.IfExp):
            test, body, orelse = (self.compile(n, d) for n in (node.test, node.body, node.orelse))
            return lambda env: body(env) if test(env) else orelse(env)
        if isinstance(node, ast.List | ast.Tuple):
            if len(node.elts) > MAX_LIST:
                raise self.fail(node, f"列表过长（超过 {MAX_LIST} 项）")
            items = [self.compile(e, d) for e in node.elts]
            return lambda env: tuple(item(env) for item in items)
        if isinstance(node, ast.Call):
            return self.call(node, d)
        if isinstance(node, ast.Attribute):
            raise self.fail(node, "不支持属性访问（.）；事实名称请直接书写")
        if isinstance(node, ast.Subscript):
            raise self.fail(node, "不支持下标访问（[ ]）")
        what = _CONSTRUCTS.get(type(node).__name__, type(node).__name__)
        raise self.fail(node, f"不支持的写法：{what}")

    def chain(self, node: ast.BinOp, d: int) -> Fn:
        """``a + b - c + …`` (one precedence level, left-associative): Python's parser nests it
        one level per term; it is walked and run as a loop, so its length is not depth."""
        level = _LEVELS.get(type(node.op))
        steps: list[tuple[Callable[[Any, Any], Any], ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and _LEVELS.get(type(current.op)) == level:
            op = _BINOPS.get(type(current.op))
            if op is None:
                break
            steps.append((op, current.right))
            current = current.left
        if not steps:  # ** and the bitwise operators
            what = "乘方 **" if isinstance(node.op, ast.Pow) else type(node.op).__name__
            raise self.fail(node, f"不支持的运算：{what}")
        first = self.compile(current, d)
        rest = [(op, self.compile(right, d)) for op, right in reversed(steps)]
        if len(rest) == 1:
            (op, right), left = rest[0], first
            return lambda env: op(left(env), right(env))

        def run(env: Env) -> Any:
            value = first(env)
            for op, right in rest:
                value = op(value, right(env))
            return value

        return run

    def constant(self, node: ast.Constant) -> Fn:
        value = node.value
        if isinstance(value, bool):
            return lambda env: value
        if isinstance(value, int):
            if abs(value) > 10**18:
                raise self.fail(node, "数字过大")
            number = Decimal(value)
            return lambda env: number
        if isinstance(value, float):
            number = Decimal(repr(value))
            if not number.is_finite() or abs(number.adjusted()) > 18:
                raise self.fail(node, "数字超出范围")
            return lambda env: number
        if isinstance(value, str):
            if len(value) > 1000:
                raise self.fail(node, "文字常量过长")
            return lambda env: value
        raise self.fail(node, f"不支持的常量：{value!r}")

    def name(self, node: ast.Name) -> Fn:
        ident = node.id
        if ident in ("true", "false"):
            flag = ident == "true"
            return lambda env: flag
        self.check_known(node, ident)
        self.names.add(ident)

        def lookup(env: Env) -> Any:
            value = env.get(ident)
            if value is None:
                raise MissingFact(ident)
            return value

        return lookup

    def check_known(self, node: ast.AST, ident: str) -> None:
        if self.known is not None and ident not in self.known:
            hint = _closest(ident, self.known)
            extra = f"；是不是“{hint}”？" if hint else ""
            raise self.fail(node, f"引用了未声明的事实“{ident}”{extra}")

    def compare(self, node: ast.Compare, d: int) -> Fn:
        for op in node.ops:
            if isinstance(op, ast.Is | ast.IsNot):
                raise self.fail(node, "不支持 is / is not，请用 == 或 !=")
        left = self.compile(node.left, d)
        rights = [self.compile(c, d) for c in node.comparators]
        ops = [type(op) for op in node.ops]

        def run(env: Env) -> bool:
            a = left(env)
            for op, right in zip(ops, rights, strict=True):
                b = right(env)
                if not _compare_values(op, a, b):
                    return False
                a = b
            return True

        return run

    def call(self, node: ast.Call, d: int) -> Fn:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "只能调用内置函数")
        fname = node.func.id
        if node.keywords:
            raise self.fail(node, f"{fname}() 不接受关键字参数")
        if fname in BLANK_AWARE:
            return self.blank_aware(node, fname, d)
        if fname in CHECK_AWARE:
            return self.failed_checks(node)
        if fname not in FUNCTIONS:
            hint = _closest(fname, FUNCTIONS.keys() | BLANK_AWARE.keys() | CHECK_AWARE.keys())
            extra = f"；是不是“{hint}”？" if hint else ""
            raise self.fail(node, f"未知函数“{fname}”{extra}")
        fn, low, high, _ = FUNCTIONS[fname]
        if not low <= len(node.args) <= high:
            count = str(low) if low == high else f"{low} 到 {high}"
            raise self.fail(node, f"{fname}() 需要 {count} 个参数，给了 {len(node.args)} 个")
        args = [self.compile(a, d) for a in node.args]
        return lambda env: fn(*(a(env) for a in args))

    def blank_aware(self, node: ast.Call, fname: str, d: int) -> Fn:
        wanted = 2 if fname == "value" else 1
        if len(node.args) != wanted or not isinstance(node.args[0], ast.Name):
            shape = "value(事实名, 默认值)" if fname == "value" else f"{fname}(事实名)"
            raise self.fail(node, f"写法应为 {shape}")
        ident = node.args[0].id
        self.check_known(node.args[0], ident)
        self.soft_names.add(ident)
        if fname == "blank":
            return lambda env: env.get(ident) is None
        if fname == "filled":
            return lambda env: env.get(ident) is not None
        default = self.compile(node.args[1], d)

        def value(env: Env) -> Any:
            got = env.get(ident)
            return default(env) if got is None else got

        return value

    def failed_checks(self, node: ast.Call) -> Fn:
        args = node.args
        if not 1 <= len(args) <= 2 or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
            raise self.fail(
                node, '写法应为 failed_checks("编号模式") 或 failed_checks("编号模式", "error")，参数须为文字常量'
            )
        pattern = str(args[0].value)  # type: ignore[attr-defined]
        severity = str(args[1].value) if len(args) == 2 else ""  # type: ignore[attr-defined]
        if not pattern or len(pattern) > 200:
            raise self.fail(node, "failed_checks() 的编号模式不能为空，也不能超过 200 个字符")
        if severity not in ("", "error", "warning"):
            raise self.fail(node, f'failed_checks() 的级别应为 "error" 或 "warning"，不是“{severity}”')
        self.check_patterns.add(pattern)
        matches = re.compile(fnmatch.translate(pattern)).match

        def run(env: Env) -> Decimal:
            outcomes = env.get(CHECK_RESULTS)
            if outcomes is None:
                raise EvalError("failed_checks() 只能用于评分规则、扣分项和否决项，不能用于校验规则")
            return Decimal(
                sum(
                    1
                    for ident, (sev, failed) in outcomes.items()
                    if failed and matches(ident) and severity in ("", sev)
                )
            )

        return run


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
