"""Progress of a long run: a one-line bar on a terminal, plain lines otherwise (logs, CI).

A terminal gets ``\\r``-rewritten lines cut to its width (never wrapped), anything else gets a
line every few percent, so a log file stays short and readable.
"""

from __future__ import annotations

import time
from typing import IO

from .cells import clip, columns, width

BAR_CELLS = 24
MIN_BAR_CELLS = 8


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """``advance(n)`` after each finished item; ``note(text)`` for a line that must stay visible."""

    def __init__(self, total: int, stream: IO[str], tty: bool | None = None, label: str = "评分") -> None:
        self.total = total
        self.stream = stream
        self.tty = bool(tty if tty is not None else getattr(stream, "isatty", lambda: False)())
        self.label = label
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.step = max(1, total // 20)  # plain mode: a line every 5 %
        self.next_line = self.step
        self.drawn = False

    def advance(self, count: int = 1, failed: int = 0) -> None:
        self.done += count
        self.failed += failed
        if self.tty:
            self._draw()
        elif self.done >= self.next_line or self.done >= self.total:
            while self.next_line <= self.done:
                self.next_line += self.step
            self.stream.write(self._text() + "\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        if self.tty:
            self._draw()
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _text(self) -> str:
        elapsed = time.monotonic() - self.started
        percent = 100 * self.done // self.total if self.total else 100
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        failed = f"，失败 {self.failed}" if self.failed else ""
        eta = f"，预计还需 {_clock(left)}" if self.done < self.total and self.done else ""
        return (
            f"{self.label}进度 {self.done}/{self.total}（{percent}%{failed}），"
            f"已用 {_clock(elapsed)}，{rate:.1f} 份/秒{eta}"
        )

    def _draw(self) -> None:
        # One screen line, never more: a line that wraps leaves its first half behind at the next
        # "\r" redraw. The last column stays free (writing it moves some terminals to the next line).
        limit = columns(self.stream) - 1
        text = self._text()
        cells = min(BAR_CELLS, limit - width(text) - 1)
        cells = cells if cells >= MIN_BAR_CELLS else 0  # too narrow for a useful bar: the figures alone
        filled = cells * self.done // self.total if self.total else cells
        bar = "█" * filled + "░" * (cells - filled) + " " if cells else ""
        self.stream.write(f"\r\x1b[2K{clip(bar + text, limit)}")
        self.stream.flush()
        self.drawn = True
