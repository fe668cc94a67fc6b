"""One exception tree for everything a user can get wrong.

Every user-facing problem is a :class:`Problem` that knows where it happened
(file, line, column), which field (with its Chinese label), what was expected
and what was found. The CLI prints them; nothing else prints tracebacks.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Problem:
    """One thing wrong with one input, located as precisely as we can."""

    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    path: str = ""
    label: str = ""
    cell: str = ""  # a workbook's sheet and cell, ``统计表!D23``: shown instead of line and column

    def where(self) -> str:
        if self.cell:  # a workbook: the line is only an order (the cells in reading order)
            return f"{self.file or '<输入>'} {self.cell}"
        parts = [self.file or "<输入>"]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        if self.cell:  # 自评表.xlsx 统计表!D23（收到申请数）：应为整数，实际为文字“三十”
            label = f"（{self.label}）" if self.label else ""
            return f"{self.where()}{label}：{self.message}"
        field = ""
        if self.path:
            field = f"字段 {self.path}"
            if self.label:
                field += f"（{self.label}）"
            field += "："
        if not self.file and not self.line:
            return f"{field}{self.message}"  # e.g. a command-line mistake: there is no file to point at
        return f"{self.where()}: {field}{self.message}"


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class ExactPickle:
    """Mixin for exceptions: pickled with their state, unpickled without calling ``__init__``.

    Python pickles an exception as ``cls(*self.args)``: a subclass whose ``__init__`` takes
    other arguments than it passes to ``Exception.__init__`` (``GlyphError(missing)`` builds a
    message from a list) fails to unpickle, and one that keeps extra attributes loses them.
    In a batch the failure to unpickle a worker's error breaks the whole process pool, so every
    exception class of this package uses this mixin and comes back exactly as it left."""

    def __reduce__(self) -> tuple[Any, ...]:
        assert isinstance(self, BaseException)
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ScoringError(ExactPickle, Exception):
    """Base of every error this project raises on purpose (exit code 1)."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(ScoringError):
    """A file (rubric, submission, review, report) is malformed or invalid."""


class RubricError(InputError):
    """The rubric itself is wrong: schema, ids, expressions or point sums."""


class SubmissionError(InputError):
    """A submission does not match its rubric."""


class ExpressionError(ScoringError):
    """A rubric expression failed to compile or to evaluate."""


class UsageError(ScoringError):
    """The command line was wrong (exit code 2)."""

    exit_code = 2
