"""Terminal output fits the terminal: the score table, wrapped text, and the batch progress bar
driven through a real pseudo-terminal (no stale lines after redraws)."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import wcwidth

from scoring.cells import clip, pad, wrap
from scoring.cli import run
from scoring.engine import evaluate
from scoring.rubric import load_rubric
from scoring.submission import load_submission
from scoring.textual import score_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "001-otqq-zjj-2017.yaml"


def cells(line: str) -> int:
    """Display width as a terminal counts it (measured independently of scoring.cells)."""
    return int(wcwidth.wcswidth(line))


@pytest.fixture(scope="module")
def result():
    rubric = load_rubric(ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml")
    submission, _ = load_submission(EXAMPLE, rubric)
    return evaluate(rubric, submission)


@pytest.mark.parametrize("columns", [80, 120])
def test_no_line_of_the_score_table_is_wider_than_the_terminal(result, columns):
    lines = score_table(result, columns, fit=True).splitlines()
    assert max(cells(line) for line in lines) <= columns
    assert any(cells(line) > columns - 10 for line in lines)  # and the room is used


@pytest.mark.parametrize("columns", ["80", "120"])
def test_score_fits_the_width_given_by_columns(columns, monkeypatch):
    monkeypatch.setenv("COLUMNS", columns)
    out = io.StringIO()
    run(["score", str(EXAMPLE)], out, io.StringIO())
    assert max(cells(line) for line in out.getvalue().splitlines()) <= int(columns)


def test_output_to_a_pipe_is_fixed_width_and_stable(result, monkeypatch):
    """No terminal, no COLUMNS: the table is 100 columns wide and each finding stays on one line (grep)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    first, second = io.StringIO(), io.StringIO()
    run(["score", str(EXAMPLE)], first, io.StringIO())
    run(["score", str(EXAMPLE)], second, io.StringIO())
    assert first.getvalue() == second.getvalue() == score_table(result)
    rows = [line for line in first.getvalue().splitlines() if line.startswith(("org", "disclosure", "-"))]
    assert max(cells(line) for line in rows) == 100
    assert any("[提醒] 统计表第6行" in line and "请核对两行数字" in line for line in first.getvalue().splitlines())


def test_a_clipped_id_is_exactly_as_wide_as_its_column():
    """``disclosure.proactive.release_platfor…`` took 37 columns in a 36-column cell."""
    clipped = pad("disclosure.proactive.release_platform", 36)
    assert clipped.endswith("…") and cells(clipped) == 36
    assert cells(pad("政务公开工作年度报告按时发布情况及其说明", 15)) == 15  # a wide character never straddles the edge
    assert clip("短", 10) == "短"


def test_wrapping_keeps_closing_punctuation_with_its_character():
    lines = wrap("  [提醒] " + "统计表第6行数字不一致，" * 8 + "请核对。", 40)
    assert all(cells(line) <= 40 for line in lines)
    assert not any(line.lstrip().startswith(("，", "。")) for line in lines)
    assert "".join(line.strip() for line in lines) == "[提醒] " + "统计表第6行数字不一致，" * 8 + "请核对。"


class Screen:
    """Just enough of a terminal to see what stays on screen: printable characters with
    auto-wrap at the right margin, CR, LF and "erase line" (ESC [ 2 K)."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.rows: list[list[str]] = [[]]
        self.row = self.col = 0

    def feed(self, text: str) -> None:
        for token in re.findall(r"\x1b\[[0-9;]*[A-Za-z]|.", text, re.S):
            if token == "\r":
                self.col = 0
            elif token == "\n":
                self._down()
            elif token == "\x1b[2K":
                self.rows[self.row] = []
            elif token.startswith("\x1b"):
                raise AssertionError(f"unexpected escape sequence {token!r}")
            else:
                width = max(0, wcwidth.wcwidth(token))
                if self.col + width > self.columns:
                    self._down()
                line = self.rows[self.row]
                line.extend(" " * (self.col - len(line)))
                line[self.col : self.col + 1] = [token] + [""] * (width - 1)
                self.col += width

    def _down(self) -> None:
        self.row += 1
        self.col = 0
        if self.row == len(self.rows):
            self.rows.append([])

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.rows]


DRIVE = """
import sys, time
from scoring.progress import Progress
progress = Progress(40, sys.stderr)
for i in range(40):
    progress.advance(1, failed=1 if i % 10 == 3 else 0)
    if i % 10 == 3:
        progress.note(f"失败：第 {i} 份材料：YAML 格式错误")
progress.finish()
"""


@pytest.mark.parametrize("columns", [80, 120])
def test_the_progress_bar_never_leaves_stale_lines_on_a_real_terminal(columns):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = subprocess.Popen(
        [sys.executable, "-c", DRIVE], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert child.wait(timeout=60) == 0
    screen = Screen(columns)
    screen.feed(b"".join(chunks).decode("utf-8"))
    lines = [line for line in screen.lines() if line]
    assert lines[:4] == [f"失败：第 {i} 份材料：YAML 格式错误" for i in (3, 13, 23, 33)]
    assert len(lines) == 5, lines  # the four notes and one progress line: every redraw replaced the last
    assert lines[-1].startswith("█" * 8) and "评分进度 40/40（100%，失败 4）" in lines[-1]
    assert cells(lines[-1]) < columns
