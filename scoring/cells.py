"""Display width on a terminal: how many columns a text takes, and fitting text into them.

A Chinese character takes two columns, a combining mark or a zero-width space none, and an
emoji sequence is one picture: measured by ``wcwidth`` (a small, dependency-free library that
follows the Unicode tables and grapheme clusters), not ``len``. East-Asian "ambiguous"
characters (… “ ” █ ─) are counted one column, as modern terminals draw them; set
``ZWGK_AMBIGUOUS_WIDTH=2`` for a terminal that draws them wide (some Chinese consoles).

The width of the output: ``COLUMNS`` when set, else the terminal's width, else (a pipe,
a file, a test) a fixed ``DEFAULT_COLUMNS``, so that output not read on a screen is stable.
"""

from __future__ import annotations

import os
from typing import IO

import wcwidth

DEFAULT_COLUMNS = 100
MIN_COLUMNS = 40
ELLIPSIS = "…"
# no line may start with these (Chinese line-breaking rule): they stay with the character before
_NO_LINE_START = set("，。、；：！？）》」』”’%…,.;:!?)]}")


def ambiguous_width() -> int:
    return 2 if os.environ.get("ZWGK_AMBIGUOUS_WIDTH") == "2" else 1


def width(text: str) -> int:
    return int(wcwidth.width(text, ambiguous_width=ambiguous_width()))


def columns(stream: IO[str] | None = None) -> int:
    """How wide the output may be (see the module docstring)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return max(MIN_COLUMNS, int(env))
    if stream is not None and getattr(stream, "isatty", lambda: False)():
        try:
            return max(MIN_COLUMNS, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError):
            pass
    return DEFAULT_COLUMNS


def fits_screen(stream: IO[str]) -> bool:
    """Whether output to ``stream`` should be fitted to a width: a terminal, or ``COLUMNS`` set."""
    return bool(getattr(stream, "isatty", lambda: False)()) or os.environ.get("COLUMNS", "").isdigit()


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` columns, ending in "…" when cut (the "…" counted in the limit)."""
    text = text.replace("\n", " ")
    if width(text) <= limit:
        return text
    room = limit - width(ELLIPSIS)
    out, used = "", 0
    for grapheme in wcwidth.iter_graphemes(text):
        w = width(grapheme)
        if used + w > room:
            break
        out += grapheme
        used += w
    return out + ELLIPSIS if limit >= width(ELLIPSIS) else ""


def pad(text: str, size: int, right: bool = False) -> str:
    """``text`` clipped and padded to exactly ``size`` columns."""
    text = clip(text, size)
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def wrap(text: str, limit: int, indent: str = "    ") -> list[str]:
    """Lines of at most ``limit`` columns. Chinese breaks between any two characters (never before
    a closing punctuation mark); a Latin word or a number is not split unless longer than a line."""
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for grapheme in wcwidth.iter_graphemes(text):
        w = width(grapheme)
        if used + w > limit and current:
            keep, carry = _break(current, grapheme, len(indent) if lines else 0)
            lines.append("".join(keep).rstrip())
            current = list(indent) + carry
            used = width("".join(current))
            if grapheme == " " and not carry:
                continue
        current.append(grapheme)
        used += w
    if current or not lines:
        lines.append("".join(current).rstrip())
    return lines


def _break(current: list[str], coming: str, start: int) -> tuple[list[str], list[str]]:
    """Where to end a full line: before the last Latin word, or one character earlier so that
    ``coming`` (a closing mark) does not start the next line."""
    body = current[start:]
    if coming in _NO_LINE_START and len(body) > 1:
        return current[:-1], current[-1:]
    if coming.isascii() and coming.strip() and current[-1].isascii() and current[-1].strip():
        for back in range(1, min(20, len(body) - 1)):
            if current[-back - 1] == " " or not current[-back - 1].isascii():
                return current[:-back], current[-back:]
    return current, []
