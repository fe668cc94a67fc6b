"""The Jinja environment every scorecard and report template runs in (``--templates DIR`` too).

Templates may come from an evaluator, so they run in Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: they read the view data prepared
in Python and use Jinja's filters and tests, and nothing else — no attribute or item
starting with ``_`` (so no ``cycler.__init__.__globals__.os``), no method that changes a
list or dict, no file but the templates of the template folders (``include``/``import``),
no network. Autoescape and StrictUndefined as before. ``*`` and ``**`` are bounded so one
expression cannot exhaust memory or time. Any failure while rendering becomes a Chinese
message naming the template file and line.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEAT = 100_000  # longest str/list a template may build with `*`
MAX_POWER = 1_000


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if not all(isinstance(v, int | float) for v in (left, right)) or abs(right) > MAX_POWER:
                raise jinja2.sandbox.SecurityError(f"乘方的指数不能超过 {MAX_POWER}")
            return left**right
        sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
        counts = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
        if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_REPEAT:
            raise jinja2.sandbox.SecurityError(f"重复生成的文字或列表不能超过 {MAX_REPEAT} 项")
        return left * right


def environment(folders: Sequence[str | Path]) -> jinja2.Environment:
    """A sandboxed environment loading templates from ``folders`` only."""
    return _Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_UNSAFE_ATTRIBUTE = re.compile(r"access to attribute '([^']*)' of '([^']*)' object is unsafe")


def _where(exc: BaseException, fallback: str) -> tuple[str, int]:
    """The template file and line an error happened at (Jinja maps its frames to template lines)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.filename or fallback, exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".j2", ".html", ".jinja"))]
    if frames:
        return frames[-1].filename, frames[-1].lineno or 0
    return fallback, 0


def describe(exc: BaseException, fallback: str) -> str:
    """``模板 FILE 第 N 行：…`` for any error raised while compiling or rendering a template."""
    file, line = _where(exc, fallback)
    at = f"模板 {file}" + (f" 第 {line} 行" if line else "")
    if isinstance(exc, jinja2.sandbox.SecurityError):
        unsafe = _UNSAFE_ATTRIBUTE.search(str(exc))
        what = f"不允许访问“{unsafe.group(1)}”" if unsafe else f"不允许的操作（{exc}）"
        return (
            f"{at}：{what}。模板只能读取评分表数据、使用 Jinja 的过滤器，不能访问以下划线开头的属性，"
            "不能修改数据，不能读写文件或联网；已停止生成"
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{at}：语法有误：{exc.message}"
    if isinstance(exc, jinja2.UndefinedError):
        return f"{at}：使用了不存在的数据：{exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"{at}：找不到模板 {exc.name}（只能引用模板文件夹中的文件）"
    return f"{at}：无法生成：{type(exc).__name__}: {exc}"
