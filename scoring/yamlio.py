"""Safe YAML loading that keeps every value's line and column.

PyYAML's own constructors are YAML 1.1 (``NO`` -> False, ``010`` -> 8, dates,
silently overwritten duplicate keys) and forget positions. We only use its
parser and composer (the C one when available), with a resolver that tags
nothing, and build plain data ourselves:

* plain scalars resolve to None, true/false, int, exact ``Decimal`` or str,
  nothing else (codes, dates and ``NO`` stay text; the schema decides);
* duplicate keys, aliases/anchors (alias bombs), explicit tags, non-finite
  numbers, numbers of more than 15 significant digits, control characters and
  the line breaks YAML counts but editors may not (NEL, U+2028, U+2029),
  oversized files and deep nesting are refused with a location;
* :class:`Document` maps every JSON path to the line and column of its value.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import yaml
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from .errors import InputError, Problem
from .gctools import gc_paused
from .iofiles import note_input, os_error_text
from .numbers import MAX_SIGNIFICANT, significant_digits

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_SCALAR_CHARS = 100_000
MAX_KEY_CHARS = 200


class _PureParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python event parser: the fallback, and the parser that finds where
    too-deep flow nesting starts (libyaml's scanner reads ahead to its own limit first)."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


try:  # libyaml's parser is ~10x faster; fall back to pure Python if absent
    from yaml.cyaml import CParser as _Parser  # (``yaml.CParser`` does not exist)
except ImportError:  # pragma: no cover - depends on the PyYAML build
    _Parser = _PureParser  # type: ignore[misc,assignment]


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
# a decimal needs a point or an exponent, and no leading zero: codes such as 010 stay text
_DEC = re.compile(r"[-+]?((0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+|(0|[1-9][0-9]*)(?=[eE]))([eE][-+]?[0-9]+)?")
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
    # SHA-256 of exactly the bytes parsed (load_file/load_bytes); "" when built from text
    sha256: str = ""
    # the values written in quotes ("2"): text, even when they look like numbers
    quoted: frozenset[Path_] = attrs.field(factory=frozenset)
    # a workbook read as a document (scoring.workbook): line -> ("统计表!D23", its label); empty for YAML
    cells: dict[int, tuple[str, str]] = attrs.field(factory=dict)

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

    def relocated(self, problems: list[Problem]) -> list[Problem]:
        """Problems at this document's lines, shown at their workbook cells (unchanged for YAML)."""
        if not self.cells:
            return list(problems)
        return [_at_cell(p, self.cells) if p.file == self.file and not p.cell else p for p in problems]


_ROWS = re.compile(r"（相关数据在第 ([0-9、]+) 行）")


def _at_cell(problem: Problem, cells: dict[int, tuple[str, str]]) -> Problem:
    cell, label = cells.get(problem.line, ("", ""))
    sheet = cell.split("!", 1)[0]

    def rows(found: re.Match[str]) -> str:
        places = [cells.get(int(n), (n, ""))[0] for n in found.group(1).split("、")]
        short = [p.split("!", 1)[1] if p.startswith(f"{sheet}!") and "!" in p else p for p in places]
        return "（相关数据在 " + "、".join(short) + "）"

    return attrs.evolve(problem, message=_ROWS.sub(rows, problem.message), cell=cell, label=problem.label or label)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a text file as UTF-8 (BOM allowed) or UTF-16 with BOM; refuse the rest."""
    return decode(read_bytes(path, max_bytes), str(path))


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The file's bytes, read once (at most ``max_bytes``): callers parse and hash these same bytes."""
    name = str(path)
    note_input(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(Problem("文件不存在，请检查路径是否正确", name)) from None
    except IsADirectoryError:
        raise InputError(Problem("这是一个文件夹，不是文件", name)) from None
    except OSError as exc:
        raise InputError(Problem(f"无法读取文件：{os_error_text(exc)}", name)) from None
    if len(raw) > max_bytes:
        raise InputError(Problem(f"文件过大（超过 {max_bytes // (1024 * 1024)} MiB），请检查是否选错了文件", name))
    return raw


def decode(raw: bytes, name: str) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _check_text(raw.decode("utf-16"), name)
        except UnicodeDecodeError:
            pass
    elif _looks_utf16(raw):
        raise InputError(Problem(_guess_encoding(raw), name, 1))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = _guess_encoding(raw)
        raise InputError(Problem(hint, name, line)) from None
    return _check_text(text, name)


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: the ASCII characters (keys, digits) leave a zero byte
    in every other position. (Such bytes are valid UTF-8, so test before decoding.)"""
    sample = raw[:4096]
    half = len(sample) // 2
    if half < 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) > half // 4 and min(even, odd) <= half // 50


def _guess_encoding(raw: bytes) -> str:
    convert = "请用记事本或 WPS 打开后“另存为”，编码选择 UTF-8，再重新提交"
    if _looks_utf16(raw):
        return f"文件看起来是 UTF-16 编码但缺少字节顺序标记（BOM），无法可靠读取；{convert}"
    not_text = "文件不是文本文件（既不是 UTF-8 也不是 GBK 编码），请确认选择的是 YAML 文件"
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return not_text
    if _CONTROL.search(text):  # random bytes often decode as GB18030, but not without control characters
        return not_text
    return f"文件不是 UTF-8 编码，看起来是 GBK/GB18030 编码（Windows 中文系统常见）；{convert}"


# C0/C1 control characters (tab and line breaks excepted) and the non-characters U+FFFE/U+FFFF:
# never in a hand-written form, always in binary files. YAML also breaks lines at NEL (U+0085)
# and the Unicode line and paragraph separators (U+2028, U+2029), so every line number reported
# after one would be off by one: they are refused too, named.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u2028\u2029]")
_BREAKS = {"\x85": "下一行符 NEL", "\u2028": "Unicode 行分隔符", "\u2029": "Unicode 段落分隔符"}


def _control_message(char: str, where: str) -> str:
    """What is wrong with ``char`` found in ``where`` (文件 / 键中 / 文字中)."""
    code = f"U+{ord(char):04X}"
    if char in _BREAKS:
        effect = "YAML 会把它当作换行，之后报告的行号都会错位" if where == "文件" else "会在评分表中造成意外的换行"
        return f"{where}含有字符 {code}（{_BREAKS[char]}）：{effect}；请删除该字符（从网页、Word 或 PDF 复制时常见）"
    if where == "文件":
        return f"文件含有不可见的控制字符（{code}），不是正常的文本文件；请删除该字符"
    return f"{where}含有不可见的控制字符（{code}），请删除"


def _check_text(text: str, name: str) -> str:
    found = _CONTROL.search(text)
    if found:
        index = found.start()
        line = text.count("\n", 0, index) + 1
        column = index - text.rfind("\n", 0, index)
        raise InputError(Problem(_control_message(found.group(), "文件"), name, line, column))
    return text


def load_file(path: str | Path, display_name: str | None = None) -> Document:
    """Read ``path`` once; the document records the SHA-256 of the bytes it was parsed from."""
    return load_bytes(read_bytes(path), display_name or str(path))


def load_bytes(raw: bytes, file: str = "<输入>") -> Document:
    """Decode and parse ``raw``; ``Document.sha256`` is the digest of exactly these bytes."""
    doc = load_text(decode(raw, file), file)
    return attrs.evolve(doc, sha256=hashlib.sha256(raw).hexdigest())


def load_text(text: str, file: str = "<输入>") -> Document:
    """Parse one YAML document into a :class:`Document`; raise InputError on any problem.
    Chinese-typing mistakes in the structure (``：``, ``key:1``, a full-width space in the
    indentation) are reported on their own lines first (:mod:`scoring.recover`)."""
    from .recover import read_strict

    return read_strict(text, file)


def parse_text(text: str, file: str = "<输入>") -> Document:
    """The YAML parse alone: the first problem the parser finds, where it finds it."""
    if len(text) > MAX_BYTES:
        raise InputError(Problem("内容过大，请检查是否选错了文件", file))
    try:
        with gc_paused():  # every node stays alive until built: see scoring.gctools
            node = _compose(text, file)
    except yaml.MarkedYAMLError as exc:
        message, line, column = _syntax_message(exc, text)
        raise InputError(Problem(message, file, line, column)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"YAML 格式错误：{exc}", file)) from None
    except RecursionError:
        raise InputError(Problem(f"嵌套层数过深（超过 {MAX_DEPTH} 层）", file)) from None
    if node is None:
        raise InputError(Problem("文件是空的，没有任何内容", file, 1, 1))
    builder = _Builder(file)
    with gc_paused():
        data = builder.build(node, (), 0)
    return Document(data, file, builder.positions, builder.key_positions, quoted=frozenset(builder.quoted))


def _compose(text: str, file: str) -> yaml.Node | None:
    try:
        return _compose_with(_Parser, text, file)
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" not in (exc.problem or ""):
            raise
        # libyaml (0.2.6+) scans a flow collection ahead to its own depth limit of
        # 1,000 before emitting any event; the pure parser stops at our limit, in place.
        return _compose_with(_PureParser, text, file)


def _compose_with(parser_class: type, text: str, file: str) -> yaml.Node | None:
    """Build the node tree from parser events, refusing anchors, aliases and deep nesting
    as they appear. PyYAML's composers recurse per level (libyaml's overflowed the C
    stack on 100,000 nested ``[``) and the scanners slow down quadratically with depth,
    so nesting is cut off here, before either can happen. Plain scalars get the str tag:
    :class:`_Builder` decides what they mean."""
    parser = parser_class(text)
    parser.get_event()  # stream start
    if parser.check_event(yaml.StreamEndEvent):
        return None
    parser.get_event()  # document start
    stack: list[list[Any]] = []  # [collection node, pending mapping key or None]
    root: yaml.Node | None = None

    def fail(event: yaml.Event, message: str) -> InputError:
        path: list[str | int] = []
        for collection, key in stack:
            if isinstance(collection, yaml.SequenceNode):
                path.append(len(collection.value))
            elif key is not None:
                path.append(str(key.value))
        mark = event.start_mark
        where = format_path(tuple(path[:3])) + ("…" if len(path) > 3 else "")
        return InputError(Problem(message, file, mark.line + 1, mark.column + 1, where))

    while root is None:
        event = parser.get_event()
        if isinstance(event, yaml.AliasEvent):
            raise fail(event, f"不支持 YAML 别名（*{event.anchor}）：请把被引用的内容直接写出来")
        if getattr(event, "anchor", None) is not None:
            raise fail(event, f"不支持 YAML 锚点（&{event.anchor}）：请去掉锚点，把内容直接写出来")
        tag = getattr(event, "tag", None)
        explicit = tag is not None and tag != "!"
        if isinstance(event, yaml.ScalarEvent):
            style = event.style or None  # libyaml marks plain scalars with "", PyYAML with None
            if explicit and tag == _STR and style is None:
                style = "'"  # explicit !!str: text, as if quoted
            node: yaml.Node = yaml.ScalarNode(
                tag if explicit else _STR, event.value, event.start_mark, event.end_mark, style
            )
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise fail(event, f"嵌套层数过深（超过 {MAX_DEPTH} 层）")
            kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
            default = _SEQ if kind is yaml.SequenceNode else _MAP
            node = kind(tag if explicit else default, [], event.start_mark, None, event.flow_style)
            stack.append([node, None])
            continue
        else:  # sequence or mapping end
            node = stack.pop()[0]
            node.end_mark = event.end_mark
        if not stack:
            root = node
        elif isinstance(stack[-1][0], yaml.SequenceNode):
            stack[-1][0].value.append(node)
        elif stack[-1][1] is None:
            stack[-1][1] = node
        else:
            stack[-1][0].value.append((stack[-1][1], node))
            stack[-1][1] = None
    parser.get_event()  # document end
    if not parser.check_event(yaml.StreamEndEvent):
        event = parser.get_event()
        raise yaml.composer.ComposerError(None, None, "expected a single document in the stream", event.start_mark)
    return root


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, int, int]:
    """A Chinese message and its line/column for a PyYAML or libyaml syntax error.

    The two parsers word their errors differently; both are matched. An unclosed
    bracket or quote is reported where it was opened, not where the parser gave up."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    opened = exc.context_mark
    found = ""
    if mark is not None:
        lines = text.split("\n")
        if mark.line < len(lines) and mark.column < len(lines[mark.line]):
            found = lines[mark.line][mark.column]
    if opened is not None and ("expected ',' or ']'" in problem or "expected ',' or '}'" in problem):
        pair = "方括号“[”" if "]" in problem else "花括号“{”"
        close = "]" if "]" in problem else "}"
        message = f"{pair}没有闭合（到第 {line} 行第 {column} 列仍未找到“{close}”），或其中的项之间缺少逗号"
        return f"YAML 格式错误：{message}", opened.line + 1, opened.column + 1
    if opened is not None and "quoted scalar" in context and "end of stream" in problem:
        message = "引号没有闭合：从这里开始的引号直到文件末尾都没有结束，请补上对应的引号"
        return f"YAML 格式错误：{message}", opened.line + 1, opened.column + 1
    if found == "\t" or "'\\t'" in problem or "tab character" in problem:
        return "YAML 格式错误：这里用了 Tab 制表符；YAML 只能用空格缩进，请把 Tab 换成空格", line, column
    known = [
        (
            "mapping values are not allowed",
            "冒号位置不对：同一行出现了第二个“键: 值”，或缺少缩进；含冒号的文字请加引号",
        ),
        ("could not find expected ':'", "缺少冒号“:”，或者上一行的引号没有闭合"),
        ("unknown escape character", "双引号中的反斜杠 \\ 开始了无效的转义；含反斜杠的文字请改用单引号"),
        ("found unexpected end of stream", "文件意外结束：有引号或括号没有闭合"),
        ("did not find expected key", "缩进不一致：这一行的缩进与上面的同级条目不一致"),
        ("expected <block end>", "缩进不一致：这一行的缩进与上面的同级条目不一致"),
        ("expected node content", "这里缺少内容，或出现了多余的“]”“}”；以这些符号开头的文字请加引号"),
        ("expected the node content", "这里缺少内容，或出现了多余的“]”“}”；以这些符号开头的文字请加引号"),
        ("document start", "一个文件只能包含一个 YAML 文档（不要使用 --- 或 ... 分隔多个文档）"),
        ("expected a single document", "一个文件只能包含一个 YAML 文档（不要使用 --- 或 ... 分隔多个文档）"),
        ("directive", "不支持以 % 开头的 YAML 指令行"),
    ]
    for needle, chinese in known:
        if needle in problem:
            return f"YAML 格式错误：{chinese}", line, column
    if "cannot start any token" in problem and found:
        return f"YAML 格式错误：“{found}”不能出现在值的开头；以它开头的文字请加引号", line, column
    return f"YAML 格式错误：{context} {problem}".rstrip(), line, column


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}
        self.quoted: set[Path_] = set()
        self.seen: set[int] = set()

    def bad_tag(self, node: yaml.Node, path: Path_) -> InputError:
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        return self.fail(node, f"不支持 YAML 标签 {shown}：请去掉以 ! 开头的标记（类型由评分细则决定）", path)

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
                raise self.bad_tag(node, path)
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.bad_tag(node, path)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag != _MAP:
            raise self.bad_tag(node, path)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                raise self.fail(key_node, "键必须是简单的文字", path)
            key = key_node.value
            if len(key) > MAX_KEY_CHARS:
                raise self.fail(key_node, f"键过长（超过 {MAX_KEY_CHARS} 个字符）：“{key[:30]}…”", path)
            bad = _CONTROL.search(key)
            if bad:
                raise self.fail(key_node, _control_message(bad.group(), "键中"), path)
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
        bad = _CONTROL.search(value)  # written as an escape such as "\0" or "\e" in double quotes
        if bad:
            raise self.fail(node, _control_message(bad.group(), "文字中"), path)
        if node.style is not None:  # quoted or block scalars are always text
            if node.style in "'\"":
                self.quoted.add(path)
            return value
        if value in _NULLS:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _INT.fullmatch(value):
            if len(value.lstrip("+-")) > 18:
                raise self.fail(node, f"数字过大（超过 18 位）：{_clip(value)}", path)
            return int(value)
        if _DEC.fullmatch(value):
            try:
                number = Decimal(value)
            except InvalidOperation:  # an exponent too large even for Decimal: 1e99999999999999999999
                number = Decimal("Infinity")
            if not number.is_finite() or abs(number.adjusted()) > 18:
                raise self.fail(node, f"数字超出合理范围：{_clip(value)}", path)
            if significant_digits(number) > MAX_SIGNIFICANT:
                raise self.fail(
                    node,
                    f"数字的有效数字过多（超过 {MAX_SIGNIFICANT} 位）：{_clip(value)}；请按实际精度填写，"
                    "多余的位数无法准确计算和保存",
                    path,
                )
            return number
        if _NONFINITE.fullmatch(value):
            raise self.fail(node, f"不接受非有限数值 {value}（无穷大或非数）", path)
        return value


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
