"""A line-by-line look at the raw text for the mistakes Chinese typing makes in YAML structure.

A full-width colon ``meetings： 1``, a missing space ``meetings:1``, a full-width or
no-break space in the indentation or after the colon, a tab in the indentation: the
YAML parser notices these a line or several lines late, as something else ("missing
colon", "inconsistent indentation"). Read before the parser, each is reported on its
own line and column with the fix, and :attr:`Scan.fixed` is the text with each one
corrected in place (same lines), so the rest of the file can still be checked.

Only lines where a mapping key is expected are looked at: comments, block scalars
(``|``), continuation lines of multi-line text, quoted and bracketed values are left alone.
"""

from __future__ import annotations

import re

import attrs

from .errors import Problem
from .typing_fixes import ODD_SPACES, char_name

_LEAD = re.compile(rf"[ \t{ODD_SPACES.pattern[1:-1]}]*")
_DASHES = re.compile(r"(?:-[ ]+)*")
_HEAD = re.compile(r"[^\s:：#'\"{}\[\],&*!|>%@`\-][^\s:：#]*|-[^\s:：#]+")
_ASCII_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_KEY_LINE = re.compile(r"[^\s:：#'\"]+\s*[:：](\s|$)")  # "name: ..." (with either colon)
_BLOCK = re.compile(r"[|>][-+0-9]*\s*(#.*)?")


@attrs.frozen
class Finding:
    line: int
    column: int
    path: tuple[str, ...]
    message: str


@attrs.frozen
class Scan:
    findings: tuple[Finding, ...]
    fixed: str  # the text with every finding corrected in place (same number of lines)

    @property
    def lines(self) -> set[int]:
        return {f.line for f in self.findings}

    def problems(self, file: str) -> list[Problem]:
        return [Problem(f.message, file, f.line, f.column, ".".join(f.path)) for f in self.findings]


def scan(text: str) -> Scan:
    lines = text.split("\n")
    findings: list[Finding] = []
    fixed: list[str] = []
    stack: list[tuple[int, str]] = []  # (indent, key) of the open mappings, for the field path
    block: int | None = None  # inside a block scalar: lines indented more than this are text
    value_at: int | None = None  # the last key line had a value at this indent: deeper lines continue it
    open_quote = ""  # a quoted value runs on to the next line
    depth = 0  # open brackets of a flow collection
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        lead = _LEAD.match(line)
        assert lead is not None
        indent = lead.end()
        body = line[indent:]
        blank = not body or body.startswith("#")
        if block is not None:
            if blank or indent > block:
                fixed.append(raw)
                continue
            block = None
        if open_quote or depth:
            open_quote, depth = _carry(line, open_quote, depth)
            fixed.append(raw)
            continue
        if blank:
            fixed.append(raw)
            continue
        odd = line[:indent].strip(" ") != ""
        if value_at is not None and indent > value_at and not (odd and _KEY_LINE.match(body)):
            fixed.append(raw)  # the next line of a multi-line plain value
            continue
        value_at = None
        out = line
        for offset, char in enumerate(line[:indent]):
            if char != " ":
                findings.append(Finding(number, offset + 1, (), _indent_message(char)))  # its level is unsure
                out = out[:offset] + " " + out[offset + 1 :]
                break
        dashes = _DASHES.match(body)
        assert dashes is not None
        start = indent + dashes.end()
        head = _HEAD.match(line, start)
        if head is None:
            fixed.append(out + raw[len(line) :])
            if body[dashes.end() :].startswith(("[", "{", '"', "'")):
                open_quote, depth = _carry(line[start:], "", 0)
            value_at = start
            continue
        key = head.group()
        sep = head.end()
        while sep < len(line) and (line[sep] == " " or ODD_SPACES.match(line[sep])):
            sep += 1
        in_sequence = dashes.end() > 0
        keyish = bool(_ASCII_KEY.fullmatch(key)) or (bool(_CJK.search(key)) and not in_sequence)
        level = indent + dashes.end()
        while stack and stack[-1][0] >= level:
            stack.pop()
        path = _path(stack, key)
        value = ""
        if sep < len(line) and line[sep] == "：" and keyish:
            value = line[sep + 1 :].strip()
            findings.append(Finding(number, sep + 1, path, _colon_message(key, value)))
            after = line[sep + 1 :]
            out = out[:sep] + ":" + ("" if after[:1] == " " else " ") + after
        elif sep < len(line) and line[sep] == ":" and sep + 1 < len(line) and line[sep + 1] not in " \t":
            after = line[sep + 1]
            if ODD_SPACES.match(after):
                value = line[sep + 2 :].strip()
                findings.append(Finding(number, sep + 2, path, _space_after_colon(after, key, value)))
                out = out[: sep + 1] + " " + out[sep + 2 :]
            elif keyish and sep == head.end() and after not in "/:" and not key[-1:].isdigit():
                value = line[sep + 1 :].strip()
                findings.append(Finding(number, sep + 2, path, _no_space_message(key, value)))
                out = out[: sep + 1] + " " + out[sep + 1 :]
            else:
                value = "x"
        elif sep < len(line) and line[sep] == ":":
            value = line[sep + 1 :].strip()
        else:
            fixed.append(out + raw[len(line) :])
            value_at = start  # a plain scalar (a list item, text): deeper lines continue it
            continue
        fixed.append(out + raw[len(line) :])
        value = value.split(" #")[0].strip() if not value.startswith("#") else ""
        if not value:
            stack.append((level, key))
        elif _BLOCK.fullmatch(value):
            block = level if not in_sequence else indent
        elif value[0] in "[{\"'":
            open_quote, depth = _carry(value, "", 0)
            value_at = level
        else:
            value_at = level
    return Scan(tuple(findings), "\n".join(fixed))


def _carry(text: str, quote: str, depth: int) -> tuple[str, int]:
    """The quote and bracket depth still open at the end of ``text``."""
    escaped = False
    for char in text:
        if quote:
            if quote == '"' and char == "\\" and not escaped:
                escaped = True
                continue
            if char == quote and not escaped:
                quote = ""
            escaped = False
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "#":
            break
    return quote, depth


def _path(stack: list[tuple[int, str]], key: str) -> tuple[str, ...]:
    return tuple(k for _, k in stack) + ((key,) if key else ())


def _indent_message(char: str) -> str:
    if char == "\t":
        return "YAML 格式错误：这里用了 Tab 制表符；YAML 只能用空格缩进，请把 Tab 换成空格"
    return (
        f"YAML 格式错误：缩进中有 {char_name(char)}；YAML 只能用半角空格缩进，"
        "请删除它，改用半角空格（输入法切换到半角后再按空格键）"
    )


def _colon_message(key: str, value: str) -> str:
    return (f"这里用了中文全角冒号“：”；名称和值之间要用英文半角冒号“:”再加一个空格，请写成“{key}: {value}”").replace(
        ": ”", ":”"
    )


def _no_space_message(key: str, value: str) -> str:
    return f"冒号后面缺少空格；名称和值之间要用冒号再加一个半角空格，请写成“{key}: {value}”"


def _space_after_colon(char: str, key: str, value: str) -> str:
    return (f"冒号后面是 {char_name(char)}，不是半角空格；请把它换成半角空格，写成“{key}: {value}”").replace(
        ": ”", ":”"
    )
