"""Worst case of ``validate``'s recovery after a syntax error, against one plain parse.

A hostile file near the 4 MiB limit whose every line is a syntax error makes recovery re-read it
``MAX_ROUNDS`` times at most; the typing pre-scan reads it once more. Prints the times and ratios.

Run: ``.venv/bin/python bench/bench_recover.py``. Prints figures only.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.errors import InputError  # noqa: E402
from scoring.recover import MAX_REREAD_CHARS, MAX_ROUNDS, read  # noqa: E402
from scoring.yamlio import MAX_BYTES, parse_text  # noqa: E402


def timed(run: object) -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - started


def _fill(line: str, size: int) -> str:
    parts, used, i = ["facts:\n"], 7, 0
    while used < size:
        text = line.format(i=i)
        parts.append(text)
        used += len(text.encode())
        i += 1
    return "".join(parts[:-1])


def main() -> None:
    valid_line = "  note_{i}: 说明文字，第 {i} 行\n"
    broken_line = "  key_{i}: [未闭合\n"
    size = MAX_BYTES - 1024
    valid, broken = _fill(valid_line, size), _fill(broken_line, size)
    print(
        f"文件大小约 {len(valid.encode()) / 2**20:.1f} MiB（上限 {MAX_BYTES / 2**20:.0f} MiB），最多重读 {MAX_ROUNDS} 次"
    )
    plain = timed(lambda: parse_text(valid, "v.yaml"))
    checked = timed(lambda: read(valid, "v.yaml"))
    print(f"  有效文件：解析 {plain:.2f} 秒；validate 读取（解析 + 预检）{checked:.2f} 秒 = {checked / plain:.2f} 倍")

    def first_error() -> None:
        with contextlib.suppress(InputError):
            parse_text(broken, "b.yaml")

    once = timed(first_error)
    worst = timed(lambda: read(broken, "b.yaml"))
    print(
        f"  每行都有格式错误：第一次解析到出错 {once:.3f} 秒；带恢复的读取 {worst:.2f} 秒 = {worst / plain:.2f} 倍于有效文件的解析"
    )
    tail = valid + "".join(broken_line.format(i=i) for i in range(MAX_ROUNDS))  # every re-read goes to the end
    late = timed(lambda: read(tail, "t.yaml"))
    print(
        f"  错误都在文件末尾：带恢复的读取 {late:.2f} 秒 = {late / plain:.2f} 倍（重读总量以 {MAX_REREAD_CHARS // 2**20} MiB 为限）"
    )


if __name__ == "__main__":
    main()
