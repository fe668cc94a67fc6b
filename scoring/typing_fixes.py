"""What Chinese typing (IME, Word, Excel) puts into figures, and how to read or explain it.

One place for the rules, shared by every input route (YAML here, workbooks elsewhere):

* full-width digits ``１２`` (an IME in full-width mode) are read as ``12`` when the whole
  entry is a plain number once converted: there is nothing else they could mean;
* everything else is explained, never guessed: quotes round a number, a leading zero,
  Chinese “smart” quotes, a tab from an Excel cell, invisible characters (shown as
  ``U+200B``), full-width or no-break spaces.
"""

from __future__ import annotations

import re

# full-width digits, point and signs (U+FF10–FF19, U+FF0E, U+FF0D, U+FF0B) -> ASCII
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋", "0123456789.-+")
_NUMBER = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?")

# Characters a user cannot see: zero-width and direction marks, soft hyphen, word joiners, a BOM
# inside the text. (Control characters are refused when the file is read.)
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Spaces that look like a space but are not one to YAML.
ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")

_NAMES = {
    "\u00a0": "不换行空格",
    "\u3000": "全角空格",
    "\u200b": "零宽空格",
    "\u200c": "零宽非连接符",
    "\u200d": "零宽连接符",
    "\u200e": "从左至右标记",
    "\u200f": "从右至左标记",
    "\u2060": "零宽不换行符",
    "\ufeff": "零宽不换行空格（BOM）",
    "\u00ad": "软连字符",
    "\t": "Tab 制表符",
}


def char_name(char: str) -> str:
    """``U+200B（零宽空格）``: how a message names a character nobody can see."""
    name = _NAMES.get(char) or ("空格类字符" if ODD_SPACES.match(char) else "不可见字符")
    return f"U+{ord(char):04X}（{name}）"


def show_hidden(text: str) -> str:
    """``12<U+200B>``: the text with every invisible or odd space made visible."""
    return re.sub(f"{INVISIBLE.pattern}|{ODD_SPACES.pattern}|\t", lambda m: f"<U+{ord(m.group()):04X}>", text)


def hidden_chars(text: str) -> list[str]:
    """The distinct invisible characters, odd spaces and tabs in ``text``, in order."""
    found = re.findall(f"{INVISIBLE.pattern}|{ODD_SPACES.pattern}|\t", text)
    return list(dict.fromkeys(found))


def full_width_number(text: str) -> str | None:
    """``"１２"`` -> ``"12"``, ``"３．５"`` -> ``"3.5"``; None unless full-width digits make up a plain number."""
    if not any("０" <= c <= "９" for c in text):
        return None
    converted = text.translate(_FULL_WIDTH)
    return converted if _NUMBER.fullmatch(converted) else None


SMART_QUOTES = "“”‘’「」"


def number_hint(text: str, quoted: bool) -> str | None:
    """Why ``text`` (a string where a number belongs) is not a number, in plain Chinese; None if no idea."""
    hidden = hidden_chars(text)
    bare = re.sub(f"{INVISIBLE.pattern}|{ODD_SPACES.pattern}|\t", "", text).strip()
    if "\t" in text and re.fullmatch(r"[-+0-9.\s]+", text.strip()) and len(text.split()) > 1:
        return "含有 Tab 制表符（从 Excel 复制多个单元格时常见）：这里只填一个数，请删除 Tab 和多余的数"
    if hidden and _NUMBER.fullmatch(bare.translate(_FULL_WIDTH)):
        shown = "、".join(char_name(c) for c in hidden)
        what = "看不见的字符" if any(INVISIBLE.match(c) for c in hidden) else "空格"
        return f"数字中夹有{what} {shown}，请删除，只留数字 {bare.translate(_FULL_WIDTH)}"
    if bare and bare[0] in SMART_QUOTES and bare[-1] in SMART_QUOTES:
        return f"数字外面有中文引号 {bare[0]}{bare[-1]}：数字不加引号，请写成 {bare[1:-1].strip()}"
    if quoted and _NUMBER.fullmatch(bare.translate(_FULL_WIDTH)):
        return f"数字外面加了引号，会被当作文字：请去掉引号，写成 {bare.translate(_FULL_WIDTH)}"
    if re.fullmatch(r"[-+]?0[0-9]+(\.[0-9]+)?", bare.translate(_FULL_WIDTH)):
        plain = bare.translate(_FULL_WIDTH).lstrip("+-").lstrip("0") or "0"
        return f"数字前面多了 0：请写成 {plain}，不要写成 {bare}"
    return None


def date_hint(text: str) -> str | None:
    """Why ``text`` is not a ``"2018-01-12"`` date: smart quotes, full-width digits, hidden characters."""
    bare = re.sub(f"{INVISIBLE.pattern}|{ODD_SPACES.pattern}|\t", "", text).strip()
    if bare and bare[0] in SMART_QUOTES and bare[-1] in SMART_QUOTES:
        inner = bare[1:-1].strip()
        return f'日期外面是中文引号 {bare[0]}{bare[-1]}：请改成英文半角双引号，写成 "{inner.translate(_FULL_WIDTH)}"'
    hidden = hidden_chars(text)
    if hidden and re.fullmatch(r"\d{4}-\d{2}-\d{2}", bare.translate(_FULL_WIDTH)):
        return f"日期中夹有看不见的字符 {'、'.join(char_name(c) for c in hidden)}，请删除"
    if bare != bare.translate(_FULL_WIDTH) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", bare.translate(_FULL_WIDTH)):
        return f'日期用了全角数字或符号：请用半角数字，写成 "{bare.translate(_FULL_WIDTH)}"'
    return None
