"""Reading a YAML file so that one mistake does not hide the rest.

:func:`read` combines three passes, each reporting only what is certain:

1. the typing pre-scan (:mod:`scoring.prescan`): structure mistakes on their own lines,
   corrected in place for the next passes;
2. the parser on the corrected text: its first problem is real (the parser stops there);
3. recovery: the offending line, with the lines indented under it, is left out and the
   parser runs again (at most ``MAX_ROUNDS`` times, and ``MAX_REREAD_CHARS`` of text in all),
   so the rest of the file can be
   checked. Later parser errors are not reported (leaving lines out can cause them).
   Recovery is for syntax errors only; refused constructs (anchors, tags, several
   documents) end the reading. :attr:`Reading.omitted` lists
   the lines left out, so that checks of the document never report them, or what they held,
   as missing.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from .errors import InputError, Problem
from .prescan import Scan, scan
from .typing_fixes import ODD_SPACES
from .yamlio import Document, parse_text

MAX_ROUNDS = 20
# at most this much text re-read in all (a 4 MiB file with its errors at the end: two re-reads, not 20)
MAX_REREAD_CHARS = 8 * 1024 * 1024
SYNTAX = "YAML 格式错误"


@attrs.frozen
class Reading:
    doc: Document | None  # None when nothing could be read
    problems: tuple[Problem, ...]
    omitted: dict[int, str] = attrs.field(factory=dict)  # line -> original text, left out to read the rest

    def certain(self, problem: Problem) -> bool:
        """A problem found in the recovered document is reported unless it sits on an omitted line."""
        return problem.line not in self.omitted


def read_strict(text: str, file: str) -> Document:
    reading = read(text, file, recover=False)
    if reading.problems or reading.doc is None:
        raise InputError(list(reading.problems))
    return reading.doc


def read(text: str, file: str, recover: bool = True) -> Reading:
    try:
        doc: Document | None = parse_text(text, file)
        first: list[Problem] = []
    except InputError as exc:
        doc, first = None, exc.problems
    if doc is not None and not _suspicious(doc):
        return Reading(doc, ())  # the common case: no value or key that a typing mistake could have made
    found = scan(text)
    findings = found.findings if doc is None else _confirmed(found, doc)
    if doc is not None and not findings:
        return Reading(doc, ())
    if not findings:
        return _recovered(text, file, first, recover and _syntax(first)) if recover else Reading(None, tuple(first))
    problems = found.problems(file)
    problems = [p for p in problems if any(f.line == p.line and f.column == p.column for f in findings)]
    try:
        return Reading(parse_text(found.fixed, file), tuple(problems))
    except InputError as exc:
        later = [p for p in exc.problems if p.line not in found.lines and p.line - 1 not in found.lines]
        if not recover or not _syntax(exc.problems):
            return Reading(None, tuple(_sorted(problems + later)))
        rest = _recovered(found.fixed, file, exc.problems, True, original=text)
        return Reading(rest.doc, tuple(_sorted(problems + later + list(rest.problems[1:]))), rest.omitted)


def _recovered(text: str, file: str, first: list[Problem], recover: bool, original: str = "") -> Reading:
    """Leave out the offending lines one by one until the parser reads the rest."""
    lines = text.split("\n")
    source = (original or text).split("\n")
    problems = list(first)
    omitted: dict[int, str] = {}
    error = first
    rounds = min(MAX_ROUNDS, max(1, MAX_REREAD_CHARS // max(1, len(text)))) if recover else 0
    for _ in range(rounds):
        line = error[0].line if error else 0
        if not line or line in omitted or line > len(lines):
            break
        for number in _block(lines, line):
            omitted[number] = source[number - 1] if number <= len(source) else ""
            lines[number - 1] = ""
        try:
            return Reading(parse_text("\n".join(lines), file), tuple(problems), omitted)
        except InputError as exc:
            error = exc.problems
            if not _syntax(error):  # a refused construct (alias, tag, duplicate key) ends the reading: leaving
                break  # lines out can cause one (children joining their grandparent), so it is not reported
    return Reading(None, tuple(problems), omitted)


def _syntax(problems: list[Problem]) -> bool:
    """Recovery is for syntax errors only: refused constructs (aliases, tags, depth) end the reading."""
    first = problems[0] if problems else None
    return first is not None and first.message.startswith(SYNTAX) and first.line > 0 and "文档" not in first.message


def _block(lines: list[str], line: int) -> list[int]:
    """``line`` and the lines below it indented deeper (its children, its continuation)."""

    def indent(text: str) -> int:
        return len(text) - len(text.lstrip())

    own = indent(lines[line - 1])
    block = [line]
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() and indent(text) <= own:
            break
        block.append(number)
    while len(block) > 1 and not lines[block[-1] - 1].strip():
        block.pop()  # trailing blank lines belong to no one
    return block


_LOOKS_LIKE_KEY = re.compile(r"[A-Za-z_][\w.\-]*(\s*：|:[^\s/:])")  # "published_weixin： 25", "interviews:1"


def _suspicious(doc: Document) -> bool:
    """Whether a parsed file holds what a typing mistake leaves: a text that starts like
    ``name：value`` or ``name:value``, or a key that starts with an odd space."""
    if any(ODD_SPACES.match(str(path[-1])[:1]) for path in doc.key_positions):
        return True
    stack = [doc.data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and _LOOKS_LIKE_KEY.match(item):
            return True
    return False


def _confirmed(found: Scan, doc: Document) -> tuple[Any, ...]:
    """Findings in a file the parser accepted: kept only where YAML really read the line as
    something else (``meetings： 1`` as the text of the line, not as a key and value)."""
    starts: dict[int, list[str]] = {}
    for path, (line, _column) in doc.positions.items():
        value = _get(doc.data, path)
        if isinstance(value, str):
            starts.setdefault(line, []).append(value)
    odd_keys = {line for path, (line, _c) in doc.key_positions.items() if ODD_SPACES.match(str(path[-1])[:1])}
    kept = []
    for f in found.findings:
        if not f.path:  # an odd space in the indentation that YAML took as the start of the key
            if f.line in odd_keys:
                kept.append(f)
        elif any(v.startswith(f.path[-1]) for v in starts.get(f.line, [])):
            kept.append(f)
    return tuple(kept)


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.line, p.column))
