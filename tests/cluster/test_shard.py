"""``--shard i/N``: a stable split by file name, every file in exactly one share."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.cli import run
from scoring.cluster.shard import in_shard, parse_shard, shard_of
from scoring.errors import UsageError

from .helpers import PICK, batch, digest


@given(st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=50), st.integers(1, 9))
def test_every_name_falls_in_exactly_one_share_and_always_the_same(names, count):
    for name in names:
        shares = [i for i in range(1, count + 1) if in_shard(name, (i, count))]
        assert shares == [shard_of(name, count)]
        assert shard_of(name, count) == shard_of(name, count)


def test_shares_do_not_depend_on_the_other_files():
    names = [f"{i:05d}.yaml" for i in range(2000)]
    before = {n: shard_of(n, 4) for n in names[:1000]}
    assert {n: shard_of(n, 4) for n in names[:1000]} == before  # adding files moves none
    sizes = [sum(1 for n in names if shard_of(n, 4) == i) for i in range(1, 5)]
    assert min(sizes) > 400  # roughly even


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2"])
def test_a_wrong_shard_is_a_usage_error(text):
    with pytest.raises(UsageError) as info:
        parse_shard(text)
    assert "--shard 应写成 I/N" in str(info.value) and text in str(info.value)


def test_the_command_line_refuses_a_wrong_shard(inputs):
    err = io.StringIO()
    code = run(["batch", str(inputs / "src"), "-o", str(inputs / "out"), "--shard", "3/2"], io.StringIO(), err)
    assert code == 2 and "--shard 应写成 I/N" in err.getvalue()


def test_a_shard_scores_its_share_only_and_with_the_same_bytes(inputs, reference):
    done = batch(inputs, "out", "--shard", "2/3", "--jobs", "2")
    mine = sorted(f"{s}.yaml" for s in PICK if shard_of(f"{s}.yaml", 3) == 2)
    assert f"共 {len(mine)} 个文件（第 2/3 份）" in done.stderr
    got = digest(inputs / "out")
    want = digest(reference["out"])
    scored = sorted(k for k in got if k.startswith(("scorecards/", "results/")))
    assert scored and all(got[k] == want[k] for k in scored)
    assert {k.split("/")[1].rsplit(".", 1)[0] + ".yaml" for k in scored} <= set(mine)
