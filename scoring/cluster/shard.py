"""``--shard i/N``: the simplest split of a batch across machines, with no cluster at all.

A file belongs to share ``1 + sha256(file name) mod N``: it depends on the file's own name
only, so every machine computes the same split from the same folder, a file added later does
not move the others, and the shares differ in size by a few files at most.
"""

from __future__ import annotations

import hashlib
import re

from ..errors import UsageError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 100_000


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/5"`` → ``(2, 5)``; a Chinese usage error otherwise."""
    match = _SPEC.match(text)
    if match:
        i, n = int(match.group(1)), int(match.group(2))
        if 1 <= i <= n <= MAX_SHARDS:
            return i, n
    raise UsageError(f"--shard 应写成 I/N（第 I 份，共 N 份，1 ≤ I ≤ N），如 1/4，实际为“{text}”")


def shard_of(name: str, count: int) -> int:
    """The share (1..count) of a file name."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def in_shard(name: str, shard: tuple[int, int]) -> bool:
    return shard_of(name, shard[1]) == shard[0]
