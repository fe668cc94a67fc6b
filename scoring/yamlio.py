"""Safe YAML loading that keeps every value's line and column.

PyYAML's own constructors are YAML 1.1 (``NO`` -> False, ``010`` -> 8, dates,
silently overwritten duplicate keys) and forget positions. We only use its
parser and composer (the C one when available), with a resolver that tags
nothing, and build plain data ourselves:

* plain scalars resolve to None, true/false, int, exact ``Decimal`` or str,
  nothing else (codes, dates and ``NO`` stay text; the schema decides);
* duplicate keys, aliases/anchors (alias bombs), explicit tags, non-finite
  numbers, oversized files and deep nesting are refused with a location;
* :class:`Document` maps every JSON path to the line and column of its value.
"""

from __future__ import annotations

import codecs
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import yaml

from .errors import InputError, Problem

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_SCALAR_CHARS = 100_000

try:  # the C parser is ~10x faster; fall back to pure Python if absent
    _Parser: type = yaml.CParser  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class _Composer(_Parser, yaml.resolver.BaseResolver):  # type: ignore[misc, valid-type]
    """Parser + composer whose resolver leaves every plain scalar as str."""


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DEC = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?")
_NONFINITE = re.compile(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}

Path_ = tuple[str | int, ...]


@attrs.frozen
class Document:
    """Plain data read from a YAML file, with the position of every value."""

    data: Any
    file: str
    positions: dict[Path_, tuple[int, int]]
    # where each mapping key itself was written (for "unknown key" messages)
    key_positions: dict[Path_, tuple[int, int]] = attrs.field(factory=dict)

    def locate(self, path: Path_) -> tuple[int, int]:
        """Line and column of the value at ``path``, or of its nearest ancestor."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def locate_key(self, path: Path_) -> tuple[int, int]:
        """Line and column of the key that introduces ``path`` (falls back to its value)."""
        return self.key_positions.get(tuple(path)) or self.locate(path)

    def problem(self, path: Path_, message: str, label: str = "", at_key: bool = False) -> Problem:
        line, column = self.locate_key(path) if at_key else self.locate(path)
        return Problem(message, self.file, line, column, format_path(path), label)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a text file as UTF-8 (BOM allowed) or UTF-16 with BOM; refuse the rest."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(Problem("文件不存在，请检查路径是否正确", name)) from None
    except IsADirectoryError:
        raise InputError(Problem("这是一个文件夹，不是文件", name)) from None
    except OSError as exc:
        raise InputError(Problem(f"无法读取文件：{exc.strerror}", name)) from None
    if len(raw) > max_bytes:
        raise InputError(Problem(f"文件过大（超过 {max_bytes // (1024 * 1024)} MiB），请检查是否选错了文件", name))
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text(raw.decode("utf-16"), name)
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = _guess_encoding(raw)
        raise InputError(Problem(hint, name, line)) from None
    return _check_text(text, name)


def _guess_encoding(raw: bytes) -> str:
    convert = "请用记事本或 WPS 打开后“另存为”，编码选择 UTF-8，再重新提交"
    if raw.count(b"\x00") > len(raw) // 4:
        return f"文件看起来是 UTF-16 编码但缺少字节顺序标记（BOM），无法可靠读取；{convert}"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return "文件不是文本文件（既不是 UTF-8 也不是 GBK 编码），请确认选择的是 YAML 文件"
    return f"文件不是 UTF-8 编码，看起来是 GBK/GB18030 编码（Windows 中文系统常见）；{convert}"


def _check_text(text: str, name: str) -> str:
    for index, char in enumerate(text):
        if char == "\x00" or (ord(char) < 32 and char not in "\t\n\r"):
            line = text.count("\n", 0, index) + 1
            raise InputError(Problem(f"文件含有不可见的控制字符（U+{ord(char):04X}），不是正常的文本文件", name, line))
    return text


def load_file(path: str | Path, display_name: str | None = None) -> Document:
    name = display_name or str(path)
    return load_text(read_text(path), name)


def load_text(text: str, file: str = "<输入>") -> Document:
    """Parse one YAML document into a :class:`Document`; raise InputError on any problem."""
    if len(text) > MAX_BYTES:
        raise InputError(Problem("内容过大，请检查是否选错了文件", file))
    try:
        node = _Composer(text).get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise InputError(Problem(_syntax_message(exc), file, line, column)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"YAML 格式错误：{exc}", file)) from None
    except RecursionError:
        raise InputError(Problem(f"嵌套层数过深（超过 {MAX_DEPTH} 层）", file)) from None
    if node is None:
        raise InputError(Problem("文件是空的，没有任何内容", file, 1, 1))
    builder = _Builder(file)
    data = builder.build(node, (), 0)
    return Document(data, file, builder.positions, builder.key_positions)


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    known = [
        ("found character '\\t'", "这里用了 Tab 制表符缩进；YAML 只能用空格缩进，请把 Tab 换成空格"),
        (
            "mapping values are not allowed",
            "冒号位置不对：同一行出现了第二个“键: 值”，或缺少缩进；含冒号的文字请加引号",
        ),
        ("could not find expected ':'", "缺少冒号“:”，或者上一行的引号没有闭合"),
        ("expected ',' or ']'", "方括号 [ ] 没有闭合，或列表中缺少逗号"),
        ("expected ',' or '}'", "花括号 { } 没有闭合，或其中缺少逗号"),
        ("found unexpected end of stream", "文件意外结束：有引号或括号没有闭合"),
        ("did not find expected key", "缩进不一致：这一行的缩进与上面的同级条目不一致"),
        ("found undefined alias", "不支持 YAML 别名（*名称）"),
        ("expected a single document", "一个文件只能包含一个 YAML 文档（不要使用 --- 分隔多个文档）"),
        ("found duplicate anchor", "不支持 YAML 锚点（&名称）"),
    ]
    text = f"{context} {problem}"
    for needle, chinese in known:
        if needle in text:
            return f"YAML 格式错误：{chinese}"
    return f"YAML 格式错误：{text.strip()}"


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}
        self.seen: set[int] = set()

    def fail(self, node: yaml.Node, message: str, path: Path_) -> InputError:
        mark = node.start_mark
        return InputError(Problem(message, self.file, mark.line + 1, mark.column + 1, format_path(path)))

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        if id(node) in self.seen:
            raise self.fail(node, "不支持 YAML 别名/锚点（*、&）：请把内容直接写出来", path)
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise self.fail(node, f"嵌套层数过深（超过 {MAX_DEPTH} 层）", path)
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _STR:
                raise self.fail(node, f"不支持 YAML 标签 {node.tag}：请去掉以 ! 开头的标记", path)
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(node, f"不支持 YAML 标签 {node.tag}：请去掉以 ! 开头的标记", path)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag != _MAP:
            raise self.fail(node, f"不支持 YAML 标签 {node.tag}：请去掉以 ! 开头的标记", path)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                raise self.fail(key_node, "键必须是简单的文字", path)
            key = key_node.value
            if key == "<<":
                raise self.fail(key_node, "不支持 YAML 合并键（<<）：请把内容直接写出来", path)
            if key in result:
                first = self.positions.get((*path, key), (0, 0))
                raise self.fail(
                    key_node,
                    f"键“{key}”重复出现（第一次在第 {first[0]} 行）；重复的键会导致前面的值丢失，请删除或合并",
                    (*path, key),
                )
            self.key_positions[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        value: str = node.value
        if len(value) > MAX_SCALAR_CHARS:
            raise self.fail(node, f"文字过长（超过 {MAX_SCALAR_CHARS} 个字符）", path)
        if node.style is not None:  # quoted or block scalars are always text
            return value
        if value in _NULLS:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _INT.fullmatch(value):
            if len(value.lstrip("+-")) > 18:
                raise self.fail(node, f"数字过大：{value}", path)
            return int(value)
        if _DEC.fullmatch(value):
            try:
                number = Decimal(value)
            except InvalidOperation:  # pragma: no cover - regex admits only valid text
                return value
            if abs(number.adjusted()) > 18:
                raise self.fail(node, f"数字超出合理范围：{value}", path)
            return number
        if _NONFINITE.fullmatch(value):
            raise self.fail(node, f"不接受非有限数值 {value}（无穷大或非数）", path)
        return value
