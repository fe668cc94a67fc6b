"""Writing rubric text into generated YAML (``scoring template``, ``scoring extract``) safely.

A rubric's labels, help texts and titles are printed into ``#`` comments and a version
into a quoted scalar. YAML ends a comment at any line break — ``\\n``, ``\\r``, NEL,
U+2028, U+2029 — so one such character in a label would turn the rest of it into live
keys (or invalid YAML). :func:`comment` keeps any text on one comment line;
:func:`quoted` writes a double-quoted scalar that reads back as exactly the same text.
"""

from __future__ import annotations

import json
import unicodedata

_BREAKS = "\n\r\x85\u2028\u2029\x0b\x0c\t"  # line breaks YAML or editors honour, and tabs


def _visible(char: str) -> str:
    return f"\\u{ord(char):04x}"


def _unsafe(char: str) -> bool:
    """Characters YAML readers refuse or treat as line breaks, and lone surrogates."""
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in "\ufeff\ufffe\uffff"


def comment(text: object) -> str:
    """``text`` on one line, fit to follow ``# ``: breaks and tabs become spaces, other
    invisible or unreadable characters a visible ``\\uXXXX``."""
    out = []
    for char in str(text):
        if char in _BREAKS:
            out.append(" ")
        elif _unsafe(char):
            out.append(_visible(char))
        else:
            out.append(char)
    return "".join(out)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar reading back as ``text`` (JSON escapes are YAML escapes;
    JSON leaves U+2028/U+2029, NEL and BOM raw, which YAML would fold or refuse)."""
    body = json.dumps(text, ensure_ascii=False)
    return "".join(_visible(c) if _unsafe(c) else c for c in body)
